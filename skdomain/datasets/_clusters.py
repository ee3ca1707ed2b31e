"""Mock X-ray observables of galaxy clusters from two "simulation flavours".

A stand-in for the Magneticum (training) and IllustrisTNG (test) mock catalogs
of the cluster-mass domain-shift study (seed ``000``). Each cluster gets

- a true mass ``M500`` (the label, as ``log10 M500 / Msun``);
- a gas density and a temperature profile built from a modified beta model
  (Vikhlinin et al. 2006 style) whose core radius, central cusp and cool-core
  depth follow a latent *dynamical state* ``s`` (cool core ``s < 0``, disturbed
  ``s > 0``);
- a gas fraction and a temperature set by scaling relations with correlated
  log-normal scatter, part of which follows the dynamical state;
- observed quantities measured the way X-ray analyses do, without knowing the
  true mass: ``R500`` is estimated by iterating a fiducial ``M - Yx`` relation
  on the measured ``Yx = Mgas(<R500) * T``; the profiles are sampled in radial
  bins in units of that *estimated* ``R500``; ``T`` is a core-excised
  (0.15-1 R500), emission-weighted mean temperature. Binning in units of the true
  ``R500`` would leak the label into the profile shape.

The two flavours differ in ways that are each small and physically motivated
(see :data:`FLAVOURS`): the gas-fraction normalization and its mass dependence,
the temperature-mass normalization and slope, the core structure and the mix of
dynamical states, the scatter, and how the temperature responds to the
dynamical state. The product ``Yx`` is nearly the same function of mass in both
(the gas-fraction and temperature changes largely cancel), which is why the
``Yx`` scaling relation is robust while a network that also learned the
flavour's profile-shape correlations is not.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy.integrate import cumulative_trapezoid
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from .._compat import Interval

__all__ = [
    "FLAVOURS",
    "FIDUCIAL_YX_RELATION",
    "make_cluster_profiles",
    "augment_scatter",
    "ScatterAugmenter",
    "profile_columns",
    "log_observables",
]

#: Pivot mass of the scaling relations (Msun).
M_PIVOT = 10**14.5
#: Critical density today for h = 0.7, in Msun / Mpc^3.
RHO_CRIT = 1.36e11
#: Msun / Mpc^3 -> electrons / cm^3 (mu_e = 1.17, m_p = 1.6726e-24 g).
_NE_PER_RHO = 1.989e33 / (3.0857e24) ** 3 / (1.17 * 1.6726e-24)

#: Parameters of the two simulation flavours. ``f0`` gas fraction within R500 at
#: ``M_PIVOT``, ``alpha_f`` its mass slope; ``T0`` (keV) and ``beta_T`` the
#: temperature-mass relation; ``sigma_f``, ``sigma_T`` (natural log) and ``rho``
#: the correlated intrinsic scatter; ``state_mean`` the mean dynamical state;
#: ``state_T`` the change of ln T per unit state; ``core_radius`` the core radius
#: (units of R500) of an average cluster; ``cusp`` the central density slope.
FLAVOURS: dict[str, dict[str, float]] = {
    "magneticum": dict(
        f0=0.110, alpha_f=0.14, T0=3.40, beta_T=0.63, sigma_f=0.12, sigma_T=0.09,
        rho=-0.5, state_mean=0.0, state_T=0.07, core_radius=0.12, cusp=0.5,
    ),
    "tng": dict(
        f0=0.118, alpha_f=0.20, T0=3.22, beta_T=0.58, sigma_f=0.14, sigma_T=0.09,
        rho=-0.6, state_mean=-0.15, state_T=-0.02, core_radius=0.11, cusp=0.55,
    ),
}

#: The fiducial relation used to estimate R500 from the measured Yx,
#: ``M500 = M_PIVOT * (Yx / Yx_pivot) ** slope``: the mean Magneticum-like
#: relation, fixed once, as an X-ray analysis takes a relation from the literature.
FIDUCIAL_YX_RELATION = dict(Yx_pivot=0.110 * 3.40 * 0.95 * M_PIVOT, slope=1.0 / 1.77)

_BIN_RANGE = (0.05, 1.2)  # radial bins, in units of the estimated R500
_GRID = np.geomspace(1e-3, 4.0, 400)  # internal grid, in units of the true R500


def profile_columns(n_bins: int = 12) -> list[str]:
    """Column names of :func:`make_cluster_profiles`: profile bins, then Mgas, T, Yx.

    Parameters
    ----------
    n_bins : int, default=12
        Radial bins of each profile.

    Returns
    -------
    list of str
        The column names.

    Examples
    --------
    >>> profile_columns(2)
    ['log_ne_00', 'log_ne_01', 'log_T_00', 'log_T_01', 'Mgas', 'T', 'Yx']
    """
    return (
        [f"log_ne_{i:02d}" for i in range(n_bins)]
        + [f"log_T_{i:02d}" for i in range(n_bins)]
        + ["Mgas", "T", "Yx"]
    )


def _r500(mass):
    """R500 in Mpc of a mass in Msun (z = 0)."""
    return (3.0 * mass / (4.0 * np.pi * 500.0 * RHO_CRIT)) ** (1.0 / 3.0)


def _density_shape(u, core, cusp):
    """Unnormalized modified beta model at ``u = r / R500_true`` (rows: clusters)."""
    x = u / core[:, None]
    beta = 2.0 / 3.0
    shape = x ** (-cusp[:, None]) / (1.0 + x**2) ** (1.5 * beta - 0.5 * cusp[:, None])
    return shape / (1.0 + u**3) ** (1.0 / 3.0)  # steepening beyond ~R500


def _temperature_shape(u, depth):
    """Universal temperature profile with a cool core of minimum ``depth``."""
    x = (u / 0.045) ** 1.9
    cool = (x + depth[:, None]) / (x + 1.0)
    return cool / (1.0 + (u / 0.6) ** 2) ** 0.45


def _interp_rows(x_new, x_grid, values):
    """Row-wise linear interpolation of ``values`` (n, g) at ``x_new`` (n, k)."""
    index = np.clip(np.searchsorted(x_grid, x_new) - 1, 0, x_grid.size - 2)
    x0, x1 = x_grid[index], x_grid[index + 1]
    rows = np.arange(values.shape[0])[:, None]
    w = (x_new - x0) / (x1 - x0)
    return values[rows, index] * (1 - w) + values[rows, index + 1] * w


def make_cluster_profiles(
    n_samples: int = 1000,
    *,
    flavour: str = "magneticum",
    n_bins: int = 12,
    log_mass_range: tuple[float, float] = (13.5, 15.0),
    mass_function_slope: float = 0.6,
    measurement_noise: float = 1.0,
    physics: dict | None = None,
    as_frame: bool = True,
    random_state=None,
):
    """Mock X-ray profiles and integrated observables of galaxy clusters.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of clusters.
    flavour : {"magneticum", "tng"}, default="magneticum"
        Simulation flavour (parameters in :data:`FLAVOURS`): ``"magneticum"`` is
        the training simulation, ``"tng"`` the subtly different test simulation.
    n_bins : int, default=12
        Radial bins of each profile, log-spaced over 0.05-1.2 R500 (estimated).
    log_mass_range : (float, float), default=(13.5, 15.0)
        Range of ``log10 M500 / Msun``.
    mass_function_slope : float, default=0.6
        ``dN / dlog10 M`` falls as ``10 ** (-slope * log10 M)`` (0: uniform).
    measurement_noise : float, default=1.0
        Multiplier of the observational noise on profiles and integrated
        quantities (0: noiseless observations; intrinsic scatter remains).
    physics : dict, optional
        Overrides of the flavour's parameters (keys of :data:`FLAVOURS`).
    as_frame : bool, default=True
        Return a DataFrame and a Series (named columns, see
        :func:`profile_columns`) rather than numpy arrays.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : DataFrame or ndarray of shape (n_samples, 2 * n_bins + 3)
        ``log_ne_ii``: log10 electron density (cm^-3) in bin ``ii``;
        ``log_T_ii``: log10 temperature (keV); ``Mgas``: gas mass within the
        estimated R500 (Msun); ``T``: core-excised temperature (keV);
        ``Yx = Mgas * T`` (Msun keV).
    y : Series or ndarray of shape (n_samples,)
        ``log10 M500 / Msun``, the true mass.

    Examples
    --------
    >>> X, y = make_cluster_profiles(200, random_state=0)
    >>> X.shape, y.name
    ((200, 27), 'log10_M500')
    >>> bool(np.all(X["Yx"] > 0)) and bool(y.between(13.5, 15.0).all())
    True
    >>> Xt, yt = make_cluster_profiles(200, flavour="tng", as_frame=False, random_state=0)
    >>> Xt.shape
    (200, 27)
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {sorted(FLAVOURS)}, got {flavour!r}.")
    if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if not isinstance(n_bins, numbers.Integral) or n_bins < 2:
        raise ValueError(f"n_bins must be an integer >= 2, got {n_bins!r}.")
    low, high = log_mass_range
    if not low < high:
        raise ValueError(f"log_mass_range must be increasing, got {log_mass_range!r}.")
    if measurement_noise < 0:
        raise ValueError(f"measurement_noise must be >= 0, got {measurement_noise!r}.")
    par = dict(FLAVOURS[flavour])
    unknown = set(physics or {}) - set(par)
    if unknown:
        raise ValueError(f"Unknown physics parameters {sorted(unknown)}; use {sorted(par)}.")
    par.update(physics or {})
    rng = check_random_state(random_state)
    n = int(n_samples)

    # Masses from a truncated power-law mass function (inverse CDF).
    u01 = rng.uniform(size=n)
    if mass_function_slope == 0:
        log_m = low + (high - low) * u01
    else:
        k = mass_function_slope * np.log(10.0)
        log_m = low - np.log1p(-u01 * (1.0 - np.exp(-k * (high - low)))) / k
    mass = 10.0**log_m
    ln_m = np.log(mass / M_PIVOT)
    r500 = _r500(mass)

    # Dynamical state and structure.
    state = rng.normal(par["state_mean"], 1.0, n)
    core = par["core_radius"] * np.exp(0.35 * state + 0.15 * rng.normal(size=n))
    cusp = np.clip(par["cusp"] - 0.25 * state + 0.1 * rng.normal(size=n), 0.0, 1.2)
    depth = np.clip(0.6 + 0.2 * state + 0.05 * rng.normal(size=n), 0.3, 1.1)

    # Scaling relations with correlated log-normal scatter.
    cov = [
        [par["sigma_f"] ** 2, par["rho"] * par["sigma_f"] * par["sigma_T"]],
        [par["rho"] * par["sigma_f"] * par["sigma_T"], par["sigma_T"] ** 2],
    ]
    scatter = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    fgas = par["f0"] * np.exp(par["alpha_f"] * ln_m + scatter[:, 0])
    t_scale = par["T0"] * np.exp(par["beta_T"] * ln_m + scatter[:, 1] + par["state_T"] * state)

    # Gas density on the internal grid, normalized to Mgas(<R500_true) = fgas * M.
    shape = _density_shape(_GRID, core, cusp)
    shell = 4.0 * np.pi * _GRID**2 * shape
    cumulative = cumulative_trapezoid(shell, _GRID, axis=1, initial=0.0)
    at_r500 = _interp_rows(np.ones((n, 1)), _GRID, cumulative)[:, 0]
    norm = fgas * mass / at_r500  # Msun per unit of the dimensionless integral
    rho_gas = shape * (norm / r500**3)[:, None]  # Msun / Mpc^3
    mgas_cumulative = cumulative * norm[:, None]
    temperature = _temperature_shape(_GRID, depth) * t_scale[:, None]
    weight = rho_gas**2 * _GRID**2 * np.gradient(_GRID)

    def measure(ratio):
        """Mgas(<R) and core-excised T for R = ratio * R500_true (per cluster)."""
        mgas = _interp_rows(ratio[:, None], _GRID, mgas_cumulative)[:, 0]
        window = (_GRID[None, :] >= 0.15 * ratio[:, None]) & (_GRID[None, :] <= ratio[:, None])
        w = weight * window
        t_mean = (w * temperature).sum(1) / w.sum(1)
        return mgas, t_mean

    # Observational noise on the integrated quantities, fixed per cluster.
    noise_mgas = np.exp(measurement_noise * 0.03 * rng.normal(size=n))
    noise_t = np.exp(measurement_noise * 0.05 * rng.normal(size=n))
    ratio = np.ones(n)  # R500_est / R500_true, iterated with the fiducial relation
    for _ in range(12):
        mgas, t_mean = measure(ratio)
        yx = mgas * noise_mgas * t_mean * noise_t
        mass_est = M_PIVOT * (yx / FIDUCIAL_YX_RELATION["Yx_pivot"]) ** FIDUCIAL_YX_RELATION[
            "slope"
        ]
        ratio = np.clip(_r500(mass_est) / r500, _GRID[1] / _BIN_RANGE[0], 3.0)
    mgas, t_mean = measure(ratio)
    mgas_obs = mgas * noise_mgas
    t_obs = t_mean * noise_t

    # Profiles in bins of the estimated R500, with noise growing outwards.
    x_bins = np.geomspace(*_BIN_RANGE, n_bins)
    u = x_bins[None, :] * ratio[:, None]
    log_rho = _interp_rows(np.log(u), np.log(_GRID), np.log(rho_gas))
    log_t = _interp_rows(np.log(u), np.log(_GRID), np.log(temperature))
    sigma_ne = measurement_noise * (0.02 + 0.06 * x_bins)
    sigma_t = measurement_noise * (0.03 + 0.10 * x_bins)
    log_ne = (log_rho + np.log(_NE_PER_RHO)) / np.log(10) + sigma_ne * rng.normal(size=u.shape)
    log_tp = log_t / np.log(10) + sigma_t * rng.normal(size=u.shape)

    X = np.column_stack([log_ne, log_tp, mgas_obs, t_obs, mgas_obs * t_obs])
    y = log_m
    if not as_frame:
        return X, y
    return (
        pd.DataFrame(X, columns=profile_columns(n_bins)),
        pd.Series(y, name="log10_M500"),
    )


def _layout(X):
    """Column indices of (density bins, temperature bins, Mgas, T, Yx)."""
    if hasattr(X, "columns"):
        names = [str(c) for c in X.columns]
        ne = [i for i, c in enumerate(names) if c.startswith("log_ne_")]
        tp = [i for i, c in enumerate(names) if c.startswith("log_T_")]
        try:
            return ne, tp, names.index("Mgas"), names.index("T"), names.index("Yx")
        except ValueError as error:
            raise ValueError(
                "X needs the columns of make_cluster_profiles (log_ne_*, log_T_*, Mgas, T, Yx)."
            ) from error
    n_features = np.shape(X)[1]
    if n_features < 7 or (n_features - 3) % 2:
        raise ValueError(
            f"X has {n_features} columns; the layout of make_cluster_profiles is "
            "2 * n_bins + 3 columns (density bins, temperature bins, Mgas, T, Yx)."
        )
    n_bins = (n_features - 3) // 2
    return (
        list(range(n_bins)),
        list(range(n_bins, 2 * n_bins)),
        2 * n_bins,
        2 * n_bins + 1,
        2 * n_bins + 2,
    )


def augment_scatter(
    X,
    y=None,
    *,
    scatter_mgas: float = 0.10,
    scatter_T: float = 0.06,
    n_copies: int = 1,
    random_state=None,
):
    """The same clusters with extra log-normal scatter in the scaling relations.

    Each copy of each cluster gets its gas density (the ``log_ne`` profile and
    ``Mgas``) multiplied by ``exp(N(0, scatter_mgas))`` and its temperature (the
    ``log_T`` profile and ``T``) by ``exp(N(0, scatter_T))``; ``Yx`` is
    recomputed. This is the scatter-augmented training set of the SANN: the
    network sees clusters that scatter more widely about the gas-fraction and
    temperature relations than the training simulation's.

    Parameters
    ----------
    X : DataFrame or ndarray of shape (n_samples, 2 * n_bins + 3)
        Output of :func:`make_cluster_profiles` (a DataFrame is matched by
        column names, an array by the default column order).
    y : array-like of shape (n_samples,), optional
        Labels, repeated alongside the copies.
    scatter_mgas, scatter_T : float, default=0.10, 0.06
        Standard deviation of the injected natural-log scatter.
    n_copies : int, default=1
        Augmented copies of each cluster (stacked copy after copy).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X_aug : same type as X, of shape (n_copies * n_samples, n_features)
    y_aug : same type as y (only when ``y`` is given)

    Examples
    --------
    >>> X, y = make_cluster_profiles(50, random_state=0)
    >>> X_aug, y_aug = augment_scatter(X, y, n_copies=2, random_state=0)
    >>> X_aug.shape, y_aug.shape
    ((100, 27), (100,))
    >>> bool(np.allclose(X_aug["Yx"], X_aug["Mgas"] * X_aug["T"]))
    True
    """
    if scatter_mgas < 0 or scatter_T < 0:
        raise ValueError("scatter_mgas and scatter_T must be >= 0.")
    if not isinstance(n_copies, numbers.Integral) or n_copies < 1:
        raise ValueError(f"n_copies must be a positive integer, got {n_copies!r}.")
    rng = check_random_state(random_state)
    ne, tp, i_mgas, i_t, i_yx = _layout(X)
    values = np.asarray(X, dtype=float)
    if values.ndim != 2 or not np.all(np.isfinite(values)):
        raise ValueError("X must be a 2d array of finite values.")
    if y is not None and len(y) != len(values):
        raise ValueError(f"X has {len(values)} samples but y has {len(y)}.")
    copies = []
    for _ in range(int(n_copies)):
        out = values.copy()
        d_gas = scatter_mgas * rng.normal(size=len(out))
        d_t = scatter_T * rng.normal(size=len(out))
        out[:, ne] += d_gas[:, None] / np.log(10)
        out[:, tp] += d_t[:, None] / np.log(10)
        out[:, i_mgas] *= np.exp(d_gas)
        out[:, i_t] *= np.exp(d_t)
        out[:, i_yx] = out[:, i_mgas] * out[:, i_t]
        copies.append(out)
    X_aug = np.concatenate(copies)
    if hasattr(X, "columns"):
        X_aug = pd.DataFrame(X_aug, columns=X.columns)
    if y is None:
        return X_aug
    if isinstance(y, pd.Series):
        y_aug = pd.Series(np.tile(y.to_numpy(), int(n_copies)), name=y.name)
    else:
        y_aug = np.tile(np.asarray(y), int(n_copies))
    return X_aug, y_aug


class ScatterAugmenter(BaseEstimator):
    """Scatter augmentation as a reusable, clonable resampler.

    ``fit_resample(X, y)`` returns :func:`augment_scatter` of the data (like the
    samplers of imbalanced-learn); with ``include_original=True`` the original
    clusters are kept alongside the copies. Train any regressor on its output to
    get a scatter-augmented model (the SANN of the seed paper is a
    :class:`~skdomain.SourceOnlyRegressor` trained this way).

    Parameters
    ----------
    scatter_mgas, scatter_T : float, default=0.10, 0.06
        Injected natural-log scatter of the gas mass and the temperature.
    n_copies : int, default=1
    include_original : bool, default=False
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> X, y = make_cluster_profiles(40, random_state=0)
    >>> X_aug, y_aug = ScatterAugmenter(n_copies=2, include_original=True,
    ...                                 random_state=0).fit_resample(X, y)
    >>> len(X_aug), len(y_aug)
    (120, 120)
    """

    _parameter_constraints = {
        "scatter_mgas": [Interval(numbers.Real, 0, None, closed="left")],
        "scatter_T": [Interval(numbers.Real, 0, None, closed="left")],
        "n_copies": [Interval(numbers.Integral, 1, None, closed="left")],
        "include_original": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self, scatter_mgas=0.10, scatter_T=0.06, n_copies=1, include_original=False,
        random_state=None,
    ):
        self.scatter_mgas = scatter_mgas
        self.scatter_T = scatter_T
        self.n_copies = n_copies
        self.include_original = include_original
        self.random_state = random_state

    def fit(self, X, y=None):
        """Check the layout of ``X``; nothing is learned."""
        self._validate_params()
        _layout(X)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def fit_resample(self, X, y):
        """Augmented ``(X, y)``, with the originals first if ``include_original``."""
        self.fit(X, y)
        X_aug, y_aug = augment_scatter(
            X, y, scatter_mgas=self.scatter_mgas, scatter_T=self.scatter_T,
            n_copies=self.n_copies, random_state=self.random_state,
        )
        if not self.include_original:
            return X_aug, y_aug
        if hasattr(X_aug, "columns"):
            X_out = pd.concat([pd.DataFrame(X).reset_index(drop=True), X_aug], ignore_index=True)
        else:
            X_out = np.concatenate([np.asarray(X, dtype=float), X_aug])
        if isinstance(y_aug, pd.Series):
            y_out = pd.concat([pd.Series(y).reset_index(drop=True), y_aug], ignore_index=True)
        else:
            y_out = np.concatenate([np.asarray(y), y_aug])
        return X_out, y_out


def log_observables(X):
    """Inputs for a network: ``Mgas``, ``T``, ``Yx`` replaced by their log10.

    The profile columns are already logarithmic. Works on the DataFrame of
    :func:`make_cluster_profiles` (the columns become ``log_Mgas``, ``log_T``,
    ``log_Yx``) and on arrays in its column order; use it in a pipeline through
    ``sklearn.preprocessing.FunctionTransformer(log_observables)``.

    Parameters
    ----------
    X : DataFrame or ndarray
        Output of :func:`make_cluster_profiles`.

    Returns
    -------
    DataFrame or ndarray
        ``X`` with the three observables in log10 (same type as ``X``).

    Examples
    --------
    >>> X, _ = make_cluster_profiles(5, n_bins=2, random_state=0)
    >>> list(log_observables(X).columns)
    ['log_ne_00', 'log_ne_01', 'log_T_00', 'log_T_01', 'log_Mgas', 'log_T', 'log_Yx']
    """
    _, _, i_mgas, i_t, i_yx = _layout(X)
    values = np.array(X, dtype=float)  # a copy: the input is never modified
    integrated = values[:, [i_mgas, i_t, i_yx]]
    if np.any(integrated <= 0) or not np.all(np.isfinite(values)):
        raise ValueError("Mgas, T and Yx must be positive and all values finite.")
    values[:, [i_mgas, i_t, i_yx]] = np.log10(integrated)
    if not hasattr(X, "columns"):
        return values
    names = [str(c) for c in X.columns]
    for i in (i_mgas, i_t, i_yx):
        names[i] = "log_" + names[i]
    return pd.DataFrame(values, columns=names, index=X.index)
