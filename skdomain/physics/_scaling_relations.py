"""Power-law scaling relations fitted in log space: the physics baselines.

``M = A * prod_i (x_i / pivot_i) ** B_i`` is a straight line in ``log10``:
the classic mass proxies of galaxy clusters (``Mgas``, ``T``, ``Yx = Mgas * T``)
are one-observable cases. Two fitting methods are offered: ordinary least
squares of ``log M`` on ``log x`` (the mass estimator with the smallest
vertical scatter), and orthogonal regression (BCES-orthogonal of Akritas &
Bershady 1996 for one observable, total least squares for several), which
treats both axes symmetrically as astronomers do when both carry scatter.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from .._compat import StrOptions, _fit_context

__all__ = ["ScalingRelationRegressor", "YxScalingRegressor"]


class ScalingRelationRegressor(RegressorMixin, BaseEstimator):
    """Power-law scaling relation ``M = A (x / pivot) ** B`` fitted in log space.

    Parameters
    ----------
    observable : str, int, list of str/int or None, default=None
        The column(s) used as mass proxy: a column name (DataFrame input; a
        single-column array is also accepted for a name), a column index, a
        list of them, or ``None`` for every column of ``X`` (a multivariate
        power law).
    method : {"ols", "orthogonal", "bisector"}, default="ols"
        ``"ols"``: least squares of ``log10 M`` on ``log10 x``. ``"orthogonal"``:
        the line minimizing orthogonal distances in the (standardization-free)
        log-log plane, BCES-orthogonal for one observable and total least
        squares for several. ``"bisector"``: the BCES bisector of the
        ``Y|X`` and ``X|Y`` lines (one observable only).
    target : {"log10", "linear"}, default="log10"
        Whether ``y`` is ``log10 M`` (as returned by
        :func:`skdomain.datasets.make_cluster_profiles`) or ``M`` itself;
        predictions come in the same form.
    pivot : float, array-like or None, default=None
        Pivot of each observable (linear units); ``None`` takes the median of
        the training data, which decorrelates normalization and slope.

    Attributes
    ----------
    observables_ : list
        The columns used (names or indices).
    pivot_ : ndarray of shape (n_observables,)
    slope_ : float or ndarray of shape (n_observables,)
        ``B`` (an array when several observables are used).
    intercept_ : float
        ``log10 A``.
    normalization_ : float
        ``A``: the mass at the pivot, in the linear units of the target.
    scatter_ : float
        Standard deviation (dex) of ``log10 M - log10 M_pred`` on the training
        data, with one degree of freedom per fitted parameter.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = 10 ** rng.uniform(12, 14, size=(300, 1))
    >>> log_m = 14.0 + 0.6 * (np.log10(x[:, 0]) - 13) + rng.normal(0, 0.02, 300)
    >>> rel = ScalingRelationRegressor(pivot=1e13).fit(x, log_m)
    >>> round(rel.slope_, 2), round(rel.intercept_, 2)
    (0.6, 14.0)
    """

    _parameter_constraints: dict = {
        "observable": [str, numbers.Integral, list, tuple, None],
        "method": [StrOptions({"ols", "orthogonal", "bisector"})],
        "target": [StrOptions({"log10", "linear"})],
        "pivot": [numbers.Real, "array-like", None],
    }

    def __init__(self, observable=None, *, method="ols", target="log10", pivot=None):
        self.observable = observable
        self.method = method
        self.target = target
        self.pivot = pivot

    # Input handling -----------------------------------------------------------
    def _columns(self, X, n_features: int) -> list:
        """Indices of the observable columns of ``X``."""
        wanted = self.observable
        if wanted is None:
            return list(range(n_features))
        items = list(wanted) if isinstance(wanted, list | tuple) else [wanted]
        names = getattr(self, "feature_names_in_", None)
        if hasattr(X, "columns"):
            names = np.asarray([str(c) for c in X.columns], dtype=object)
        indices = []
        for item in items:
            if isinstance(item, numbers.Integral):
                if not -n_features <= item < n_features:
                    raise ValueError(f"observable index {item} is out of range for {n_features} "
                                     "columns.")
                indices.append(int(item) % n_features)
            elif names is not None and item in list(names):
                indices.append(list(names).index(item))
            elif names is None and n_features == 1 and len(items) == 1:
                indices.append(0)
            else:
                raise ValueError(
                    f"observable {item!r} is not a column of X"
                    + ("" if names is not None else
                       " (X has no column names: pass a DataFrame or an integer index)")
                    + "."
                )
        return indices

    def _log_observables(self, X, *, reset: bool) -> np.ndarray:
        frame = X
        X = validate_data(self, X, reset=reset, dtype=np.float64, ensure_all_finite=True,
                          ensure_min_samples=2 if reset else 1)
        if reset:
            self._indices = self._columns(frame, X.shape[1])
            self.observables_ = (
                [self.feature_names_in_[i] for i in self._indices]
                if hasattr(self, "feature_names_in_") else list(self._indices)
            )
        values = X[:, self._indices]
        if np.any(values <= 0):
            bad = int(np.sum(np.any(values <= 0, axis=1)))
            raise ValueError(
                ("Negative values in data. " if np.any(values < 0) else "")
                + f"A power law is fitted in log space, but {bad} sample(s) have a "
                f"non-positive observable ({', '.join(map(str, self.observables_))}): "
                "remove them or check the units."
            )
        return np.log10(values)

    def _log_target(self, y) -> np.ndarray:
        y = column_or_1d(check_array(y, ensure_2d=False, dtype=np.float64, input_name="y"),
                         warn=True)
        if self.target == "linear":
            if np.any(y <= 0):
                raise ValueError("target='linear' needs positive masses in y.")
            return np.log10(y)
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinite values.")
        # 10.0 ** y overflows above ~308: no log10 mass is anywhere near
        if y.size and np.max(np.abs(y)) > 300:
            raise ValueError(
                f"y reaches {np.max(np.abs(y)):.3g}, which looks like linear masses, not "
                "log10 masses: pass target='linear' (or np.log10(y))."
            )
        return y

    # Fitting ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit normalization, slope(s) and scatter.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Observables (positive, linear units).
        y : array-like of shape (n_samples,)
            ``log10 M`` (or ``M`` with ``target="linear"``).

        Returns
        -------
        self
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        log_x = self._log_observables(X, reset=True)
        log_m = self._log_target(y)
        if log_x.shape[0] != log_m.shape[0]:
            raise ValueError(f"X has {log_x.shape[0]} samples but y has {log_m.shape[0]}.")
        n_obs = log_x.shape[1]
        if self.method == "bisector" and n_obs != 1:
            raise ValueError("method='bisector' is defined for one observable only.")
        if self.pivot is None:
            log_pivot = np.median(log_x, axis=0)
        else:
            pivot = np.asarray(self.pivot, dtype=float)
            if pivot.ndim > 1 or pivot.size not in (1, n_obs):
                raise ValueError(
                    f"pivot must be one number or one per observable ({n_obs}), got "
                    f"{pivot.size} values."
                )
            pivot = np.broadcast_to(pivot.reshape(-1), (n_obs,))
            if not np.all(np.isfinite(pivot)) or np.any(pivot <= 0):
                raise ValueError(f"pivot must be positive and finite, got {self.pivot!r}.")
            log_pivot = np.log10(pivot)
        centered_x = log_x - log_x.mean(axis=0)
        centered_m = log_m - log_m.mean()
        slope = self._slopes(centered_x, centered_m)
        # The line passes through the means of the log quantities.
        intercept = log_m.mean() - (log_x.mean(axis=0) - log_pivot) @ slope
        self.pivot_ = 10.0**log_pivot
        self.intercept_ = float(intercept)
        self.slope_ = float(slope[0]) if n_obs == 1 else slope
        self.normalization_ = 10.0**self.intercept_
        residuals = log_m - self._predict_log(log_x)
        dof = max(len(log_m) - (n_obs + 1), 1)
        self.scatter_ = float(np.sqrt(np.sum((residuals - residuals.mean()) ** 2) / dof))
        return self

    def _slopes(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        if self.method == "ols":
            slope, *_ = np.linalg.lstsq(x, m, rcond=None)
            return slope
        if x.shape[1] == 1:
            sxx, syy, sxy = np.sum(x[:, 0] ** 2), np.sum(m**2), np.sum(x[:, 0] * m)
            if sxy == 0 or sxx == 0:
                raise ValueError("The observable and the target are uncorrelated or constant.")
            b1, b2 = sxy / sxx, syy / sxy  # Y|X and (inverse of) X|Y slopes
            if self.method == "bisector":
                slope = (b1 * b2 - 1 + np.sqrt((1 + b1**2) * (1 + b2**2))) / (b1 + b2)
            else:
                d = b2 - 1.0 / b1
                slope = 0.5 * (d + np.sign(sxy) * np.sqrt(4.0 + d**2))
            return np.array([slope])
        # Total least squares: the normal of the best plane is the smallest
        # right-singular vector of the centered [log x, log M] matrix.
        _, _, vt = np.linalg.svd(np.column_stack([x, m]), full_matrices=False)
        normal = vt[-1]
        if abs(normal[-1]) < 1e-12:
            raise ValueError("The orthogonal fit is degenerate (vertical plane).")
        return -normal[:-1] / normal[-1]

    def _predict_log(self, log_x):
        return self.intercept_ + (log_x - np.log10(self.pivot_)) @ np.atleast_1d(self.slope_)

    def predict(self, X):
        """Mass estimates, as ``log10 M`` (or ``M`` with ``target="linear"``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "slope_")
        log_m = self._predict_log(self._log_observables(X, reset=False))
        return 10.0**log_m if self.target == "linear" else log_m

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags


class YxScalingRegressor(ScalingRelationRegressor):
    """The ``M - Yx`` relation: :class:`ScalingRelationRegressor` on the ``Yx`` column.

    ``Yx = Mgas * T`` (Kravtsov et al. 2006) is the low-scatter mass proxy that
    is insensitive to gas physics: the baseline every network must beat.

    Parameters
    ----------
    observable : str or int, default="Yx"
        The ``Yx`` column (name, or index for arrays; a single-column array is
        taken as ``Yx``).
    method : {"ols", "orthogonal", "bisector"}, default="ols"
    target : {"log10", "linear"}, default="log10"
    pivot : float or None, default=None

    Attributes
    ----------
    slope_, intercept_, normalization_, scatter_, pivot_, observables_
        See :class:`ScalingRelationRegressor`.

    Examples
    --------
    >>> from skdomain.datasets import make_cluster_profiles
    >>> X, y = make_cluster_profiles(500, random_state=0)
    >>> rel = YxScalingRegressor().fit(X, y)
    >>> 0.5 < rel.slope_ < 0.65 and rel.scatter_ < 0.06
    True
    """

    def __init__(self, observable="Yx", *, method="ols", target="log10", pivot=None):
        super().__init__(observable, method=method, target=target, pivot=pivot)
