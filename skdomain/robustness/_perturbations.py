"""Image perturbations that a scientific pipeline introduces by accident.

Every perturbation exists twice: as a plain function ``f(X, strength, *,
random_state=None, ...)`` and as a stateless scikit-learn transformer with a
``strength`` parameter (so it composes in a :class:`~sklearn.pipeline.Pipeline`
and is cloned and grid-searched like any estimator).

Shared rules:

- ``X`` is a batch of images of shape ``(n, channels, height, width)``;
- ``strength=0`` returns an exact copy of ``X``;
- the output has the shape and dtype of ``X`` (integer images are rounded and
  clipped to their dtype's range);
- the same ``random_state`` gives the same output, and random draws are made so
  that a larger strength perturbs a superset of what a smaller one perturbs
  (the damage grows monotonically along a robustness curve).
"""

from __future__ import annotations

import functools
import inspect
import numbers

import numpy as np
from scipy import fft
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state

from .._compat import Interval
from ..datasets._psf import gaussian_psf

__all__ = [
    "gaussian_noise",
    "psf_blur",
    "jpeg_compression",
    "pixel_dropout",
    "dead_columns",
    "hot_pixels",
    "GaussianNoise",
    "PSFBlur",
    "JPEGCompression",
    "PixelDropout",
    "DeadColumns",
    "HotPixels",
    "PERTURBATIONS",
]

# The JPEG standard's luminance quantisation table (ITU-T T.81, Annex K), i.e.
# the step per DCT frequency at quality 50 for 8-bit images.
_JPEG_LUMINANCE_TABLE = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=float,
)
_BLOCK = 8


def _check_images(X) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 4:
        raise ValueError(
            f"Expected a batch of images of shape (n, channels, height, width), got shape "
            f"{X.shape}."
        )
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
        raise ValueError(f"Images must have a numeric dtype, got {X.dtype}.")
    if np.issubdtype(X.dtype, np.floating):
        bad = ~np.isfinite(X)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"X has {int(bad.sum())} NaN or infinite pixels (the first at index {first}); "
                "a perturbation would spread them over whole bands. Replace them first "
                "(e.g. np.nan_to_num or the band median)."
            )
    return X


def _check_fill_value(fill_value, dtype: np.dtype) -> float:
    """A ``fill_value`` the images of ``dtype`` can hold."""
    if not isinstance(fill_value, numbers.Real) or isinstance(fill_value, bool):
        raise ValueError(f"fill_value must be a real number, got {fill_value!r}.")
    if not np.isfinite(fill_value):
        raise ValueError(f"fill_value must be finite, got {fill_value!r}.")
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        if fill_value != int(fill_value) or not info.min <= fill_value <= info.max:
            raise ValueError(
                f"fill_value={fill_value!r} cannot be stored in images of dtype {dtype} "
                f"(integers from {info.min} to {info.max})."
            )
    return float(fill_value)


def _check_labelled_images(X, y):
    """A batch of images and one label per image, as arrays."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 4:
        raise ValueError(f"X must have shape (n, channels, height, width), got {X.shape}.")
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}.")
    return X, y


def _check_strength(strength, name: str = "strength") -> float:
    if not isinstance(strength, numbers.Real) or isinstance(strength, bool):
        raise ValueError(f"{name} must be a real number, got {strength!r}.")
    strength = float(strength)
    if not np.isfinite(strength) or strength < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {strength}.")
    return strength


def _check_fraction(strength) -> float:
    strength = _check_strength(strength)
    if strength > 1:
        raise ValueError(f"strength is a fraction of pixels and must be <= 1, got {strength}.")
    return strength


def _as_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        values = np.clip(np.rint(values), info.min, info.max)
    return values.astype(dtype, copy=False)


def _band_scale(X: np.ndarray, kind: str) -> np.ndarray:
    """Per image and band scale, shape (n, C, 1, 1)."""
    Xf = X.astype(np.float64, copy=False)
    if kind == "rms":
        return np.sqrt(np.mean(Xf**2, axis=(2, 3), keepdims=True))
    if kind == "range":
        return Xf.max(axis=(2, 3), keepdims=True) - Xf.min(axis=(2, 3), keepdims=True)
    raise ValueError(kind)


def _perturbation(check_strength=_check_strength, **check_options):
    """The contract every perturbation function shares, around its ``body``.

    The images and ``strength`` (and the options named in ``check_options``)
    are checked, ``strength=0`` returns an exact copy, and the body's float
    result is cast back to the images' dtype.
    """

    def decorate(body):
        @functools.wraps(body)
        def perturb(X, strength, **options):
            X = _check_images(X)
            strength = check_strength(strength)
            for name, check in check_options.items():
                if name in options:
                    options[name] = check(options[name], name)
            if "fill_value" in options:
                options["fill_value"] = _check_fill_value(options["fill_value"], X.dtype)
            if strength == 0:
                return X.copy()
            return _as_dtype(body(X, strength, **options), X.dtype)

        return perturb

    return decorate


@_perturbation()
def gaussian_noise(X, strength, *, random_state=None):
    """Add white Gaussian noise at signal-to-noise ratio ``1 / strength``.

    The noise standard deviation of each image and band is ``strength`` times
    the root mean square of that band's pixel values, so ``strength=0.1``
    means a signal-to-noise ratio of 10. The same ``random_state`` draws the
    same unit noise at every strength, so the noise only grows with strength.

    Parameters
    ----------
    X : array-like of shape (n, channels, height, width)
        Images.
    strength : float >= 0
        Inverse signal-to-noise ratio.
    random_state : int, RandomState instance or None
        Seed of the noise.

    Returns
    -------
    ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> X = np.ones((2, 1, 4, 4), dtype=np.float32)
    >>> noisy = gaussian_noise(X, 0.1, random_state=0)
    >>> noisy.shape, noisy.dtype, bool(np.all(gaussian_noise(X, 0.0) == X))
    ((2, 1, 4, 4), dtype('float32'), True)
    """
    rng = check_random_state(random_state)
    sigma = strength * _band_scale(X, "rms")
    return X + sigma * rng.standard_normal(X.shape)


@_perturbation()
def psf_blur(X, strength, *, random_state=None, mode="reflect"):
    """Convolve every band with a circular Gaussian point-spread function.

    Parameters
    ----------
    X : array-like of shape (n, channels, height, width)
        Images.
    strength : float >= 0
        Standard deviation of the Gaussian PSF in pixels (its FWHM is
        ``2.355 * strength``).
    random_state : ignored
        Accepted so that all perturbations share one signature.
    mode : str
        Border handling of :func:`scipy.ndimage.gaussian_filter`, or
        ``"fourier"``: the exact Gaussian in Fourier space, periodic edges.

    Returns
    -------
    ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> X = np.zeros((1, 1, 9, 9)); X[0, 0, 4, 4] = 1.0
    >>> blurred = psf_blur(X, 1.0)
    >>> round(float(blurred.sum()), 6), bool(blurred[0, 0, 4, 4] < 1)
    (1.0, True)
    """
    return gaussian_psf(X.astype(np.float64), strength, mode=mode)


@_perturbation()
def jpeg_compression(X, strength, *, random_state=None):
    """Lossy JPEG-like compression: quantise the 8 x 8 block DCT of each band.

    Each band is cut into 8 x 8 blocks (edge-padded to a multiple of 8), every
    block is transformed with the orthonormal type-II DCT, each coefficient is
    rounded to a multiple of its step and the block is transformed back. The
    step of frequency ``(u, v)`` is ``strength * Q[u, v] * range / 255``,
    where ``Q`` is the JPEG standard luminance table and ``range`` the band's
    dynamic range (max - min), so ``strength=1`` is roughly JPEG quality 50
    for an 8-bit image, and larger strengths compress harder.

    Parameters
    ----------
    X : array-like of shape (n, channels, height, width)
        Images.
    strength : float >= 0
        Scale of the quantisation table.
    random_state : ignored
        Accepted so that all perturbations share one signature.

    Returns
    -------
    ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(2, 3, 10, 12)).astype(np.float32)
    >>> out = jpeg_compression(X, 2.0)
    >>> out.shape, out.dtype, bool(np.abs(out - X).mean() > 0)
    ((2, 3, 10, 12), dtype('float32'), True)
    """
    n, channels, height, width = X.shape
    pad_h, pad_w = (-height) % _BLOCK, (-width) % _BLOCK
    padded = np.pad(X.astype(np.float64), ((0, 0), (0, 0), (0, pad_h), (0, pad_w)), mode="edge")
    rows, cols = padded.shape[2] // _BLOCK, padded.shape[3] // _BLOCK
    blocks = padded.reshape(n, channels, rows, _BLOCK, cols, _BLOCK).transpose(0, 1, 2, 4, 3, 5)
    coefficients = fft.dctn(blocks, type=2, axes=(-2, -1), norm="ortho")
    scale = _band_scale(X, "range")[..., None, None]  # (n, C, 1, 1, 1, 1)
    step = strength * _JPEG_LUMINANCE_TABLE * scale / 255.0
    safe_step = np.where(step > 0, step, 1.0)
    quantised = np.where(step > 0, np.round(coefficients / safe_step) * safe_step, coefficients)
    restored = fft.idctn(quantised, type=2, axes=(-2, -1), norm="ortho")
    restored = restored.transpose(0, 1, 2, 4, 3, 5).reshape(padded.shape)
    return restored[:, :, :height, :width]


@_perturbation(_check_fraction)
def pixel_dropout(X, strength, *, random_state=None, fill_value=0.0, per_band=False):
    """Set a random fraction of pixels to ``fill_value`` (dead detector pixels).

    Parameters
    ----------
    X : array-like of shape (n, channels, height, width)
        Images.
    strength : float in [0, 1]
        Expected fraction of pixels lost.
    random_state : int, RandomState instance or None
        Seed of the pixel choice; a larger strength loses a superset of the
        pixels lost at a smaller one.
    fill_value : float
        Value written into lost pixels.
    per_band : bool
        If False (default) a lost pixel is lost in every band (one dead
        detector position); if True every band loses its own pixels.

    Returns
    -------
    ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> X = np.ones((1, 2, 10, 10))
    >>> out = pixel_dropout(X, 0.3, random_state=0)
    >>> bool(np.all(out[:, 0] == out[:, 1])), 0.1 < float((out == 0).mean()) < 0.5
    (True, True)
    """
    rng = check_random_state(random_state)
    n, channels, height, width = X.shape
    draw_shape = (n, channels if per_band else 1, height, width)
    lost = rng.random_sample(draw_shape) < strength
    return np.where(lost, fill_value, X.astype(np.float64))


@_perturbation(_check_fraction)
def dead_columns(X, strength, *, random_state=None, fill_value=0.0):
    """Set a random fraction of detector columns to ``fill_value`` in all bands.

    Parameters
    ----------
    X : array-like of shape (n, channels, height, width)
        Images.
    strength : float in [0, 1]
        Probability that a column is lost.
    random_state : int, RandomState instance or None
        Seed; a larger strength loses a superset of the columns lost at a
        smaller one.
    fill_value : float
        Value written into lost columns.

    Returns
    -------
    ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> out = dead_columns(np.ones((3, 1, 5, 20)), 0.5, random_state=1)
    >>> bool(np.all((out == 0).all(axis=2) | (out == 1).all(axis=2)))
    True
    """
    rng = check_random_state(random_state)
    n, _, _, width = X.shape
    lost = rng.random_sample((n, 1, 1, width)) < strength
    return np.where(lost, fill_value, X.astype(np.float64))


@_perturbation(_check_fraction, amplitude=_check_strength)
def hot_pixels(X, strength, *, random_state=None, amplitude=1.0):
    """Add cosmic-ray-like hot pixels: single bright pixels in one band.

    A random fraction ``strength`` of pixel positions is hit; each hit lands in
    one randomly chosen band and adds ``amplitude`` times that band's dynamic
    range (max - min) times a random factor in [0.5, 1.5].

    Parameters
    ----------
    X : array-like of shape (n, channels, height, width)
        Images.
    strength : float in [0, 1]
        Fraction of the pixel positions that are hit, on average.
    random_state : int, RandomState instance or None
        Seed of the hits (nested across strengths).
    amplitude : float
        Brightness of a hit relative to the band's dynamic range.

    Returns
    -------
    ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> X = np.zeros((1, 3, 8, 8)); X[..., 0, 0] = 1.0
    >>> out = hot_pixels(X, 0.2, random_state=0)
    >>> bool(np.all(out >= X)), bool(out.max() > 1.0)
    (True, True)
    """
    rng = check_random_state(random_state)
    n, channels, height, width = X.shape
    hit = rng.random_sample((n, 1, height, width)) < strength
    band = rng.randint(channels, size=(n, 1, height, width))
    brightness = rng.uniform(0.5, 1.5, size=(n, 1, height, width))
    in_band = band == np.arange(channels).reshape(1, channels, 1, 1)
    added = np.where(hit & in_band, amplitude * brightness * _band_scale(X, "range"), 0.0)
    return X + added


_NON_NEGATIVE = [Interval(numbers.Real, 0, None, closed="left")]
_FRACTION = [Interval(numbers.Real, 0, 1, closed="both")]


class _Perturbation(TransformerMixin, BaseEstimator):
    """Stateless transformer applying a perturbation function with its parameters.

    A subclass declares, as class keywords, the ``function`` it wraps, the
    default ``strength``, whether the strength is a ``fraction`` (in [0, 1])
    and the ``constraints`` of the function's other parameters. Its
    ``__init__`` is generated from the function's signature: ``strength``
    first, then the function's keyword-only parameters with their defaults,
    so the transformer's parameters (``get_params``) are those of the function.
    """

    _function = None
    _parameter_constraints: dict = {}

    def __init_subclass__(cls, *, function, strength, fraction=False, constraints=(), **kwargs):
        super().__init_subclass__(**kwargs)
        cls._function = staticmethod(function)
        cls._parameter_constraints = {
            "strength": _FRACTION if fraction else _NON_NEGATIVE,
            "random_state": ["random_state"],
            **dict(constraints),
        }
        keyword_only = [
            parameter
            for parameter in inspect.signature(function).parameters.values()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY
        ]
        positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
        signature = inspect.Signature(
            [
                inspect.Parameter("self", positional),
                inspect.Parameter("strength", positional, default=strength),
                *keyword_only,
            ]
        )

        def __init__(self, *args, **kwargs):
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            for name, value in list(bound.arguments.items())[1:]:
                setattr(self, name, value)

        __init__.__signature__ = signature
        __init__.__qualname__ = f"{cls.__qualname__}.__init__"
        cls.__init__ = __init__

    def fit(self, X, y=None):
        """Check the input and the parameters; nothing is learnt.

        Parameters
        ----------
        X : array-like of shape (n, channels, height, width)
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        self.input_shape_ = _check_images(X).shape[1:]
        return self

    def transform(self, X):
        """Return the perturbed images (same shape and dtype as ``X``).

        Parameters
        ----------
        X : array-like of shape (n, channels, height, width)

        Returns
        -------
        ndarray
        """
        params = self.get_params()
        strength = params.pop("strength")
        return type(self)._function(X, strength, **params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        return tags


class GaussianNoise(_Perturbation, function=gaussian_noise, strength=0.1):
    """Transformer adding Gaussian noise at SNR ``1 / strength``.

    See :func:`gaussian_noise`.

    Parameters
    ----------
    strength : float, default=0.1
        Noise standard deviation over the band's root mean square.
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> GaussianNoise(0.2, random_state=0).fit_transform(np.ones((2, 1, 4, 4))).shape
    (2, 1, 4, 4)
    """


class PSFBlur(_Perturbation, function=psf_blur, strength=1.0, constraints={"mode": [str]}):
    """Transformer blurring with a Gaussian PSF of ``strength`` pixels.

    See :func:`psf_blur`.

    Parameters
    ----------
    strength : float, default=1.0
        Standard deviation of the PSF in pixels.
    random_state : ignored
    mode : str, default="reflect"
        How the blur treats the image borders.

    Examples
    --------
    >>> PSFBlur(1.5).fit_transform(np.ones((2, 3, 8, 8))).shape
    (2, 3, 8, 8)
    """


class JPEGCompression(_Perturbation, function=jpeg_compression, strength=1.0):
    """Transformer applying JPEG-like block-DCT quantisation.

    See :func:`jpeg_compression`.

    Parameters
    ----------
    strength : float, default=1.0
        Scale of the quantisation table; 1 is about JPEG quality 50.
    random_state : ignored

    Examples
    --------
    >>> JPEGCompression(2.0).fit_transform(np.ones((1, 1, 16, 16), dtype=np.float32)).dtype
    dtype('float32')
    """


class PixelDropout(
    _Perturbation,
    function=pixel_dropout,
    strength=0.05,
    fraction=True,
    constraints={"fill_value": [numbers.Real], "per_band": ["boolean"]},
):
    """Transformer losing a fraction ``strength`` of pixels.

    See :func:`pixel_dropout`.

    Parameters
    ----------
    strength : float in [0, 1], default=0.05
    random_state : int, RandomState instance or None, default=None
    fill_value : float, default=0.0
    per_band : bool, default=False
        Whether every band loses pixels of its own.

    Examples
    --------
    >>> out = PixelDropout(0.5, random_state=0).fit_transform(np.ones((1, 1, 8, 8)))
    >>> 0 < float((out == 0).mean()) < 1
    True
    """


class DeadColumns(
    _Perturbation,
    function=dead_columns,
    strength=0.05,
    fraction=True,
    constraints={"fill_value": [numbers.Real]},
):
    """Transformer losing a fraction ``strength`` of detector columns in all bands.

    See :func:`dead_columns`.

    Parameters
    ----------
    strength : float in [0, 1], default=0.05
    random_state : int, RandomState instance or None, default=None
        Picks the lost columns.
    fill_value : float, default=0.0

    Examples
    --------
    >>> DeadColumns(0.5, random_state=0).fit_transform(np.ones((2, 1, 4, 8))).shape
    (2, 1, 4, 8)
    """


class HotPixels(
    _Perturbation,
    function=hot_pixels,
    strength=0.01,
    fraction=True,
    constraints={"amplitude": _NON_NEGATIVE},
):
    """Transformer adding cosmic-ray-like hot pixels.

    See :func:`hot_pixels`.

    Parameters
    ----------
    strength : float in [0, 1], default=0.01
        Fraction of pixel positions hit.
    random_state : int, RandomState instance or None, default=None
    amplitude : float, default=1.0
        Brightness of a hit in units of the band's dynamic range.

    Examples
    --------
    >>> HotPixels(0.1, random_state=0).fit_transform(np.zeros((1, 2, 8, 8))).shape
    (1, 2, 8, 8)
    """


PERTURBATIONS = {
    "noise": GaussianNoise,
    "blur": PSFBlur,
    "compression": JPEGCompression,
    "dropout": PixelDropout,
    "dead_columns": DeadColumns,
    "hot_pixels": HotPixels,
}
"""Short names of the perturbation transformers (used by :func:`robustness_curve`)."""
