"""Merging and non-merging galaxies seen under three observing conditions.

A stand-in for the DeepMerge data (Ciprijanovic et al. 2020, 2021): Illustris
galaxies imaged without noise (``"pristine"``), with sky and photon noise of a
deep space-telescope survey (``"noisy"``), and as a shallow ground-based
survey sees them (``"sdss"``: wider PSF, coarser pixels, a different flux
scale, an unsubtracted sky level, more noise, and more easy mergers with two
bright, well separated cores).

Geometry is expressed in units of half the field of view (the image spans
[-1, 1] on both axes), so ``image_size`` only changes the sampling. A
non-merger is one Sersic galaxy (random index, effective radius, axis ratio,
angle and color), sometimes with star-forming clumps or a faint unrelated
galaxy in projection; a merger is two Sersic galaxies at a random separation
and flux ratio with tidal tails or shells. Easy mergers are early-stage pairs
(wide separation, similar fluxes, bright tails); hard mergers are late-stage
systems (overlapping cores, a faint companion, faint tidal features).

Everything is vectorized over images (processed in chunks to bound memory):
thousands of 75 x 75 x 3 images take a few seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._compat import Interval, StrOptions, _fit_context
from ._morphologies import _col, _gaussian_blobs, _random_sersic, _tidal_tail
from ._psf import FWHM_PER_SIGMA, gaussian_psf

__all__ = [
    "MERGER_DOMAINS",
    "MergerNormalizer",
    "ObservingConditions",
    "make_galaxy_mergers",
]

_CHUNK = 256  # images rendered at once


@dataclass(frozen=True)
class ObservingConditions:
    """How one domain observes the simulated sky.

    Lengths are in units of half the field of view (an image spans [-1, 1]).
    Combine or override presets with :meth:`replace`, e.g.
    ``MERGER_DOMAINS["sdss"].replace(sky_noise=0.0)``.

    Parameters
    ----------
    psf_fwhm : float, default=0.05
        Full width at half maximum of the Gaussian point-spread function.
    pixel_factor : float, default=1.0
        Coarseness of the detector pixels: the sky is sampled on
        ``image_size / pixel_factor`` pixels across and shown on the requested
        ``image_size`` grid (each coarse pixel becomes a block).
    sky_noise : float, default=0.0
        Standard deviation of the Gaussian sky noise per (coarse) pixel, in
        units of a typical galaxy's central surface brightness.
    gain : float or None, default=None
        Photons per flux unit: photon noise has variance ``flux / gain``.
        ``None`` switches photon noise off.
    sky_level : float, default=0.0
        Constant background left in the images (not sky-subtracted).
    flux_scale : float, default=1.0
        Calibration factor applied to the light of every galaxy.
    hard_merger_fraction : float, default=0.6
        Fraction of mergers that are late-stage, hard to recognize systems.

    Examples
    --------
    >>> noisy = MERGER_DOMAINS["noisy"]
    >>> deeper = noisy.replace(sky_noise=noisy.sky_noise / 2)
    >>> deeper.sky_noise < noisy.sky_noise
    True
    """

    psf_fwhm: float = 0.05
    pixel_factor: float = 1.0
    sky_noise: float = 0.0
    gain: float | None = None
    sky_level: float = 0.0
    flux_scale: float = 1.0
    hard_merger_fraction: float = 0.6

    def __post_init__(self):
        checks = {
            "psf_fwhm": self.psf_fwhm >= 0,
            "pixel_factor": self.pixel_factor >= 1,
            "sky_noise": self.sky_noise >= 0,
            "gain": self.gain is None or self.gain > 0,
            "flux_scale": self.flux_scale > 0,
            "hard_merger_fraction": 0 <= self.hard_merger_fraction <= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"Invalid {name}={getattr(self, name)!r} in ObservingConditions.")

    def replace(self, **changes) -> ObservingConditions:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


#: Presets: noiseless simulation, the same with deep-survey noise, and an SDSS-like survey.
#: The noise levels were chosen so that a source-only CNN loses a clear part of its
#: accuracy on the target domain while the classes stay recognisable by eye (see
#: docs/mergers.md).
MERGER_DOMAINS = {
    "pristine": ObservingConditions(),
    "noisy": ObservingConditions(sky_noise=0.04, gain=400.0),
    "sdss": ObservingConditions(
        psf_fwhm=0.12,
        pixel_factor=2.0,
        sky_noise=0.06,
        gain=150.0,
        sky_level=0.15,
        flux_scale=0.6,
        hard_merger_fraction=0.25,
    ),
}


# ---------------------------------------------------------------------------
# Galaxies. ``x`` and ``y`` are the (H, W) pixel-center coordinates; every
# function returns band images of shape (n, n_bands, H, W).


def _colors(rng, n, n_bands, slope_range=(-0.4, 0.8)):
    """Relative flux per band: a linear spectral slope with a small jitter (n, n_bands)."""
    wavelength = np.linspace(-0.5, 0.5, n_bands)[None, :]
    slope = rng.uniform(*slope_range, n)[:, None]
    jitter = np.exp(rng.normal(0, 0.05, (n, n_bands)))
    return (1.0 + slope * wavelength) * jitter


def _banded(image, color):
    return image[:, None] * color[:, :, None, None]


def _galaxy(x, y, rng, n, *, x0, y0, amplitude, r_e_range=(0.08, 0.2)):
    """One Sersic galaxy per image; returns the (n, H, W) light and its r_e."""
    r_e = rng.uniform(*r_e_range, n)
    image = _random_sersic(
        x, y, rng, n, x0=x0, y0=y0, r_e=r_e, index=(0.7, 4.0), q=(0.45, 1.0),
        amplitude=amplitude,
    )
    return image, r_e


def _shells(x, y, rng, n, *, x0, y0, r_e, flux):
    """Two or three concentric arcs of light around a merger remnant."""
    out = np.zeros((n, *x.shape))
    phase = rng.uniform(0, 2 * np.pi, n)
    u, v = x[None] - _col(x0), y[None] - _col(y0)
    r = np.sqrt(u**2 + v**2)
    azimuth = np.arctan2(v, u)
    for k in range(3):
        radius = r_e * rng.uniform(1.6, 2.4, n) * (1.0 + 0.7 * k)
        # shells alternate sides, as in phase-wrapped debris of a radial merger
        window = (0.5 * (1 + np.cos(azimuth - _col(phase + k * np.pi)))) ** 6
        ring = np.exp(-0.5 * ((r - _col(radius)) / _col(0.25 * r_e)) ** 2)
        out += _col(flux * 0.8**k) * ring * window
    return out


def _non_mergers(x, y, rng, n, n_bands):
    x0, y0 = rng.normal(0, 0.04, n), rng.normal(0, 0.04, n)
    light, r_e = _galaxy(x, y, rng, n, x0=x0, y0=y0, amplitude=rng.uniform(0.7, 1.3, n))
    image = _banded(light, _colors(rng, n, n_bands))
    # Star-forming clumps in some disks: asymmetric light that is not a merger.
    clumpy = rng.random(n) < 0.35
    k = 4
    radius = r_e[:, None] * rng.uniform(0.3, 1.5, (n, k))
    theta = rng.uniform(0, 2 * np.pi, (n, k))
    clumps = _gaussian_blobs(
        x,
        y,
        x0[:, None] + radius * np.cos(theta),
        y0[:, None] + radius * np.sin(theta),
        rng.uniform(0.02, 0.04, (n, k)),
        rng.uniform(0.1, 0.25, (n, k)) * clumpy[:, None],
    )
    image += _banded(clumps, _colors(rng, n, n_bands, (-0.8, -0.2)))
    # A faint, unrelated galaxy in projection: two objects do not make a merger.
    neighbor = rng.random(n) < 0.25
    distance = rng.uniform(0.55, 0.85, n)
    direction = rng.uniform(0, 2 * np.pi, n)
    companion, _ = _galaxy(
        x,
        y,
        rng,
        n,
        x0=x0 + distance * np.cos(direction),
        y0=y0 + distance * np.sin(direction),
        amplitude=rng.uniform(0.1, 0.3, n) * neighbor,
        r_e_range=(0.04, 0.08),
    )
    image += _banded(companion, _colors(rng, n, n_bands))
    return image


def _mergers(x, y, rng, n, n_bands, hard_fraction):
    hard = rng.random(n) < hard_fraction
    separation = np.where(hard, rng.uniform(0.06, 0.22, n), rng.uniform(0.25, 0.55, n))
    flux_ratio = np.where(hard, rng.uniform(2.5, 6.0, n), rng.uniform(1.0, 2.5, n))
    tidal_flux = np.where(hard, rng.uniform(0.03, 0.08, n), rng.uniform(0.1, 0.25, n))
    direction = rng.uniform(0, 2 * np.pi, n)
    weight = 1.0 / (1.0 + flux_ratio)  # light-weighted center near the image center
    cx, cy = rng.normal(0, 0.04, n), rng.normal(0, 0.04, n)
    x1 = cx - weight * separation * np.cos(direction)
    y1 = cy - weight * separation * np.sin(direction)
    x2 = x1 + separation * np.cos(direction)
    y2 = y1 + separation * np.sin(direction)
    amplitude = rng.uniform(0.7, 1.3, n)
    primary, r_e = _galaxy(x, y, rng, n, x0=x1, y0=y1, amplitude=amplitude)
    secondary, _ = _galaxy(
        x, y, rng, n, x0=x2, y0=y2, amplitude=amplitude / flux_ratio, r_e_range=(0.05, 0.14)
    )
    image = _banded(primary, _colors(rng, n, n_bands))
    image += _banded(secondary, _colors(rng, n, n_bands))
    # Tidal tails from both galaxies, or shells around late remnants.
    tails = np.zeros((n, *x.shape))
    for xs, ys, scale in ((x1, y1, 1.0), (x2, y2, 0.6)):
        tails += _tidal_tail(
            x,
            y,
            rng,
            n,
            x0=xs,
            y0=ys,
            length=rng.uniform(0.35, 0.7, n),
            width=rng.uniform(0.03, 0.06, n),
            flux=scale * tidal_flux,
        )
    shelled = hard & (rng.random(n) < 0.5)
    shells = _shells(x, y, rng, n, x0=x1, y0=y1, r_e=r_e, flux=1.5 * tidal_flux)
    debris = np.where(shelled[:, None, None], shells, tails)
    image += _banded(debris, _colors(rng, n, n_bands, (-0.6, 0.2)))
    return image


# ---------------------------------------------------------------------------
# Observation


def _observe(sky, conditions: ObservingConditions, image_size: int, rng) -> np.ndarray:
    """PSF, flux scale, noise and background on the native grid, then shown at image_size."""
    native = sky.shape[-1]
    pixel = 2.0 / native
    sigma = conditions.psf_fwhm * (1.0 / FWHM_PER_SIGMA) / pixel
    image = conditions.flux_scale * sky
    if sigma > 0:
        image = gaussian_psf(image, sigma, mode="constant")
    if conditions.gain is not None:
        image = image + rng.standard_normal(image.shape) * np.sqrt(
            np.clip(image, 0, None) / conditions.gain
        )
    if conditions.sky_noise > 0:
        image = image + conditions.sky_noise * rng.standard_normal(image.shape)
    image = image + conditions.sky_level
    if native != image_size:
        index = np.minimum((np.arange(image_size) * native) // image_size, native - 1)
        image = image[:, :, index][:, :, :, index]
    return image


def _resolve_domain(domain) -> ObservingConditions:
    if isinstance(domain, ObservingConditions):
        return domain
    if isinstance(domain, str) and domain in MERGER_DOMAINS:
        return MERGER_DOMAINS[domain]
    raise ValueError(
        f"domain must be one of {sorted(MERGER_DOMAINS)} or an ObservingConditions, got {domain!r}."
    )


def make_galaxy_mergers(
    n_samples=1000,
    *,
    domain="pristine",
    image_size=75,
    n_bands=3,
    merger_fraction=0.5,
    random_state=None,
):
    """Images of merging (label 1) and non-merging (label 0) galaxies in one domain.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images.
    domain : {"pristine", "noisy", "sdss"} or ObservingConditions, default="pristine"
        Observing conditions: a preset of :data:`MERGER_DOMAINS` or your own
        (e.g. ``MERGER_DOMAINS["noisy"].replace(sky_noise=0.2)``).
    image_size : int, default=75
        Images are ``image_size`` x ``image_size`` pixels (at least 8).
    n_bands : int, default=3
        Photometric bands (channels).
    merger_fraction : float, default=0.5
        Fraction of mergers (rounded to a whole number of images).
    random_state : int, RandomState instance or None, default=None
        Seed: the same value gives the same images.

    Returns
    -------
    X : ndarray of shape (n_samples, n_bands, image_size, image_size), float32
        Images, channels first, in shuffled order.
    y : ndarray of shape (n_samples,), int64
        1 for mergers, 0 for non-mergers.

    See Also
    --------
    MergerNormalizer : per-domain normalization of the images.

    Examples
    --------
    >>> X, y = make_galaxy_mergers(20, domain="sdss", image_size=32, random_state=0)
    >>> X.shape, X.dtype, int(y.sum())
    ((20, 3, 32, 32), dtype('float32'), 10)
    """
    if not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if not isinstance(image_size, Integral) or image_size < 8:
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}.")
    if not isinstance(n_bands, Integral) or n_bands < 1:
        raise ValueError(f"n_bands must be a positive integer, got {n_bands!r}.")
    if not isinstance(merger_fraction, Real) or not 0 <= merger_fraction <= 1:
        raise ValueError(f"merger_fraction must be in [0, 1], got {merger_fraction!r}.")
    conditions = _resolve_domain(domain)
    rng = check_random_state(random_state)
    native = max(8, int(round(image_size / conditions.pixel_factor)))
    centers = (np.arange(native) + 0.5) * (2.0 / native) - 1.0
    x, y = np.meshgrid(centers, -centers)

    n_mergers = int(round(merger_fraction * n_samples))
    labels = np.zeros(n_samples, dtype=np.int64)
    labels[:n_mergers] = 1
    labels = labels[rng.permutation(n_samples)]

    X = np.empty((n_samples, n_bands, image_size, image_size), dtype=np.float32)
    for start in range(0, n_samples, _CHUNK):
        chunk = labels[start : start + _CHUNK]
        sky = np.empty((chunk.size, n_bands, native, native))
        is_merger = chunk == 1
        if is_merger.any():
            sky[is_merger] = _mergers(
                x, y, rng, int(is_merger.sum()), n_bands, conditions.hard_merger_fraction
            )
        if (~is_merger).any():
            sky[~is_merger] = _non_mergers(x, y, rng, int((~is_merger).sum()), n_bands)
        X[start : start + chunk.size] = _observe(sky, conditions, image_size, rng)
    return X, labels


class MergerNormalizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Per-domain, per-band normalization of images: background off, robust scale to 1.

    Fit one normalizer on each domain's images (labels are not needed) and
    apply it to that domain, as DeepMerge does: every band has its background
    (the median pixel of the fitted images) subtracted and is divided by the
    ``percentile``-th percentile of the background-subtracted pixels, so that
    flux calibration and sky level no longer differ between domains. An
    optional asinh stretch brings faint tidal features up.

    Axis 1 holds the bands; all other axes are pooled. Tabular data of shape
    (n_samples, n_features) is normalized per feature.

    Parameters
    ----------
    percentile : float, default=99.0
        Percentile of the background-subtracted pixels mapped to 1.
    stretch : {"linear", "asinh"}, default="linear"
        ``"asinh"`` returns ``arcsinh(x / softening) / arcsinh(1 / softening)``.
    softening : float, default=0.1
        Softening of the asinh stretch (smaller = stronger stretch).

    Attributes
    ----------
    background_ : ndarray of shape (n_bands,)
    scale_ : ndarray of shape (n_bands,)
    n_features_in_ : int
        Number of bands (size of axis 1).

    Examples
    --------
    >>> X, _ = make_galaxy_mergers(50, domain="sdss", image_size=16, random_state=0)
    >>> Xn = MergerNormalizer().fit_transform(X)
    >>> Xn.shape, Xn.dtype
    ((50, 3, 16, 16), dtype('float32'))
    """

    _parameter_constraints = {
        "percentile": [Interval(Real, 0, 100, closed="right")],
        "stretch": [StrOptions({"linear", "asinh"})],
        "softening": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, percentile=99.0, stretch="linear", softening=0.1):
        self.percentile = percentile
        self.stretch = stretch
        self.softening = softening

    def _check(self, X, reset):
        return validate_data(
            self,
            X,
            reset=reset,
            dtype=[np.float32, np.float64],
            allow_nd=True,
            ensure_all_finite=True,
        )

    @staticmethod
    def _per_band(X):
        return np.moveaxis(X, 1, 0).reshape(X.shape[1], -1)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn each band's background and scale from the images of one domain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_bands, ...)
        y : ignored

        Returns
        -------
        self
        """
        X = self._check(X, reset=True)
        bands = self._per_band(X).astype(np.float64)
        self.background_ = np.median(bands, axis=1)
        scale = np.percentile(bands - self.background_[:, None], self.percentile, axis=1)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X):
        """Normalize images with the fitted background and scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_bands, ...)

        Returns
        -------
        ndarray of the same shape, float32
        """
        check_is_fitted(self)
        X = self._check(X, reset=False)
        shape = (1, -1) + (1,) * (X.ndim - 2)
        out = (X - self.background_.reshape(shape)) / self.scale_.reshape(shape)
        if self.stretch == "asinh":
            out = np.arcsinh(out / self.softening) / np.arcsinh(1.0 / self.softening)
        return out.astype(np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
