"""What every deep domain-adaptation estimator shares: the documented extension API.

Input checks for ``(X, y, X_target)``, building the torch network, the skorch
net and its paired source/target batches, seeding, warm starts, inference and
``transform``. A concrete estimator only

- declares its own hyper-parameters as :class:`Parameter` objects in the class
  attribute ``parameters`` (name, default, constraint, numpydoc line): the
  shared ones (``module``, ``hidden_units``, ..., ``warm_start``, and for
  classifiers ``class_weight``, ``fisher_weight``, ``entropy_weight``,
  ``fisher_form``) are inherited, and ``__init__`` (keyword-only, with a real
  signature), ``_parameter_constraints`` and the docstring's Parameters section
  (the ``{parameters}`` placeholder) are generated from the declarations;
- says which loss terms it adds (:meth:`BaseDeepEstimator._make_terms`, a list
  of :class:`skdomain.nn.Term`) and, if they need them, which extra network
  heads (:meth:`BaseDeepEstimator._build_extra_heads`).

Every subclass joins a registry when it is defined, so that
:func:`skdomain.persistence.load_estimator` can rebuild it without importing
modules named in a file. Constraint helpers (:func:`non_negative`,
:func:`interval`, :func:`one_of`) spare users scikit-learn's private validation
module.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import numbers
import textwrap
import warnings
import weakref
from typing import Any

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
)
from sklearn.exceptions import DataConversionWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping
from torch import nn

from . import _precision, distributed
from ._compat import Interval, StrOptions, _fit_context
from ._docstrings import array_method_doc
from ._training import (
    ArrayDataset,
    DomainAdaptationNet,
    StreamDataset,
    TargetSampler,
    TermAverages,
    is_streaming,
)
from .nn import (
    ClassificationObjective,
    DeepMergeEncoder,
    DomainAdaptationNetwork,
    MLPEncoder,
    Objective,
    RegressionObjective,
    Term,
    latent_dimension,
)

__all__ = [
    "BaseDeepEstimator",
    "BaseDeepClassifier",
    "BaseDeepRegressor",
    "Parameter",
    "interval",
    "non_negative",
    "one_of",
]


# Constraints -----------------------------------------------------------------
def interval(kind, left=None, right=None, *, closed="left"):
    """A numeric range constraint for :class:`Parameter`.

    Parameters
    ----------
    kind : {"real", "integer"}
        Accepted numbers (real numbers include integers).
    left, right : number or None
        Bounds; ``None`` is unbounded.
    closed : {"left", "right", "both", "neither"}, default="left"
        Which bounds are included.

    Returns
    -------
    Interval
        A scikit-learn parameter constraint.

    Examples
    --------
    >>> from skdomain.base import interval
    >>> constraint = interval("integer", 1)
    >>> constraint.is_satisfied_by(3), constraint.is_satisfied_by(0)
    (True, False)
    """
    types = {"real": numbers.Real, "integer": numbers.Integral}
    if kind not in types:
        raise ValueError(f"kind must be 'real' or 'integer', got {kind!r}.")
    return Interval(types[kind], left, right, closed=closed)


def one_of(*options: str) -> StrOptions:
    """A constraint accepting one of the given strings.

    Parameters
    ----------
    *options : str
        The accepted values.

    Returns
    -------
    StrOptions
        A scikit-learn parameter constraint, for ``Parameter(constraints=...)``.

    Examples
    --------
    >>> from skdomain.base import one_of
    >>> sorted(one_of("dann", "constant").options)
    ['constant', 'dann']
    """
    return StrOptions(set(options))


def non_negative() -> list:
    """The constraint of a loss weight: a real number >= 0 (0 switches the term off).

    Returns
    -------
    list
        One scikit-learn ``Interval`` constraint, for ``Parameter(constraints=...)``.

    Examples
    --------
    >>> from skdomain.base import non_negative
    >>> [c.is_satisfied_by(v) for c in non_negative() for v in (0.0, 2.5, -1.0)]
    [True, True, False]
    """
    return [interval("real", 0, None, closed="left")]


@dataclasses.dataclass(frozen=True)
class Parameter:
    """Declaration of one hyper-parameter of a deep estimator.

    Parameters
    ----------
    name : str
    default : object
        Stored unchanged by the generated ``__init__`` when the parameter is not
        given (use immutable values: tuples, not lists).
    constraints : list or "no_validation"
        What ``fit`` accepts, in scikit-learn's constraint language: a list of
        types, ``None``, strings such as ``"array-like"``, ``"boolean"``,
        ``"random_state"``, and :func:`interval` / :func:`one_of` objects.
    type : str
        The numpydoc type, e.g. ``"float"`` or ``'{"ratio", "difference"}'``.
    doc : str, default=""
        The description (may span lines).
    default_doc : str, optional
        How the default is written in the docs (default: its ``repr``).

    Examples
    --------
    >>> from skdomain.base import Parameter, non_negative
    >>> p = Parameter("coral_weight", 1.0, non_negative(), "float", "Weight of CORAL.")
    >>> print(p.render())
    coral_weight : float, default=1.0
            Weight of CORAL.
    """

    name: str
    default: Any
    constraints: Any
    type: str
    doc: str = ""
    default_doc: str | None = None

    @classmethod
    def weight(cls, name: str, default: float, doc: str) -> Parameter:
        """A loss weight: a float >= 0, where 0 switches the term off."""
        return cls(name, default, non_negative(), "float", doc)

    def replace(self, **changes) -> Parameter:
        """The same declaration with some fields changed, for a subclass to redeclare.

        Parameters
        ----------
        **changes
            New values of fields (``default``, ``doc``, ``default_doc``, ...).

        Returns
        -------
        Parameter

        Examples
        --------
        >>> from skdomain.base import Parameter, non_negative
        >>> lr = Parameter("lr", 1e-3, non_negative(), "float", "Learning rate.")
        >>> print(lr.replace(default=1e-2, default_doc="1e-2").render())
        lr : float, default=1e-2
                Learning rate.
        """
        return dataclasses.replace(self, **changes)

    def render(self) -> str:
        """The numpydoc entry (header unindented, description indented by 8)."""
        if self.default_doc is not None:
            default = self.default_doc
        elif isinstance(self.default, str):
            default = f'"{self.default}"'
        else:
            default = repr(self.default)
        body = textwrap.indent(inspect.cleandoc(self.doc), " " * 8)
        return f"{self.name} : {self.type}, default={default}" + (f"\n{body}" if body else "")


#: Placeholder that a class docstring uses for its generated Parameters entries.
PARAMETERS_PLACEHOLDER = "{parameters}"
#: Placeholder for the generated Parameters section, the class's ``attributes_doc``
#: as its Attributes section and, when the class lists ``see_also``, a See Also
#: section.
SECTIONS_PLACEHOLDER = "{sections}"
#: Placeholders for the opening of the Examples section of the built-in
#: estimators (``{name}`` is the class, imported from ``skdomain``): a classifier
#: fitted on rotated moons as ``clf``, a regressor on Gaussian inputs whose
#: target domain is shifted by 0.5, as ``reg``.
EXAMPLE_OPENINGS = {
    "{moons_example}": """Examples
    --------
    >>> from skdomain import {name}
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, y_target = make_rotated_moons(n_samples=200, random_state=0)
    >>> clf = {name}(max_epochs=5, random_state=0).fit(X, y, X_target=X_target)""",
    "{shifted_regression_example}": """Examples
    --------
    >>> import numpy as np
    >>> from skdomain import {name}
    >>> rng = np.random.default_rng(0)
    >>> X, X_target = rng.normal(size=(100, 4)), rng.normal(0.5, 1, size=(100, 4))
    >>> reg = {name}(max_epochs=3, random_state=0).fit(X, X[:, 0], X_target=X_target)""",
}

_COMMON_ATTRIBUTES_DOC = """n_features_in_ : int
        Number of features (for images: channels) seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
    input_shape_ : tuple of int
        Shape of one sample.
    n_latent_ : int
        Size of the latent features returned by ``transform``.
    net_ : skorch NeuralNet
        The trained skorch net.
    module_ : DomainAdaptationNetwork
        The trained torch network (``encoder``, ``head``, ``extra_heads``).
    history_ : skorch History
        Per-epoch ``train_loss`` and the mean of each loss term."""

_SHARED_PARAMETERS = (
    Parameter(
        "module", None, [None, one_of("mlp", "deepmerge"), nn.Module, type],
        '"mlp", "deepmerge", nn.Module or class',
        """The encoder that maps inputs to the latent features the adaptation
        losses align. ``None`` or ``"mlp"`` builds an :class:`~skdomain.nn.MLPEncoder`
        with ``hidden_units`` at fit time; ``"deepmerge"`` the DeepMerge CNN for
        images of shape (channels, height, width). A module instance is deep-copied
        at every fresh fit; a module class is called without arguments. The
        prediction head is added by the estimator.""",
    ),
    Parameter(
        "hidden_units", (64, 64), ["array-like"], "tuple of int",
        "Hidden layer widths of the default MLP encoder (the last is the latent size).",
    ),
    Parameter(
        "dropout", 0.0, [interval("real", 0, 1)], "float", "Dropout of the default encoders."
    ),
    Parameter("max_epochs", 100, [interval("integer", 1)], "int", "Passes over the source data."),
    Parameter(
        "batch_size", 64, [interval("integer", 1)], "int",
        "Source samples per step; each step also draws as many target samples.",
    ),
    Parameter(
        "lr", 1e-3, [interval("real", 0, None, closed="neither")], "float", "Learning rate.",
        default_doc="1e-3",
    ),
    Parameter(
        "optimizer", torch.optim.Adam, [type], "torch optimizer class",
        default_doc="torch.optim.Adam",
    ),
    Parameter(
        "weight_decay", 0.0, non_negative(), "float", "L2 penalty passed to the optimizer."
    ),
    Parameter(
        "device", "cpu", [str], "str",
        """Torch device, e.g. ``"cuda"``; ``"auto"`` picks CUDA when available.
        Predictions are always returned as CPU numpy arrays.""",
    ),
    Parameter(
        "precision", "32", [one_of(*_precision.PRECISIONS)], '{"32", "bf16", "fp16"}',
        """Training arithmetic: float32, or automatic mixed precision in bfloat16
        or float16 (with loss scaling). Weights and predictions stay float32.""",
    ),
    Parameter(
        "random_state", None, ["random_state"], "int, RandomState instance or None",
        """Seeds the initial weights, the batch order and the target pairing; with
        a fixed value two fits give the same model (on the CPU).""",
    ),
    Parameter("verbose", 0, ["verbose"], "int", "1 prints skorch's per-epoch table."),
    Parameter(
        "callbacks", None, [list, None], "list of skorch callbacks",
        "Extra skorch callbacks (checkpointing, LR schedulers, ...).",
    ),
    Parameter(
        "early_stopping", False, ["boolean"], "bool",
        """Hold out ``validation_fraction`` of the source and stop when its task
        loss has not improved for ``n_iter_no_change`` epochs (best weights kept).""",
    ),
    Parameter(
        "validation_fraction", 0.1, [interval("real", 0, 1, closed="neither")], "float"
    ),
    Parameter("n_iter_no_change", 10, [interval("integer", 1)], "int"),
    Parameter(
        "warm_start", False, ["boolean"], "bool",
        """Continue from the fitted network instead of starting afresh: train on
        one pair of domains, then call ``fit`` on another (transfer learning).""",
    ),
    Parameter(
        "num_workers", 0, [interval("integer", 0)], "int",
        """Worker processes of the ``DataLoader`` that reads out-of-core inputs
        (an ``h5py.Dataset``, a ``numpy.memmap`` or a torch ``Dataset``, streamed
        in batches, never read whole); 0 reads in the main process. In-memory
        arrays do not use it.""",
    ),
)

# Every subclass of BaseDeepEstimator, by "module.qualname", as it is defined.
_REGISTRY: weakref.WeakValueDictionary[str, type] = weakref.WeakValueDictionary()


def _registered_class(name: str) -> type | None:
    """The deep estimator class of that qualified name defined in this process, if any."""
    return _REGISTRY.get(name)


def _generated_init(cls, parameters: tuple[Parameter, ...]):
    """A keyword-only ``__init__`` storing each parameter unchanged, with a real signature."""
    defaults = {p.name: p.default for p in parameters}

    def __init__(self, **params):
        for name in params:
            if name not in defaults:
                raise TypeError(
                    f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                    f"{name!r}"
                )
        for name, default in defaults.items():
            setattr(self, name, params.get(name, default))

    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = inspect.Signature(
        [self_param]
        + [
            inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default)
            for p in parameters
        ]
    )
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__module__ = cls.__module__
    __init__._skdomain_generated = True
    return __init__


def _generated_doc(cls, doc: str) -> str:
    """``doc`` with its placeholders replaced by what ``cls`` declares."""
    entries = "\n    ".join(p.render() for p in cls._all_parameters)
    sections = (
        f"Parameters\n    ----------\n    {entries}\n\n"
        f"    Attributes\n    ----------\n    {cls.attributes_doc}"
    )
    see_also = cls.__dict__.get("see_also", ())
    if see_also:
        sections += f"\n\n    See Also\n    --------\n    {', '.join(see_also)}"
    doc = doc.replace(SECTIONS_PLACEHOLDER, sections)
    for placeholder, opening in EXAMPLE_OPENINGS.items():
        doc = doc.replace(placeholder, opening.format(name=cls.__name__))
    return doc.replace(PARAMETERS_PLACEHOLDER, entries)


def _resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(
            f"device={device!r} is not a torch device; use 'cpu', 'cuda', 'cuda:0', "
            "'mps' or 'auto'."
        ) from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available.")
    if kind == "mps" and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    ):
        raise ValueError(f"device={device!r} was requested but MPS is not available.")
    if kind not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device={device!r} is not supported; use 'cpu', 'cuda', 'mps' or 'auto'.")
    return device


def _check_hidden_units(name: str, value) -> tuple:
    """``value`` as a non-empty tuple of positive ints, or a ValueError naming ``name``."""
    units = tuple(np.atleast_1d(np.asarray(value, dtype=object)).tolist())
    if not units or not all(
        isinstance(u, numbers.Integral) and not isinstance(u, bool) and u > 0 for u in units
    ):
        raise ValueError(f"{name} must be a non-empty sequence of positive ints, got {value!r}.")
    return tuple(int(u) for u in units)


def _check_callbacks(callbacks) -> None:
    from skorch.callbacks import Callback

    for i, callback in enumerate(callbacks or []):
        item = callback[1] if isinstance(callback, tuple) and len(callback) == 2 else callback
        is_class = inspect.isclass(item) and issubclass(item, Callback)
        if not (isinstance(item, Callback) or is_class):
            raise ValueError(
                f"callbacks[{i}] must be a skorch callback (or a (name, callback) pair), "
                f"got {callback!r}."
            )


def _to_tensor(X: np.ndarray, device: str, dtype=torch.float32) -> torch.Tensor:
    X = np.ascontiguousarray(X)
    if not X.flags.writeable:  # torch cannot wrap read-only memory (e.g. memmaps)
        X = X.copy()
    return torch.as_tensor(X, dtype=dtype).to(device)


def _sample_shape(X) -> tuple:
    return X.sample_shape if isinstance(X, StreamDataset) else tuple(X.shape[1:])


def _data_on(X, device: str):
    """In-memory data as a tensor on ``device``; out-of-core data stays where it is."""
    return X if isinstance(X, StreamDataset) else _to_tensor(X, device)


def _dataset(X, y: torch.Tensor, device: str):
    """The skorch dataset of ``(X, y)``: tensors on the device, or a stream (y on CPU)."""
    if isinstance(X, StreamDataset):
        return StreamDataset(X.source, y.cpu(), rows=X.rows_, name=X.name)
    return ArrayDataset(_to_tensor(X, device), y)


def _latent_size(encoder: nn.Module, sample_shape: tuple, *, custom: bool) -> int:
    """Latent size; a user's encoder gets one dry forward pass, with a clear error if it fails."""
    try:
        return latent_dimension(encoder, sample_shape, dry_run=custom)
    except Exception as error:  # noqa: BLE001 - any failure of user code is reported
        if not custom:
            raise
        first = next((m for m in encoder.modules() if hasattr(m, "in_features")), None)
        wants = f" (its first layer expects {first.in_features} input features)" if first else ""
        raise ValueError(
            f"module {type(encoder).__name__} cannot process samples of shape "
            f"{tuple(sample_shape)} from X{wants}: {error}"
        ) from error


class BaseDeepEstimator(TransformerMixin, BaseEstimator):
    """Base class of the deep estimators; not meant to be used directly.

    Subclasses declare their own hyper-parameters in ``parameters`` (a tuple of
    :class:`Parameter`; redeclaring an inherited name changes its default or
    doc, ``removed_parameters`` drops inherited ones), and implement
    ``_make_terms`` (or ``_make_objective``); they may add heads with
    ``_build_extra_heads``. At class definition the generated ``__init__``,
    ``_parameter_constraints`` and docstring are installed and the class joins
    the registry read by :func:`skdomain.persistence.load_estimator`. A
    subclass that writes its own ``__init__`` keeps it.

    Examples
    --------
    >>> from skdomain import MMDClassifier
    >>> from skdomain.base import BaseDeepEstimator
    >>> issubclass(MMDClassifier, BaseDeepEstimator)
    True
    >>> [p.name for p in MMDClassifier.parameters][:2]  # declared by the subclass
    ['mmd_weight', 'mmd_estimator']
    """

    # With scikit-learn's metadata routing switched on, meta-estimators route
    # X_target to fit without a set_fit_request call.
    __metadata_request__fit = {"X_target": True}

    parameters: tuple[Parameter, ...] = _SHARED_PARAMETERS
    #: Attributes section of the generated docstrings (numpydoc entries).
    attributes_doc: str = _COMMON_ATTRIBUTES_DOC
    #: Names of the generated See Also section (not inherited).
    see_also: tuple[str, ...] = ()
    removed_parameters: tuple[str, ...] = ()
    _all_parameters: tuple[Parameter, ...] = _SHARED_PARAMETERS
    _parameter_constraints: dict = {p.name: p.constraints for p in _SHARED_PARAMETERS}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        declared: dict[str, Parameter] = {}
        for klass in reversed(cls.__mro__):
            for parameter in klass.__dict__.get("parameters", ()):
                declared[parameter.name] = parameter  # a redeclaration keeps its place
            for name in klass.__dict__.get("removed_parameters", ()):
                declared.pop(name, None)
        cls._all_parameters = tuple(declared.values())
        inherited_init = cls.__init__
        if "__init__" not in cls.__dict__ and (
            inherited_init is object.__init__
            or getattr(inherited_init, "_skdomain_generated", False)
        ):
            cls.__init__ = _generated_init(cls, cls._all_parameters)
        constraints = {p.name: p.constraints for p in cls._all_parameters}
        constraints.update(cls.__dict__.get("_parameter_constraints", {}))
        cls._parameter_constraints = constraints
        doc = cls.__dict__.get("__doc__")
        if doc and (PARAMETERS_PLACEHOLDER in doc or SECTIONS_PLACEHOLDER in doc):
            cls.__doc__ = _generated_doc(cls, doc)
        _REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls

    # Hooks for subclasses -------------------------------------------------
    def _make_terms(self) -> list[Term]:
        """The adaptation terms of the objective (see :class:`skdomain.nn.Term`)."""
        return []

    def _make_objective(self) -> Objective:
        raise NotImplementedError

    def _build_extra_heads(self, latent_dim: int, sample_shape: tuple, n_outputs: int):
        return {}

    def _n_outputs(self) -> int:
        raise NotImplementedError

    def _encode_y(self, y, *, fitting: bool):
        raise NotImplementedError

    # Input checks -----------------------------------------------------------
    def _validate_X(self, X, *, reset: bool):
        if is_streaming(X):
            return self._stream(X, "X", reset=reset)
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=[np.float32, np.float64],
            allow_nd=True,
            ensure_min_samples=2 if reset else 1,
            ensure_all_finite=True,
        )

    def _stream(self, X, name: str, *, reset: bool) -> StreamDataset:
        """Out-of-core ``X`` (h5py, memmap, torch Dataset), checked batch by batch later."""
        X = StreamDataset(X, name=name)
        shape = X.sample_shape
        if len(shape) == 0:
            raise ValueError(f"{name} must hold samples of at least one feature; got scalars.")
        if len(X) < (2 if reset else 1):
            raise ValueError(f"{name} has {len(X)} sample(s); at least 2 are needed.")
        if reset:
            self.n_features_in_ = shape[0]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif shape[0] != self.n_features_in_:
            raise ValueError(
                f"{name} has {shape[0]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X

    def _validate_X_target(self, X_target, X):
        if X_target is None:
            return None
        if is_streaming(X_target):
            X_target = StreamDataset(X_target, name="X_target")
            if len(X_target) < 2:
                raise ValueError(f"X_target has {len(X_target)} sample(s); at least 2 are needed.")
            if X_target.sample_shape != _sample_shape(X):
                raise ValueError(
                    f"X_target has sample shape {X_target.sample_shape}, but X has "
                    f"{_sample_shape(X)}: source and target must describe samples the same way."
                )
            return X_target
        if hasattr(X_target, "columns") and hasattr(self, "feature_names_in_"):
            columns = np.asarray(X_target.columns, dtype=object)
            if columns.shape != self.feature_names_in_.shape or np.any(
                columns != self.feature_names_in_
            ):
                raise ValueError(
                    "X_target has columns that differ from those of X: "
                    f"{list(columns)} vs {list(self.feature_names_in_)}."
                )
        try:
            X_target = check_array(
                X_target,
                dtype=[np.float32, np.float64],
                allow_nd=True,
                ensure_all_finite=True,
                ensure_min_samples=2,
                input_name="X_target",
            )
        except ValueError as error:
            if "X_target" in str(error):
                raise
            raise ValueError(f"Invalid X_target: {error}") from error
        if X_target.shape[1:] != _sample_shape(X):
            what = "features" if X_target.ndim == 2 else "sample shape"
            raise ValueError(
                f"X_target has {what} {X_target.shape[1:]}, but X has {_sample_shape(X)}: "
                "source and target must describe samples the same way."
            )
        return X_target

    # Network --------------------------------------------------------------
    def _build_encoder(self, sample_shape: tuple) -> nn.Module:
        module = self.module
        if module is None or module == "mlp":
            return MLPEncoder(
                int(np.prod(sample_shape)), tuple(self.hidden_units), dropout=self.dropout
            )
        if module == "deepmerge":
            return DeepMergeEncoder(sample_shape, dropout=self.dropout)
        if isinstance(module, nn.Module):
            return copy.deepcopy(module)
        if inspect.isclass(module) and issubclass(module, nn.Module):
            return module()
        raise ValueError(
            f"module must be None, 'mlp', 'deepmerge' or a torch module, got {module!r}."
        )

    def _build_network(self, sample_shape: tuple) -> DomainAdaptationNetwork:
        encoder = self._build_encoder(sample_shape)
        custom = isinstance(self.module, nn.Module) or inspect.isclass(self.module)
        latent_dim = _latent_size(encoder, sample_shape, custom=custom)
        n_outputs = self._n_outputs()
        self.n_latent_ = latent_dim
        return DomainAdaptationNetwork(
            encoder,
            nn.Linear(latent_dim, n_outputs),
            self._build_extra_heads(latent_dim, sample_shape, n_outputs),
        )

    def _callbacks(self) -> list:
        callbacks: list[Any] = [("term_averages", TermAverages())]
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss", patience=self.n_iter_no_change, load_best=True
                    ),
                )
            )
        for i, callback in enumerate(self.callbacks or []):
            callbacks.append((f"user_{i}", callback))
        return callbacks

    def _new_net(self, network: nn.Module, device: str) -> DomainAdaptationNet:
        return DomainAdaptationNet(
            module=network,
            criterion=self._make_objective(),
            optimizer=self.optimizer,
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            device=device,
            callbacks=self._callbacks(),
            train_split=None,
            verbose=self.verbose,
        )

    # Fitting --------------------------------------------------------------
    def _check_parameter_values(self) -> None:
        """Values that pass the type constraints but would fail late or silently."""
        if self.module is None or self.module == "mlp":
            _check_hidden_units("hidden_units", self.hidden_units)
        _resolve_device(self.device)
        _check_callbacks(self.callbacks)

    def _fit(self, X, y, X_target, *, epochs: int, continue_training: bool):
        reset = not continue_training
        self._check_parameter_values()
        X = self._validate_X(X, reset=reset)
        if not reset and _sample_shape(X) != self.input_shape_:
            raise ValueError(
                f"X has sample shape {_sample_shape(X)}, but this estimator was fitted on "
                f"{self.input_shape_}."
            )
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        y = self._encode_y(y, fitting=reset)
        if len(X) != y.shape[0]:
            raise ValueError(f"X has {len(X)} samples but y has {y.shape[0]}.")
        X_target = self._validate_X_target(X_target, X)
        device = _resolve_device(self.device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        seed = distributed.shared_seed(seed)  # rank 0's, under data_parallel

        X_valid = y_valid = None
        if self.early_stopping:
            X, X_valid, y, y_valid = self._validation_split(X, y, seed)
        X, y, X_target = distributed.shard(X, y, X_target, seed)  # this process's rows

        fork_devices = [torch.device(device)] if device.startswith("cuda") else []
        schedule_epochs = getattr(self, "_schedule_epochs", None)
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)
            if reset:
                self.input_shape_ = _sample_shape(X)
                self.net_ = self._new_net(self._build_network(self.input_shape_), device)
                self.net_.initialize()
            net = self.net_
            net.set_params(device=device)
            net.module_.to(device)
            net.criterion_.to(device)
            net.batch_generator = torch.Generator().manual_seed(seed)
            net.num_workers = self.num_workers
            net.classifier = isinstance(self, ClassifierMixin)
            net.target_sampler = (
                None
                if X_target is None or not self._uses_target()
                else TargetSampler(
                    _data_on(X_target, device), torch.Generator().manual_seed(seed + 1)
                )
            )
            train = _dataset(X, self._y_tensor(y, device), device)
            valid = None
            if X_valid is not None:
                valid = _dataset(X_valid, self._y_tensor(y_valid, device), device)
            _precision.configure(net, self.precision, device)
            try:
                self._check_batch_size(net)
                with distributed.synchronized(net, seed):
                    net.train(train, valid, epochs, schedule_epochs=schedule_epochs)
            finally:
                net.grad_scaler = None
                # Keep no data or generators on the fitted estimator (pickling, memory).
                net.target_sampler = None
                net.batch_generator = None
                net.train_split = None
        self._n_features_out = self.n_latent_
        return self

    def _validation_split(self, X, y, seed):
        """Hold out ``validation_fraction`` of the source for early stopping.

        Classifiers stratify, with at least one sample of each class on each side
        when the set allows it; otherwise a clear error names the parameters.
        """
        n = len(X)
        n_valid = max(1, int(np.ceil(self.validation_fraction * n)))
        stratify = None
        if getattr(self, "_stratify_validation", False):
            counts = np.bincount(np.asarray(y, dtype=np.int64))
            n_classes = int(np.count_nonzero(counts))
            n_valid = max(n_valid, n_classes)
            if n - n_valid < n_classes:
                raise ValueError(
                    f"early_stopping=True holds out validation_fraction="
                    f"{self.validation_fraction} of {n} samples, too few to keep "
                    f"{n_classes} classes on both sides; use more data or early_stopping=False."
                )
            if counts[counts > 0].min() >= 2:
                stratify = y
        if n - n_valid < 2:
            raise ValueError(
                f"early_stopping=True with validation_fraction={self.validation_fraction} "
                f"leaves {n - n_valid} of {n} samples to train on; use more data or "
                "early_stopping=False."
            )
        rows_train, rows_valid, y_train, y_valid = train_test_split(
            np.arange(n), y, test_size=n_valid, random_state=seed, stratify=stratify
        )
        if isinstance(X, StreamDataset):
            return X.subset(rows_train), X.subset(rows_valid), y_train, y_valid
        return X[rows_train], X[rows_valid], y_train, y_valid

    def _check_batch_size(self, net) -> None:
        needed = max(
            [getattr(term, "min_batch_size", 1) for term in getattr(net.criterion_, "terms", [])
             if getattr(term, "weight", 1) != 0],
            default=1,
        )
        if self.batch_size < needed:
            raise ValueError(
                f"batch_size={self.batch_size} is too small for {type(self).__name__}: its "
                f"loss terms need at least {needed} samples of each domain per batch."
            )

    def _uses_target(self) -> bool:
        return True

    def _y_tensor(self, y, device):
        raise NotImplementedError

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, X_target=None):
        """Train on labeled source data, aligning it with unlabeled target data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Source inputs (tabular data or images, channels first). An
            ``h5py.Dataset``, a ``numpy.memmap`` or a torch ``Dataset`` is
            streamed in batches (see ``num_workers``), never read whole, and
            checked batch by batch; it trains the same model as the equivalent
            array.
        y : array-like of shape (n_samples,)
            Source labels (in memory).
        X_target : array-like of shape (n_target, ...), default=None
            Unlabeled target inputs with the same sample shape as ``X`` (also
            streamed when out-of-core). Without it the estimator is an
            ordinary supervised model.

        Returns
        -------
        self
        """
        continue_training = self.warm_start and hasattr(self, "net_")
        if not continue_training:
            # classes given to an earlier partial_fit belong to that run only
            self.__dict__.pop("_partial_fit_classes", None)
        return self._fit(
            X, y, X_target, epochs=self.max_epochs, continue_training=continue_training
        )

    def partial_fit(self, X, y, X_target=None, classes=None):
        """Train for one epoch, continuing from the current weights if fitted.

        Parameters
        ----------
        X, y, X_target
            As in :meth:`fit`.
        classes : array-like, default=None
            All classes, required on the first call of a classifier when ``y``
            may not contain every class.

        Returns
        -------
        self
        """
        first_call = not hasattr(self, "net_")
        if first_call:
            self._validate_params()
            self.__dict__.pop("_partial_fit_classes", None)
            if classes is not None:
                self._partial_fit_classes = np.asarray(classes)
        # The schedules (gradient reversal, warm-ups) run over max_epochs calls.
        self._schedule_epochs = self.max_epochs
        try:
            return self._fit(X, y, X_target, epochs=1, continue_training=not first_call)
        finally:
            del self._schedule_epochs

    # Inference ------------------------------------------------------------
    def _forward(self, X, function) -> np.ndarray:
        check_is_fitted(self, "net_")
        X = self._validate_X(X, reset=False)
        if _sample_shape(X) != self.input_shape_:
            raise ValueError(
                f"X has sample shape {_sample_shape(X)}, but this estimator was fitted on "
                f"{self.input_shape_}."
            )
        out = self.net_.infer_batches(_data_on(X, "cpu"), function)
        return out.detach().cpu().numpy()

    @array_method_doc("ndarray of shape (n_samples, n_latent), float32")
    def transform(self, X):
        """Latent features of ``X``: what the adaptation losses align."""
        return self._forward(X, lambda module, xb: module.encode(xb))

    def get_feature_names_out(self, input_features=None):
        """Names of the latent features, ``<estimator>0 ... <estimator>{n_latent_ - 1}``."""
        check_is_fitted(self, "net_")
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(self.n_latent_)], dtype=object)

    @property
    def module_(self) -> DomainAdaptationNetwork:
        """The fitted torch network (encoder, head and extra heads)."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    @property
    def history_(self):
        """skorch history: one dict per epoch with the mean of each loss term."""
        check_is_fitted(self, "net_")
        return self.net_.history

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def __getstate__(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return super().__getstate__()


class BaseDeepClassifier(ClassifierMixin, BaseDeepEstimator):
    """Shared classification logic: label encoding, class weights, probabilities.

    Adds the parameters ``class_weight``, ``fisher_weight``, ``entropy_weight``
    and ``fisher_form``; the objective is a
    :class:`~skdomain.nn.ClassificationObjective`: cross-entropy, then the
    terms of ``_make_terms``, then the Fisher and entropy terms.

    Examples
    --------
    A method is its weight and its term (here the one of
    :class:`~skdomain.DeepCORALClassifier`); the shared parameters are inherited:

    >>> from skdomain.base import BaseDeepClassifier, Parameter
    >>> from skdomain.nn import CORALTerm
    >>> class CovarianceAligned(BaseDeepClassifier):
    ...     parameters = (Parameter.weight("coral_weight", 1.0, "Weight of CORAL."),)
    ...     def _make_terms(self):
    ...         return [CORALTerm(self.coral_weight)]
    >>> params = CovarianceAligned(coral_weight=2.0).get_params()
    >>> params["coral_weight"], params["class_weight"], params["fisher_weight"]
    (2.0, None, 0.0)
    """

    attributes_doc = (
        """classes_ : ndarray of shape (n_classes,)
        Class labels.
    """
        + _COMMON_ATTRIBUTES_DOC
    )

    parameters = (
        Parameter(
            "class_weight", None, [dict, one_of("balanced"), None],
            'dict, "balanced" or None', "Weights of the classes in the cross-entropy.",
        ),
        Parameter.weight(
            "fisher_weight", 0.0,
            """Weight of the Fisher loss on source latents (learnable class centers):
            compact classes, far-apart centers. 0 switches it off.""",
        ),
        Parameter.weight(
            "entropy_weight", 0.0,
            """Weight of the entropy of the predictions on source and target
            (entropy minimization). 0 switches it off.""",
        ),
        Parameter(
            "fisher_form", "ratio", [one_of("ratio", "difference")], '{"ratio", "difference"}',
            "Trace-ratio (intra / inter) or difference (intra - inter) Fisher loss.",
        ),
    )

    _stratify_validation = True

    def _make_objective(self) -> Objective:
        return ClassificationObjective(
            **self._objective_shape(),
            fisher_weight=self.fisher_weight,
            fisher_form=self.fisher_form,
            entropy_weight=self.entropy_weight,
            terms=self._make_terms(),
        )

    def _encode_y(self, y, *, fitting: bool):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it was raveled.",
                DataConversionWarning,
                stacklevel=4,
            )
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(f"y must be one-dimensional, got shape {y.shape}.")
        if y.dtype == object:
            kinds = {"str" if isinstance(v, str) else "number" if isinstance(v, numbers.Number)
                     else type(v).__name__ for v in y.tolist()}
            if len(kinds) > 1:
                raise ValueError(
                    f"y mixes labels of different types ({', '.join(sorted(kinds))}); use "
                    "labels of one type (all int or all str)."
                )
        check_classification_targets(y)
        if fitting:
            encoder = LabelEncoder()
            classes = getattr(self, "_partial_fit_classes", None)
            encoder.fit(y if classes is None else classes)
            if len(encoder.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in y; "
                    f"got 1 class ({encoder.classes_[0]!r})."
                )
            self.classes_ = encoder.classes_
            self._label_encoder = encoder
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"y contains labels not seen in the first fit: {unknown[:5]}.")
        return self._label_encoder.transform(y)

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _y_tensor(self, y, device):
        return torch.as_tensor(y, dtype=torch.long).to(device)

    def _objective_shape(self) -> dict:
        """The arguments every classification objective takes: classes, latent size, weights."""
        return {
            "n_classes": len(self.classes_),
            "latent_dim": self.n_latent_,
            "class_weight": self._class_weight_tensor(),
        }

    def _class_weight_tensor(self):
        """Cross-entropy weights from ``class_weight`` and the labels being fitted."""
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, str):
            present = np.unique(self._training_labels)
            weights = np.ones(len(self.classes_))
            mask = np.isin(self.classes_, present)
            weights[mask] = compute_class_weight(
                self.class_weight, classes=self.classes_[mask], y=self._training_labels
            )
        else:
            unknown = [c for c in self.class_weight if not np.any(self.classes_ == c)]
            if unknown:
                raise ValueError(
                    f"class_weight has classes {unknown} that are not in y's classes "
                    f"{self.classes_.tolist()}."
                )
            weights = np.asarray([self.class_weight.get(c, 1.0) for c in self.classes_], float)
            if not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise ValueError(
                    f"class_weight values must be finite and non-negative, got {self.class_weight}."
                )
        return torch.as_tensor(weights, dtype=torch.float32)

    def _fit(self, X, y, X_target, *, epochs, continue_training):
        self._training_labels = np.asarray(y).ravel()
        try:
            return super()._fit(
                X, y, X_target, epochs=epochs, continue_training=continue_training
            )
        finally:
            del self._training_labels

    @array_method_doc("ndarray of shape (n_samples, n_classes)")
    def predict_proba(self, X):
        """Class probabilities (softmax of the head's outputs)."""
        proba = self._forward(X, lambda module, xb: torch.softmax(module(xb), dim=1))
        return proba.astype(np.float64)

    @array_method_doc("ndarray of shape (n_samples,)")
    def predict(self, X):
        """Most probable class of each sample."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class BaseDeepRegressor(RegressorMixin, BaseDeepEstimator):
    """Shared regression logic: targets are standardized inside the network.

    Fitted ``y_mean_`` and ``y_scale_`` undo the standardization at prediction.
    The objective is a :class:`~skdomain.nn.RegressionObjective`: mean squared
    error, then the terms of ``_make_terms``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain import SourceOnlyRegressor
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> reg = SourceOnlyRegressor(max_epochs=2, random_state=0).fit(X, 100 + 10 * X[:, 0])
    >>> bool(abs(reg.y_mean_[0] - 100) < 5), reg.predict(X).shape
    (True, (50,))
    """

    attributes_doc = (
        """y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Standardization of the targets (undone by ``predict``).
    """
        + _COMMON_ATTRIBUTES_DOC
    )

    def _make_objective(self) -> Objective:
        return RegressionObjective(terms=self._make_terms())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _encode_y(self, y, *, fitting: bool):
        y = check_array(
            y, ensure_2d=False, dtype=[np.float64, np.float32], ensure_all_finite=True,
            input_name="y",
        )
        if y.ndim > 2:
            raise ValueError(f"y must be 1d or 2d, got shape {y.shape}.")
        y2d = y.reshape(-1, 1) if y.ndim == 1 else y
        if fitting:
            self._y_ndim = y.ndim
            self.y_mean_ = y2d.mean(axis=0)
            scale = y2d.std(axis=0)
            self.y_scale_ = np.where(scale > 0, scale, 1.0)
        elif y2d.shape[1] != self.y_mean_.shape[0]:
            raise ValueError(
                f"y has {y2d.shape[1]} outputs, but the estimator was fitted with "
                f"{self.y_mean_.shape[0]}."
            )
        return (y2d - self.y_mean_) / self.y_scale_

    def _n_outputs(self) -> int:
        return int(self.y_mean_.shape[0])

    def _y_tensor(self, y, device):
        return torch.as_tensor(y, dtype=torch.float32).to(device)

    @array_method_doc("ndarray of shape (n_samples,) or (n_samples, n_outputs)")
    def predict(self, X):
        """Predicted targets in the units of the training ``y``."""
        scaled = self._forward(X, lambda module, xb: module(xb)).astype(np.float64)
        y = scaled * self.y_scale_ + self.y_mean_
        return y.ravel() if self._y_ndim == 1 else y
