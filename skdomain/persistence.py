"""Saving fitted deep estimators in a form that is safe to share.

``pickle`` and ``joblib`` round trips of skdomain estimators work and give
identical predictions, but loading a pickle runs arbitrary code: never unpickle
a model from a source you do not trust. :func:`save_estimator` writes instead

- ``weights.pt``: the network's (and the objective's) ``state_dict`` with
  ``torch.save``: tensors only;
- ``estimator.json``: the estimator's class, its hyper-parameters and the
  fitted metadata needed to rebuild the network (classes, input shape, target
  scaling), as plain JSON;
- ``arrays.npz``: every other fitted array (e.g. the prototypes and latents of
  :class:`~skdomain.UniversalDAClassifier`), read back with
  ``allow_pickle=False``.

A :class:`~skdomain.pipeline.DAPipeline` (from
:func:`~skdomain.make_da_pipeline`) is saved as one ``estimator.json`` listing
its steps: skdomain estimators in sub-folders as above, scikit-learn
transformers as their parameters and fitted arrays (no pickle; a step whose
state is not plain numbers, strings and arrays is refused).

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
FORMAT_VERSION = 2
_WEIGHTS = "weights.pt"
_METADATA = "estimator.json"
_ARRAYS = "arrays.npz"
# Fitted attributes written by _fitted_metadata or rebuilt by the loader.
_CORE_FITTED = {
    "net_", "classes_", "input_shape_", "n_features_in_", "n_latent_",
    "feature_names_in_", "y_mean_", "y_scale_",
}


class _Damaged(ValueError):
    """A save that cannot be read: names the file and what is wrong."""


def _not_saved(directory, why: str) -> ValueError:
    return ValueError(f"{directory} is not a saved skdomain model: {why}.")


def _plain_array(name: str, value: np.ndarray) -> tuple[np.ndarray, str]:
    """``value`` as an array ``np.load`` reads without pickle, and its dtype tag."""
    value = np.asarray(value)
    if value.dtype.kind in "biufcU":
        return value, value.dtype.str
    if value.dtype.kind == "O":
        items = value.ravel().tolist()
        if items and all(isinstance(v, str) for v in items):
            return value.astype(str), "object-str"
        if items and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                         for v in items):
            return value.astype(np.int64), "object-int"
    raise ValueError(
        f"Fitted attribute {name} (an array of dtype {value.dtype}) cannot be saved without "
        "pickle; use int, float or str values, or joblib/pickle (trusted use only)."
    )


def _restore_array(value: np.ndarray, tag: str) -> np.ndarray:
    if tag.startswith("object-"):
        return value.astype(object)
    return value.astype(np.dtype(tag), copy=False)


def _encode_state(owner: str, state: dict, arrays: dict, prefix: str) -> dict:
    """Fitted attributes as JSON, arrays moved to ``arrays`` under ``prefix + name``."""
    encoded = {}
    for name, value in state.items():
        if isinstance(value, np.generic):
            value = value.item()
        if value is None or isinstance(value, (bool, int, float, str)):
            encoded[name] = {"value": value}
        elif isinstance(value, np.ndarray):
            array, tag = _plain_array(f"{owner}.{name}", value)
            arrays[prefix + name] = array
            encoded[name] = {"array": prefix + name, "dtype": tag}
        elif isinstance(value, (list, tuple)) and all(
            v is None or isinstance(v, (bool, int, float, str, np.generic)) for v in value
        ):
            items = [v.item() if isinstance(v, np.generic) else v for v in value]
            encoded[name] = {"list": items, "tuple": isinstance(value, tuple)}
        else:
            raise ValueError(
                f"Fitted attribute {owner}.{name} of type {type(value).__name__} cannot be "
                "saved without pickle; use joblib/pickle (trusted use only)."
            )
    return encoded


def _decode_state(encoded: dict, arrays, file) -> dict:
    state = {}
    for name, entry in encoded.items():
        if not isinstance(entry, dict):
            raise _Damaged(f"{file} is damaged: fitted attribute {name!r} is {entry!r}.")
        if "value" in entry:
            state[name] = entry["value"]
        elif "array" in entry:
            if arrays is None or entry["array"] not in arrays:
                raise _Damaged(f"{file} is damaged or missing: no array {entry['array']!r}.")
            state[name] = _restore_array(arrays[entry["array"]], entry["dtype"])
        elif "list" in entry:
            state[name] = tuple(entry["list"]) if entry.get("tuple") else list(entry["list"])
        else:
            raise _Damaged(f"{file} is damaged: fitted attribute {name!r} is {entry!r}.")
    return state


def _extra_fitted_state(estimator) -> dict:
    """Public fitted attributes beyond those the loader rebuilds (e.g. ``rho_``)."""
    return {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_") and name not in _CORE_FITTED
    }


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
            try:  # e.g. a pandas string column: object dtype holding str
                classes, tag = _plain_array("classes_", classes)
            except ValueError:
                raise ValueError(
                    f"Class labels of dtype {classes.dtype} ({classes[:3].tolist()}...) "
                    "cannot be saved as JSON; use int or str labels."
                ) from None
        else:
            tag = classes.dtype.str
        fitted["classes_"] = classes.tolist()
        fitted["classes_dtype"] = tag
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
        Directory to create (or reuse); its files are overwritten.

    Returns
    -------
    pathlib.Path
        The directory.

    Examples
    --------
    >>> import tempfile
    >>> from skdomain import MMDClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> from skdomain.persistence import save_estimator
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> clf = MMDClassifier(max_epochs=2, random_state=0).fit(X, y, X_target=X_target)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sorted(path.name for path in save_estimator(clf, tmp).iterdir())
    ['arrays.npz', 'estimator.json', 'weights.pt']

    :func:`load_estimator` reads such a directory back.
    """
    from .pipeline import DAPipeline

    if isinstance(estimator, DAPipeline):
        return _save_pipeline(estimator, pathlib.Path(path))
    if not isinstance(estimator, BaseDeepEstimator):
        raise TypeError(
            f"save_estimator saves skdomain deep estimators and pipelines of "
            f"make_da_pipeline, got {type(estimator).__name__}; use joblib for other objects "
            "(trusted use only)."
        )
    return _save_deep(estimator, pathlib.Path(path))


def _save_deep(estimator, directory: pathlib.Path) -> pathlib.Path:
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
    arrays: dict = {}
    metadata["state"] = _encode_state(
        type(estimator).__name__, _extra_fitted_state(estimator), arrays, ""
    )
    _check_output_dir(directory)
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(directory / _ARRAYS, **arrays)
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
    metadata = _read_metadata(directory)
    try:
        if metadata.get("kind") == "pipeline":
            return _load_pipeline(directory, metadata, module=module, device=device)
        return _load_deep(directory, metadata, module=module, device=device)
    except _Damaged:
        raise
    except KeyError as error:
        raise ValueError(
            f"{directory / _METADATA} is damaged: the entry {error} is missing."
        ) from None
    except (TypeError, AttributeError) as error:
        raise ValueError(f"{directory / _METADATA} is damaged: {error}.") from None


def _check_output_dir(directory: pathlib.Path) -> None:
    for parent in [directory, *directory.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"Cannot save into {directory}: {parent} is a file.")
            break


def _read_metadata(directory: pathlib.Path) -> dict:
    file = directory / _METADATA
    if not directory.is_dir():
        raise _not_saved(directory, "not a folder" if directory.exists() else "no such folder")
    if not file.is_file():
        raise _not_saved(directory, f"it has no {_METADATA}")
    try:
        metadata = json.loads(file.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _Damaged(f"{file} is damaged: not valid JSON ({error}).") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise _not_saved(directory, f"{file.name} is not an skdomain model description")
    if not isinstance(metadata.get("format_version"), int):
        raise _Damaged(f"{file} is damaged: no format_version.")
    if metadata["format_version"] > FORMAT_VERSION:
        raise ValueError(
            f"{file}: saved with format version {metadata['format_version']}; this skdomain "
            f"reads up to {FORMAT_VERSION}."
        )
    return metadata


def _load_arrays(directory: pathlib.Path):
    file = directory / _ARRAYS
    if not file.exists():
        return None
    try:
        with np.load(file, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except Exception as error:  # noqa: BLE001 - any unreadable archive is "damaged"
        raise _Damaged(f"{file} is damaged: {error}") from None


def _load_deep(directory: pathlib.Path, metadata: dict, *, module, device):
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
        estimator.classes_ = _restore_array(np.asarray(fitted["classes_"]),
                                            fitted["classes_dtype"])
        estimator._label_encoder = LabelEncoder().fit(estimator.classes_)
    if "y_mean_" in fitted:
        estimator.y_mean_ = np.asarray(fitted["y_mean_"], dtype=np.float64)
        estimator.y_scale_ = np.asarray(fitted["y_scale_"], dtype=np.float64)
        estimator._y_ndim = fitted["y_ndim"]

    if metadata["format_version"] >= 2:
        # before the network: the objective reads some of them (UniversalDA's rho_)
        extra = _decode_state(metadata.get("state", {}), _load_arrays(directory),
                              directory / _ARRAYS)
        for name, value in extra.items():
            setattr(estimator, name, value)
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
    weights = directory / _WEIGHTS
    if not weights.is_file():
        raise _Damaged(f"{weights} is missing: the save is incomplete.")
    try:
        state = torch.load(weights, map_location=resolved, weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable file is "damaged"
        raise _Damaged(f"{weights} is damaged: {error}") from None
    try:
        estimator.net_.module_.load_state_dict(state["module"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.net_.criterion_.load_state_dict(state["objective"])
    except (KeyError, TypeError, RuntimeError) as error:
        raise _Damaged(
            f"{weights} does not match the model described in {_METADATA} (damaged, or "
            f"another module): {str(error).splitlines()[0]}"
        ) from None
    if estimator.n_latent_ != fitted["n_latent_"]:
        raise ValueError(
            f"The rebuilt network has {estimator.n_latent_} latent features, the saved one "
            f"{fitted['n_latent_']}: the module does not match the weights."
        )
    estimator._n_features_out = estimator.n_latent_
    return estimator


# Pipelines -------------------------------------------------------------------
def _sklearn_class(name: str):
    """A scikit-learn transformer class named in a file (scikit-learn's modules only)."""
    module_name, _, class_name = name.rpartition(".")
    if not (module_name == "sklearn" or module_name.startswith("sklearn.")):
        raise ValueError(
            f"Refusing to load pipeline step {name!r}: only skdomain estimators and "
            "scikit-learn transformers are loaded."
        )
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise ValueError(f"Pipeline step {name!r} does not exist in this scikit-learn.") from None
    from sklearn.base import BaseEstimator, TransformerMixin

    if not (inspect.isclass(cls) and issubclass(cls, BaseEstimator)
            and issubclass(cls, TransformerMixin)):
        raise ValueError(f"Refusing to load {name!r}: not a scikit-learn transformer.")
    return cls


def _save_pipeline(pipeline, directory: pathlib.Path) -> pathlib.Path:
    check_is_fitted(pipeline)
    arrays: dict = {}
    steps = []
    for i, (name, step) in enumerate(pipeline.steps):
        if step is None or step == "passthrough":
            steps.append({"name": name, "kind": "passthrough"})
        elif isinstance(step, BaseDeepEstimator):
            steps.append({"name": name, "kind": "skdomain", "folder": f"step{i}"})
        else:
            cls = type(step)
            if not cls.__module__.startswith("sklearn."):
                raise ValueError(
                    f"Pipeline step {name!r} ({cls.__name__}) cannot be saved without pickle: "
                    "only skdomain estimators and scikit-learn transformers can; use "
                    "joblib/pickle (trusted use only)."
                )
            params = {k: _encode_param(f"{name}__{k}", v)
                      for k, v in step.get_params(deep=False).items()}
            fitted = {k: v for k, v in vars(step).items()
                      if k.endswith("_") and not k.startswith("_")}
            steps.append({
                "name": name, "kind": "sklearn", "class": f"{cls.__module__}.{cls.__qualname__}",
                "params": params,
                "fitted": _encode_state(name, fitted, arrays, f"{name}__"),
            })
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": "pipeline",
        "fit_transformers_on": pipeline.fit_transformers_on,
        "steps": steps,
    }
    _check_output_dir(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for entry, (_, step) in zip(steps, pipeline.steps, strict=True):
        if entry["kind"] == "skdomain":
            _save_deep(step, directory / entry["folder"])
    np.savez(directory / _ARRAYS, **arrays)
    (directory / _METADATA).write_text(json.dumps(metadata, indent=2))
    return directory


def _load_pipeline(directory: pathlib.Path, metadata: dict, *, module, device):
    from .pipeline import DAPipeline

    arrays = _load_arrays(directory)
    steps = []
    for entry in metadata["steps"]:
        name, kind = entry["name"], entry["kind"]
        if kind == "passthrough":
            steps.append((name, "passthrough"))
        elif kind == "skdomain":
            sub = directory / entry["folder"]
            steps.append((name, _load_deep(sub, _read_metadata(sub), module=module,
                                           device=device)))
        elif kind == "sklearn":
            cls = _sklearn_class(entry["class"])
            defaults = cls().get_params(deep=False)
            params = {k: _decode_param(k, v, defaults.get(k), None)
                      for k, v in entry["params"].items() if k in defaults}
            step = cls(**params)
            for attr, value in _decode_state(entry["fitted"], arrays,
                                             directory / _ARRAYS).items():
                setattr(step, attr, value)
            steps.append((name, step))
        else:
            raise _Damaged(f"{directory / _METADATA} is damaged: unknown step kind {kind!r}.")
    return DAPipeline(steps, fit_transformers_on=metadata.get("fit_transformers_on", "source"))
