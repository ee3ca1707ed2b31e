"""A pipeline that carries the unlabeled target domain through its steps.

In a plain ``make_pipeline(StandardScaler(), MMDClassifier())``, a target set
passed as ``mmdclassifier__X_target`` reaches the estimator *unscaled*, while the
source was scaled: the two domains then live in different units and the
alignment loss compares apples with oranges. :class:`DAPipeline` transforms
``X_target`` with every transformer step, and can fit those transformers on
source and target together.

:class:`DAPipeline` is built on scikit-learn's public API only: it holds its
``steps`` itself (composition, not a ``Pipeline`` subclass), fits them itself,
and hands everything that does not involve ``X_target`` (prediction,
``transform``, ``score``, tags, metadata routing of those methods) to a plain
:class:`~sklearn.pipeline.Pipeline` over the same, already fitted, step objects.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np
import sklearn
from scipy import sparse
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils import Bunch, get_tags
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, check_memory

from ._docstrings import X_PARAMETER, X_TARGET_PARAMETER, array_method_doc

__all__ = ["DAPipeline", "make_da_pipeline"]

_FIT_ON = ("source", "both")


def _stack_domains(X, X_target):
    """Rows of ``X`` followed by the rows of ``X_target``, keeping the container type."""
    if hasattr(X, "iloc") and hasattr(X_target, "iloc"):
        import pandas as pd

        return pd.concat([X, X_target], axis=0, ignore_index=True)
    if sparse.issparse(X) or sparse.issparse(X_target):
        return sparse.vstack([X, X_target]).tocsr()
    return np.concatenate([np.asarray(X), np.asarray(X_target)], axis=0)


def _check_target_like_source(X, X_target):
    """Blame ``X_target``, not ``X``, when the two domains have different features.

    Without this check the first transformer's ``transform(X_target)`` fails
    with a message about ``X`` ("X has 3 features, but StandardScaler is
    expecting 2"), which points at the wrong argument.
    """
    columns, target_columns = getattr(X, "columns", None), getattr(X_target, "columns", None)
    if columns is not None and target_columns is not None and list(columns) != list(
        target_columns
    ):
        raise ValueError(
            "X_target has columns that differ from those of X: "
            f"{list(target_columns)} vs {list(columns)}."
        )
    shape, target_shape = np.shape(X), np.shape(X_target)
    if len(shape) > 1 and shape[1:] != target_shape[1:]:
        what = "features" if len(shape) == 2 else "sample shape"
        raise ValueError(
            f"X_target has {what} {tuple(target_shape[1:])}, but X has {tuple(shape[1:])}: "
            "source and target must describe samples the same way."
        )


def _fit_transform_step(transformer, X, y, X_target, fit_on, params):
    """Fit one transformer step and return (X, X_target) transformed, and the step.

    Module level so that ``memory`` can cache it.
    """
    fit_params = params.get("fit_transform", {}) or params.get("fit", {})
    transform_params = params.get("transform", {})
    if X_target is None or fit_on == "source":
        if hasattr(transformer, "fit_transform"):
            Xt = transformer.fit_transform(X, y, **fit_params)
        else:
            Xt = transformer.fit(X, y, **fit_params).transform(X, **transform_params)
    else:
        if fit_params:
            raise ValueError(
                "fit_transformers_on='both' fits the transformers on source and target "
                f"rows stacked, so per-source-sample fit parameters {sorted(fit_params)} "
                "cannot be passed to them; use fit_transformers_on='source'."
            )
        # Labels exist for the source rows only, so the transformers are fitted
        # without y: 'both' is meant for unsupervised steps (scalers, PCA, ...).
        transformer.fit(_stack_domains(X, X_target))
        Xt = transformer.transform(X, **transform_params)
    Xt_target = None if X_target is None else transformer.transform(X_target, **transform_params)
    return Xt, Xt_target, transformer


def _skipped(step):
    return step is None or (isinstance(step, str) and step == "passthrough")


def _pipeline_has(attr):
    """``available_if`` check: the equivalent plain Pipeline offers ``attr``."""

    def check(self):
        return hasattr(self._as_pipeline(), attr)

    return check


def _delegated(method, summary, returns):
    """A ``DAPipeline`` method that runs ``method`` of a plain Pipeline over the fitted steps."""

    def delegate(self, X, **params):
        return getattr(self._fitted_pipeline(), method)(X, **params)

    delegate.__name__ = method
    delegate.__qualname__ = f"DAPipeline.{method}"
    delegate.__doc__ = f"""{summary}

    Parameters
    ----------
    {X_PARAMETER}
    **params : dict
        Metadata, routed as in :meth:`sklearn.pipeline.Pipeline.{method}`.

    Returns
    -------
    {returns}
    """
    return available_if(_pipeline_has(method))(delegate)


def _fit_then_doc(action, returns):
    """Docstring of a ``fit_<method>``: fit, then apply ``<method>`` to the source ``X``."""

    def decorate(method):
        method.__doc__ = f"""Fit (see :meth:`fit`) and {action}.

        Parameters
        ----------
        X, y, X_target, **params
            As in :meth:`fit`.

        Returns
        -------
        {returns.replace(chr(10), chr(10) + " " * 8)}
        """
        return method

    return decorate


class DAPipeline(BaseEstimator):
    """A pipeline whose ``fit`` transforms ``X_target`` too.

    ``fit(X, y, X_target=X_target)`` fits every transformer step, transforms the
    source *and* the target rows with it, and finally calls
    ``final_step.fit(Xt, y, X_target=Xt_target)``, so a domain-adaptation
    estimator at the end sees both domains in the same space. Prediction,
    ``transform``, ``score``, ``named_steps``, indexing and slicing,
    ``get_params``/``set_params`` with ``step__param`` names behave as in
    :class:`~sklearn.pipeline.Pipeline`.

    It works without scikit-learn's metadata routing. When routing is enabled
    (``sklearn.set_config(enable_metadata_routing=True)``), the pipeline
    requests ``X_target`` for ``fit`` by default, so
    ``GridSearchCV(pipe, ...).fit(X, y, X_target=Xt)`` forwards it without
    any ``set_fit_request`` call; other metadata is routed as in ``Pipeline``.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        Transformers (or ``"passthrough"``) followed by a final estimator whose
        ``fit`` accepts ``X_target`` (a skdomain estimator). A final estimator
        without it is fitted on the source only when ``X_target`` is None and
        raises a ``TypeError`` otherwise.
    fit_transformers_on : {"source", "both"}, default="source"
        ``"source"``: fit each transformer on the (transformed) source rows, as
        a plain Pipeline does, then apply it to the target. ``"both"``: fit it
        on source and target rows stacked (e.g. a scaler that standardizes the
        union of simulations and observations). With ``"both"`` the
        transformers are fitted without ``y`` and without fit parameters.
        Without ``X_target`` both options fit on the source.
    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted transformers (as in :class:`~sklearn.pipeline.Pipeline`).
    verbose : bool, default=False
        Print the time elapsed while fitting each step.

    Attributes
    ----------
    named_steps : Bunch
        The steps by name.
    classes_ : ndarray
        The final estimator's classes (classifiers only).
    n_features_in_ : int
        Number of features seen by the first step.
    feature_names_in_ : ndarray of str
        Names of the features seen by the first step (DataFrame input only).

    See Also
    --------
    make_da_pipeline : Build a DAPipeline, naming the steps automatically.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdomain import MMDClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> from skdomain.pipeline import DAPipeline
    >>> X, y, X_target, y_target = make_rotated_moons(100, random_state=0)
    >>> pipe = DAPipeline(
    ...     [("scale", StandardScaler()), ("mmd", MMDClassifier(max_epochs=2, random_state=0))],
    ...     fit_transformers_on="both",
    ... )
    >>> pipe.fit(X, y, X_target=X_target).predict(X_target).shape
    (100,)
    >>> pipe.named_steps["scale"] is pipe[0]
    True
    """

    # Routed by GridSearchCV / cross_validate when metadata routing is enabled.
    __metadata_request__fit = {"X_target": True}

    def __init__(self, steps, *, fit_transformers_on="source", memory=None, verbose=False):
        self.steps = steps
        self.fit_transformers_on = fit_transformers_on
        self.memory = memory
        self.verbose = verbose

    # Composition: the steps and their parameters --------------------------
    def get_params(self, deep=True):
        """Parameters of the pipeline and, with ``deep``, of its steps.

        Parameters
        ----------
        deep : bool, default=True
            Also return every step by name and its parameters as
            ``step__param``.

        Returns
        -------
        params : dict
        """
        params = super().get_params(deep=False)
        if not deep:
            return params
        for name, step in self.steps:
            params[name] = step
            if hasattr(step, "get_params") and not isinstance(step, type):
                for key, value in step.get_params(deep=True).items():
                    params[f"{name}__{key}"] = value
        return params

    def set_params(self, **params):
        """Set parameters of the pipeline, replace steps, or set step parameters.

        Parameters
        ----------
        **params : dict
            ``steps``, ``fit_transformers_on``, ``memory``, ``verbose``; a step
            name to replace that step; ``step__param`` to set a step parameter.

        Returns
        -------
        self : DAPipeline
        """
        if "steps" in params:
            self.steps = params.pop("steps")
        names = [name for name, _ in self.steps]
        for name in [key for key in params if key in names]:
            replacement = params.pop(name)
            self.steps = [(n, replacement if n == name else s) for n, s in self.steps]
        super().set_params(**params)
        return self

    @property
    def named_steps(self):
        """The steps by name (a :class:`~sklearn.utils.Bunch`)."""
        return Bunch(**dict(self.steps))

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, ind):
        if isinstance(ind, slice):
            if ind.step not in (1, None):
                raise ValueError("Pipeline slicing only supports a step of 1")
            return self.__class__(
                self.steps[ind],
                fit_transformers_on=self.fit_transformers_on,
                memory=self.memory,
                verbose=self.verbose,
            )
        if isinstance(ind, str):
            return self.named_steps[ind]
        return self.steps[ind][1]

    def _as_pipeline(self):
        """A plain Pipeline over the same step objects (fitted or not)."""
        return Pipeline(self.steps)

    def _fitted_pipeline(self):
        check_is_fitted(self)
        return self._as_pipeline()

    # Fitting ---------------------------------------------------------------
    def _validate_steps(self):
        if self.fit_transformers_on not in _FIT_ON:
            raise ValueError(
                "The 'fit_transformers_on' parameter of DAPipeline must be 'source' or "
                f"'both', got {self.fit_transformers_on!r}."
            )
        try:
            steps = [(name, step) for name, step in self.steps]
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"steps must be a list of (name, estimator) tuples, got {self.steps!r}."
            ) from error
        if not steps:
            raise ValueError("DAPipeline needs at least one step.")
        names = [name for name, _ in steps]
        own = set(super().get_params(deep=False))
        for name in names:
            if not isinstance(name, str) or "__" in name or name in own or names.count(name) > 1:
                raise ValueError(
                    f"Invalid step name {name!r}: step names must be unique strings without "
                    f"'__' and different from the pipeline's parameters {sorted(own)}."
                )
        for name, step in steps[:-1]:
            if not _skipped(step) and not (
                (hasattr(step, "fit") or hasattr(step, "fit_transform"))
                and hasattr(step, "transform")
            ):
                raise TypeError(
                    f"All intermediate steps should be transformers (fit and transform) or "
                    f"'passthrough'; step {name!r} is {step!r}."
                )
        final_name, final = steps[-1]
        if not _skipped(final) and not hasattr(final, "fit"):
            raise TypeError(
                f"The last step should be an estimator with fit or 'passthrough'; "
                f"step {final_name!r} is {final!r}."
            )
        self.steps = steps

    def _route_fit_params(self, params):
        """Per-step fit parameters: by metadata routing, or ``step__param`` names."""
        if sklearn.get_config()["enable_metadata_routing"]:
            return process_routing(self, "fit", **params)
        names = [name for name, _ in self.steps]
        routed = {name: Bunch(fit={}, fit_transform={}, transform={}) for name in names}
        for key, value in params.items():
            name, sep, param = key.partition("__")
            if not sep or name not in routed:
                raise ValueError(
                    f"DAPipeline.fit does not accept the {key} parameter. Pass parameters "
                    f"to a step as stepname__parameter, e.g. {names[-1]}__sample_weight=..., "
                    f"with a step name among {names}."
                )
            routed[name].fit[param] = value
            routed[name].fit_transform[param] = value
        return routed

    @contextmanager
    def _timed(self, step_idx):
        start = time.perf_counter()
        yield
        if self.verbose:
            name = self.steps[step_idx][0]
            print(
                f"[DAPipeline] (step {step_idx + 1} of {len(self.steps)}) Processing "
                f"{name}, total={time.perf_counter() - start:6.1f}s"
            )

    def fit(self, X, y=None, X_target=None, **params):
        """Fit the transformers on the domains, then the final estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Labeled source inputs.
        y : array-like of shape (n_samples,), default=None
            Source labels.
        X_target : array-like of shape (n_target, ...), default=None
            Unlabeled target inputs, transformed by every transformer step and
            passed to the final estimator's ``fit`` as ``X_target``.
        **params : dict
            Other fit parameters, as for :meth:`sklearn.pipeline.Pipeline.fit`
            (``step__param`` without metadata routing).

        Returns
        -------
        self : DAPipeline
        """
        self._validate_steps()
        final_name, final = self.steps[-1]
        if f"{final_name}__X_target" in params:
            raise ValueError(
                f"Pass the target domain as X_target=..., not {final_name}__X_target=...: "
                "only then is it transformed by the pipeline's steps."
            )
        if X_target is not None:
            _check_target_like_source(X, X_target)
        routed = self._route_fit_params(params)
        memory = check_memory(self.memory)
        fit_step = memory.cache(_fit_transform_step)
        caching = getattr(memory, "location", None) is not None
        Xt, Xt_target = X, X_target
        for step_idx, (name, transformer) in enumerate(self.steps[:-1]):
            if _skipped(transformer):
                continue
            with self._timed(step_idx):
                Xt, Xt_target, fitted = fit_step(
                    clone(transformer) if caching else transformer,
                    Xt,
                    y,
                    Xt_target,
                    self.fit_transformers_on,
                    dict(routed[name]),
                )
            self.steps[step_idx] = (name, fitted)
        if not _skipped(final):
            final_params = dict(routed[final_name]["fit"])
            if Xt_target is not None:
                final_params["X_target"] = Xt_target
            with self._timed(len(self.steps) - 1):
                final.fit(Xt, y, **final_params)
        return self

    @available_if(_pipeline_has("transform"))
    @_fit_then_doc(
        "return the transformed source ``X``",
        "ndarray\n    ``X`` passed through every step's ``transform``.",
    )
    def fit_transform(self, X, y=None, X_target=None, **params):
        return self.fit(X, y, X_target=X_target, **params).transform(X)

    @available_if(_pipeline_has("predict"))
    @_fit_then_doc("predict the source ``X``", "ndarray of shape (n_samples,)")
    def fit_predict(self, X, y=None, X_target=None, **params):
        return self.fit(X, y, X_target=X_target, **params).predict(X)

    @array_method_doc(
        "array-like", "What the final estimator receives for these rows.",
        parameter=X_TARGET_PARAMETER,
    )
    def transform_target(self, X_target):
        """Apply the fitted transformer steps (all but the last) to target rows."""
        check_is_fitted(self)
        n_features = getattr(self.steps[0][1], "n_features_in_", None)
        shape = np.shape(X_target)
        if n_features is not None and len(shape) == 2 and shape[1] != n_features:
            raise ValueError(
                f"X_target has {shape[1]} features, but the pipeline was fitted on X "
                f"with {n_features}."
            )
        Xt = X_target
        for _, transformer in self.steps[:-1]:
            if not _skipped(transformer):
                Xt = transformer.transform(Xt)
        return Xt

    # Everything without X_target: a plain Pipeline over the fitted steps ---
    predict = _delegated(
        "predict",
        "Transform ``X`` with the transformer steps and predict with the final one.",
        "ndarray of shape (n_samples,)",
    )
    predict_proba = _delegated(
        "predict_proba",
        "Class probabilities of the final step for the transformed ``X``.",
        "ndarray of shape (n_samples, n_classes)",
    )
    predict_log_proba = _delegated(
        "predict_log_proba",
        "Log class probabilities of the final step for the transformed ``X``.",
        "ndarray of shape (n_samples, n_classes)",
    )
    decision_function = _delegated(
        "decision_function",
        "Decision function of the final step for the transformed ``X``.",
        "ndarray",
    )
    score_samples = _delegated(
        "score_samples",
        "Per-sample scores of the final step for the transformed ``X``.",
        "ndarray of shape (n_samples,)",
    )
    transform = _delegated(
        "transform", "Apply every step's ``transform`` (the final step's too).", "array-like"
    )
    inverse_transform = _delegated(
        "inverse_transform",
        "Apply every step's ``inverse_transform``, last step first.",
        "array-like",
    )

    @available_if(_pipeline_has("score"))
    def score(self, X, y=None, sample_weight=None, **params):
        """Score of the final step on the transformed ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y : array-like of shape (n_samples,), default=None
        sample_weight : array-like of shape (n_samples,), default=None
        **params : dict
            As in :meth:`sklearn.pipeline.Pipeline.score`.

        Returns
        -------
        float
        """
        return self._fitted_pipeline().score(X, y, sample_weight=sample_weight, **params)

    def get_feature_names_out(self, input_features=None):
        """Output feature names of the whole pipeline.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        ndarray of str
        """
        return self._as_pipeline().get_feature_names_out(input_features)

    def set_output(self, *, transform=None):
        """Set the output container of every step that supports it.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None

        Returns
        -------
        self : DAPipeline
        """
        for _, step in self.steps:
            if hasattr(step, "set_output"):
                step.set_output(transform=transform)
        return self

    @property
    def classes_(self):
        """The classes of the final step (classifiers only)."""
        return self._as_pipeline().classes_

    @property
    def n_features_in_(self):
        """Number of features seen by the first step."""
        return self._as_pipeline().n_features_in_

    @property
    def feature_names_in_(self):
        """Names of the features seen by the first step."""
        return self._as_pipeline().feature_names_in_

    def __sklearn_is_fitted__(self):
        return self._as_pipeline().__sklearn_is_fitted__()

    def __sklearn_tags__(self):
        return get_tags(self._as_pipeline())

    def get_metadata_routing(self):
        """The routing of a Pipeline of these steps, plus a request for ``X_target`` in ``fit``.

        Returns
        -------
        MetadataRouter
        """
        router = self._as_pipeline().get_metadata_routing()
        router.owner = type(self).__name__
        return router.add_self_request(self)


def make_da_pipeline(*steps, fit_transformers_on="source", memory=None, verbose=False):
    """Build a :class:`DAPipeline` from estimators, naming the steps after their classes.

    Parameters
    ----------
    *steps : estimators
        Transformers followed by a domain-adaptation estimator.
    fit_transformers_on : {"source", "both"}, default="source"
        Fit the transformers on the source rows only, or on source and target
        rows stacked. See :class:`DAPipeline`.
    memory : str or joblib.Memory, default=None
    verbose : bool, default=False

    Returns
    -------
    DAPipeline
        Unfitted; the steps are named after their classes in lowercase
        (numbered when a class repeats), as by ``make_pipeline``.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdomain import DANNClassifier
    >>> from skdomain.pipeline import make_da_pipeline
    >>> pipe = make_da_pipeline(StandardScaler(), DANNClassifier(domain_weight=0.3))
    >>> [name for name, _ in pipe.steps]
    ['standardscaler', 'dannclassifier']
    >>> pipe.get_params()["dannclassifier__domain_weight"]
    0.3
    """
    if fit_transformers_on not in _FIT_ON:
        raise ValueError(
            f"fit_transformers_on must be 'source' or 'both', got {fit_transformers_on!r}."
        )
    if not steps:
        raise ValueError("make_da_pipeline needs at least one estimator.")
    # make_pipeline names the steps (lower-cased class names, numbered when repeated).
    return DAPipeline(
        make_pipeline(*steps).steps,
        fit_transformers_on=fit_transformers_on,
        memory=memory,
        verbose=verbose,
    )
