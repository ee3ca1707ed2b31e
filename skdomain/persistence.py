"""Saving fitted deep estimators in a form that is safe to share.

``pickle`` and ``joblib`` round trips of skdomain estimators work and give
identical predictions, but loading a pickle runs arbitrary code: never unpickle
a model from a source you do not trust. :func:`save_estimator` writes instead

- ``weights.pt``: the network's (and the objective's) ``state_dict`` with
  ``torch.save``: tensors only;
- ``estimator.json``: the estimator's class, its hyper-parameters and the
  fitted metadata needed to rebuild the network (classes, input shape, target
  scaling), as plain JSON.

:func:`load_estimator` reads the JSON, accepts only deep estimator classes
already defined in the running process (skdomain's own, and users' subclasses
of :mod:`skdomain.base`, which register themselves when defined: import their
module before loading) and ``torch.optim`` optimizers from it, rebuilds the network and loads the
weights with ``torch.load(..., weights_only=True)``, which unpickles tensors and
plain containers only, never arbitrary objects.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pathlib
import warnings

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .base import (
    BaseDeepClassifier,
    BaseDeepEstimator,
    BaseDeepRegressor,
    _registered_class,
    _resolve_device,
)

__all__ = ["save_estimator", "load_estimator"]

FORMAT = "skdomain-estimator"
FORMAT_VERSION = 1
_WEIGHTS = "weights.pt"
_METADATA = "estimator.json"


def _qualified_name(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _encode_param(name, value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return {"__sequence__": [_encode_param(name, v) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[_encode_param(name, k), _encode_param(name, v)]
                             for k, v in value.items()]}
    if inspect.isclass(value) and issubclass(value, torch.optim.Optimizer):
        return {"__optimizer__": _qualified_name(value)}
    if isinstance(value, nn.Module) or (inspect.isclass(value) and issubclass(value, nn.Module)):
        return {"__custom_module__": _qualified_name(value if inspect.isclass(value)
                                                     else type(value))}
    if isinstance(value, np.random.RandomState):
        return None
    if name == "callbacks":
        return None
    raise ValueError(
        f"Parameter {name}={value!r} cannot be saved as JSON; set it to a plain value "
        "or use joblib/pickle (trusted use only)."
    )


def _decode_param(name, value, default, module):
    if isinstance(value, dict):
        if "__sequence__" in value:
            items = [_decode_param(name, v, None, module) for v in value["__sequence__"]]
            return list(items) if isinstance(default, list) else tuple(items)
        if "__dict__" in value:
            return {
                _decode_param(name, k, None, module): _decode_param(name, v, None, module)
                for k, v in value["__dict__"]
            }
        if "__optimizer__" in value:
            return _optimizer_class(value["__optimizer__"])
        if "__custom_module__" in value:
            if module is None:
                raise ValueError(
                    f"This model was trained with a custom network "
                    f"({value['__custom_module__']}); pass an instance or class of it as "
                    "load_estimator(path, module=...). The weights are then loaded into it."
                )
            return module
    return value


def _optimizer_class(name: str):
    module_name, _, class_name = name.rpartition(".")
    if not module_name.startswith("torch.optim"):
        raise ValueError(f"Refusing to load optimizer {name!r}: only torch.optim is allowed.")
    optimizer = getattr(importlib.import_module(module_name), class_name)
    if not (inspect.isclass(optimizer) and issubclass(optimizer, torch.optim.Optimizer)):
        raise ValueError(f"{name!r} is not a torch optimizer.")
    return optimizer


def _estimator_class(name: str):
    """The deep estimator class saved under ``name``, from the registry only.

    Every subclass of :class:`~skdomain.base.BaseDeepEstimator` registers itself
    when it is defined; a class of the skdomain package is imported first (our
    own modules only). Nothing else named in a file is ever imported.
    """
    cls = _registered_class(name)
    module_name = name.rpartition(".")[0]
    if cls is None and (module_name == "skdomain" or module_name.startswith("skdomain.")):
        try:
            importlib.import_module(module_name)
        except ImportError:
            pass
        cls = _registered_class(name)
    if cls is None:
        raise ValueError(
            f"Refusing to load {name!r}: only skdomain estimators and deep estimator "
            "classes already defined in this process can be loaded. For your own "
            "subclass of a skdomain base, import the module that defines it first."
        )
    if not (inspect.isclass(cls) and issubclass(cls, BaseDeepEstimator)):
        raise ValueError(f"{name!r} is not a skdomain deep estimator.")
    return cls


def _fitted_metadata(estimator) -> dict:
    fitted = {
        "input_shape_": list(estimator.input_shape_),
        "n_features_in_": int(estimator.n_features_in_),
        "n_latent_": int(estimator.n_latent_),
    }
    if hasattr(estimator, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in estimator.feature_names_in_]
    if isinstance(estimator, BaseDeepClassifier):
        classes = np.asarray(estimator.classes_)
        if classes.dtype.kind not in "iufbU":
            raise ValueError(
                f"Class labels of dtype {classes.dtype} cannot be saved as JSON; use int or "
                "str labels."
            )
        fitted["classes_"] = classes.tolist()
        fitted["classes_dtype"] = classes.dtype.str
    if isinstance(estimator, BaseDeepRegressor):
        fitted["y_mean_"] = np.asarray(estimator.y_mean_).tolist()
        fitted["y_scale_"] = np.asarray(estimator.y_scale_).tolist()
        fitted["y_ndim"] = int(estimator._y_ndim)
    return fitted


def save_estimator(estimator, path) -> pathlib.Path:
    """Save a fitted skdomain deep estimator as ``weights.pt`` + ``estimator.json``.

    Parameters
    ----------
    estimator : fitted skdomain deep estimator
        E.g. :class:`~skdomain.MMDClassifier`. Training history and callbacks
        are not saved (callbacks are stored as ``None``).
    path : str or path-like
        Directory to create (or reuse); its two files are overwritten.

    Returns
    -------
    pathlib.Path
        The directory.

    Examples
    --------
    >>> import tempfile
    >>> from skdomain import MMDClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> from skdomain.persistence import load_estimator, save_estimator
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> clf = MMDClassifier(max_epochs=2, random_state=0).fit(X, y, X_target=X_target)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     loaded = load_estimator(save_estimator(clf, tmp))
    >>> bool((loaded.predict_proba(X_target) == clf.predict_proba(X_target)).all())
    True
    """
    if not isinstance(estimator, BaseDeepEstimator):
        raise TypeError(
            f"save_estimator saves skdomain deep estimators, got {type(estimator).__name__}; "
            "use joblib for other objects."
        )
    check_is_fitted(estimator, "net_")
    if _estimator_class(_qualified_name(type(estimator))) is not type(estimator):
        raise ValueError(
            f"{_qualified_name(type(estimator))} was redefined since this estimator was "
            "made; the saved model could not be loaded as its class."
        )
    params = {
        name: _encode_param(name, value)
        for name, value in estimator.get_params(deep=False).items()
    }
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": _qualified_name(type(estimator)),
        "params": params,
        "fitted": _fitted_metadata(estimator),
        "versions": {"torch": torch.__version__},
    }
    directory = pathlib.Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    net = estimator.net_
    state = {
        "module": {k: v.detach().cpu() for k, v in net.module_.state_dict().items()},
        "objective": {k: v.detach().cpu() for k, v in net.criterion_.state_dict().items()},
    }
    torch.save(state, directory / _WEIGHTS)
    (directory / _METADATA).write_text(json.dumps(metadata, indent=2))
    return directory


def load_estimator(path, *, module=None, device="cpu"):
    """Rebuild an estimator saved by :func:`save_estimator`, without unpickling code.

    Parameters
    ----------
    path : str or path-like
        The directory written by :func:`save_estimator`.
    module : nn.Module instance or class, default=None
        The custom encoder, when the model was trained with one (its
        architecture is code, which JSON does not carry); its weights are
        replaced by the saved ones.
    device : str, default="cpu"
        Where to put the network (``"cuda"``, ``"auto"``...); stored as the
        loaded estimator's ``device`` parameter.

    Returns
    -------
    estimator
        Fitted, ready to ``predict`` / ``transform``, or to continue training
        with ``warm_start=True`` (its ``history_`` starts empty).

    Examples
    --------
    >>> import tempfile
    >>> from skdomain import SourceOnlyClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> from skdomain.persistence import load_estimator, save_estimator
    >>> X, y, _, _ = make_rotated_moons(40, random_state=0)
    >>> clf = SourceOnlyClassifier(max_epochs=1, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     loaded = load_estimator(save_estimator(clf, tmp))
    >>> type(loaded).__name__, bool((loaded.predict(X) == clf.predict(X)).all())
    ('SourceOnlyClassifier', True)
    """
    directory = pathlib.Path(path)
    metadata = json.loads((directory / _METADATA).read_text())
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{directory / _METADATA} is not a saved skdomain estimator.")
    if metadata.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"Saved with format version {metadata['format_version']}; this skdomain reads "
            f"up to {FORMAT_VERSION}."
        )
    cls = _estimator_class(metadata["class"])
    defaults = cls().get_params(deep=False)
    params = {
        name: _decode_param(name, value, defaults.get(name), module)
        for name, value in metadata["params"].items()
        if name in defaults
    }
    params["device"] = device
    estimator = cls(**params)
    fitted = metadata["fitted"]
    estimator.input_shape_ = tuple(fitted["input_shape_"])
    estimator.n_features_in_ = fitted["n_features_in_"]
    if "feature_names_in_" in fitted:
        estimator.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    if "classes_" in fitted:
        estimator.classes_ = np.asarray(fitted["classes_"], dtype=np.dtype(fitted["classes_dtype"]))
        estimator._label_encoder = LabelEncoder().fit(estimator.classes_)
    if "y_mean_" in fitted:
        estimator.y_mean_ = np.asarray(fitted["y_mean_"], dtype=np.float64)
        estimator.y_scale_ = np.asarray(fitted["y_scale_"], dtype=np.float64)
        estimator._y_ndim = fitted["y_ndim"]

    resolved = _resolve_device(device)
    network = estimator._build_network(estimator.input_shape_)
    # The objective is rebuilt from the hyper-parameters; "balanced" class weights
    # need training labels, which are not saved: the classes stand in for them.
    estimator._training_labels = getattr(estimator, "classes_", None)
    try:
        estimator.net_ = estimator._new_net(network, resolved)
        estimator.net_.initialize()
    finally:
        del estimator._training_labels
    state = torch.load(directory / _WEIGHTS, map_location=resolved, weights_only=True)
    estimator.net_.module_.load_state_dict(state["module"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.net_.criterion_.load_state_dict(state["objective"])
    if estimator.n_latent_ != fitted["n_latent_"]:
        raise ValueError(
            f"The rebuilt network has {estimator.n_latent_} latent features, the saved one "
            f"{fitted['n_latent_']}: the module does not match the weights."
        )
    estimator._n_features_out = estimator.n_latent_
    return estimator
