"""A scikit-learn Pipeline that carries the unlabelled target domain through its steps.

In a plain ``make_pipeline(StandardScaler(), MMDClassifier())``, a target set
passed as ``mmdclassifier__X_target`` reaches the estimator *unscaled*, while the
source was scaled: the two domains then live in different units and the
alignment loss compares apples with oranges. :class:`DAPipeline` transforms
``X_target`` with every transformer step, and can fit those transformers on
source and target together.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import _fit_context, clone
from sklearn.pipeline import Pipeline, _name_estimators
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_memory

__all__ = ["DAPipeline", "make_da_pipeline"]


def _stack_domains(X, X_target):
    """Rows of ``X`` followed by the rows of ``X_target``, keeping the container type."""
    if hasattr(X, "iloc") and hasattr(X_target, "iloc"):
        import pandas as pd

        return pd.concat([X, X_target], axis=0, ignore_index=True)
    if sparse.issparse(X) or sparse.issparse(X_target):
        return sparse.vstack([X, X_target]).tocsr()
    return np.concatenate([np.asarray(X), np.asarray(X_target)], axis=0)


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


class DAPipeline(Pipeline):
    """A :class:`~sklearn.pipeline.Pipeline` that transforms ``X_target`` too.

    ``fit(X, y, X_target=X_target)`` fits every transformer step, transforms the
    source *and* the target rows with it, and finally calls
    ``final_step.fit(Xt, y, X_target=Xt_target)``, so a domain-adaptation
    estimator at the end sees both domains in the same space. Prediction,
    ``transform``, ``score`` etc. behave as in ``Pipeline``.

    It works without scikit-learn's metadata routing. When routing is enabled
    (``sklearn.set_config(enable_metadata_routing=True)``), the pipeline
    requests ``X_target`` for ``fit`` by default, so
    ``GridSearchCV(pipe, ...).fit(X, y, X_target=Xt)`` forwards it without
    any ``set_fit_request`` call; other metadata is routed as in ``Pipeline``.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        Transformers followed by a final estimator whose ``fit`` accepts
        ``X_target`` (a skdomain estimator). A final estimator without it is
        fitted on the source only when ``X_target`` is None and raises a
        ``TypeError`` otherwise.
    fit_transformers_on : {"source", "both"}, default="source"
        ``"source"``: fit each transformer on the (transformed) source rows, as
        a plain Pipeline does, then apply it to the target. ``"both"``: fit it
        on source and target rows stacked (e.g. a scaler that standardises the
        union of simulations and observations). With ``"both"`` the
        transformers are fitted without ``y`` and without fit parameters.
        Without ``X_target`` both options fit on the source.
    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted transformers (see :class:`~sklearn.pipeline.Pipeline`).
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
    """

    _parameter_constraints: dict = {
        **Pipeline._parameter_constraints,
        "fit_transformers_on": [StrOptions({"source", "both"})],
    }
    _parameter_constraints.pop("transform_input", None)

    # Routed by GridSearchCV / cross_validate when metadata routing is enabled.
    __metadata_request__fit = {"X_target": True}

    # Pipeline's own ``transform_input`` (metadata transformed by the steps when
    # routing is enabled) is superseded here by the explicit ``X_target``.
    transform_input = None

    def __init__(self, steps, *, fit_transformers_on="source", memory=None, verbose=False):
        self.steps = steps
        self.fit_transformers_on = fit_transformers_on
        self.memory = memory
        self.verbose = verbose

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
        return super().__getitem__(ind)

    def _fit_with_target(self, X, y, X_target, params):
        final_name = self.steps[-1][0]
        if f"{final_name}__X_target" in params:
            raise ValueError(
                f"Pass the target domain as X_target=..., not {final_name}__X_target=...: "
                "only then is it transformed by the pipeline's steps."
            )
        routed = self._check_method_params(method="fit", props=params)
        self.steps = list(self.steps)
        self._validate_steps()
        fit_step = check_memory(self.memory).cache(_fit_transform_step)
        Xt, Xt_target = X, X_target
        for step_idx, name, transformer in self._iter(
            with_final=False, filter_passthrough=False
        ):
            if transformer is None or transformer == "passthrough":
                continue
            memory = check_memory(self.memory)
            if hasattr(memory, "location") and memory.location is None:
                step = transformer
            else:
                step = clone(transformer)
            Xt, Xt_target, fitted = fit_step(
                step, Xt, y, Xt_target, self.fit_transformers_on, dict(routed[name])
            )
            self.steps[step_idx] = (name, fitted)
        return Xt, Xt_target, dict(routed[final_name]["fit"])

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, X_target=None, **params):
        """Fit the transformers on the domains, then the final estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Labelled source inputs.
        y : array-like of shape (n_samples,), default=None
            Source labels.
        X_target : array-like of shape (n_target, ...), default=None
            Unlabelled target inputs, transformed by every transformer step and
            passed to the final estimator's ``fit`` as ``X_target``.
        **params : dict
            Other fit parameters, as for :meth:`sklearn.pipeline.Pipeline.fit`
            (``step__param`` without metadata routing).

        Returns
        -------
        self : DAPipeline
        """
        Xt, Xt_target, final_params = self._fit_with_target(X, y, X_target, params)
        final = self._final_estimator
        if final != "passthrough":
            if Xt_target is not None:
                final_params["X_target"] = Xt_target
            final.fit(Xt, y, **final_params)
        return self

    def fit_transform(self, X, y=None, X_target=None, **params):
        """Fit (see :meth:`fit`) and return the transformed source ``X``.

        Parameters
        ----------
        X, y, X_target, **params
            As in :meth:`fit`.

        Returns
        -------
        ndarray
            ``X`` passed through every step's ``transform``.
        """
        return self.fit(X, y, X_target=X_target, **params).transform(X)

    def fit_predict(self, X, y=None, X_target=None, **params):
        """Fit (see :meth:`fit`) and predict the source ``X``.

        Parameters
        ----------
        X, y, X_target, **params
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.fit(X, y, X_target=X_target, **params).predict(X)

    def transform_target(self, X_target):
        """Apply the fitted transformer steps (all but the last) to target rows.

        Parameters
        ----------
        X_target : array-like of shape (n_target, ...)

        Returns
        -------
        array-like
            What the final estimator receives for these rows.
        """
        Xt = X_target
        for _, _, transformer in self._iter(with_final=False, filter_passthrough=True):
            Xt = transformer.transform(Xt)
        return Xt

    def get_metadata_routing(self):
        """Pipeline routing plus this pipeline's own request for ``X_target`` in ``fit``."""
        router = super().get_metadata_routing()
        router.add_self_request(self)
        return router


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
    if fit_transformers_on not in ("source", "both"):
        raise ValueError(
            f"fit_transformers_on must be 'source' or 'both', got {fit_transformers_on!r}."
        )
    if not steps:
        raise ValueError("make_da_pipeline needs at least one estimator.")
    return DAPipeline(
        _name_estimators(steps),
        fit_transformers_on=fit_transformers_on,
        memory=memory,
        verbose=verbose,
    )
