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

import numbers

import numpy as np
from scipy import fft, ndimage
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state

from .._compat import Interval

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
    return X


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
    >>> import numpy as np
    >>> X = np.ones((2, 1, 4, 4), dtype=np.float32)
    >>> noisy = gaussian_noise(X, 0.1, random_state=0)
    >>> noisy.shape, noisy.dtype, bool(np.all(gaussian_noise(X, 0.0) == X))
    ((2, 1, 4, 4), dtype('float32'), True)
    """
    X = _check_images(X)
    strength = _check_strength(strength)
    if strength == 0:
        return X.copy()
    rng = check_random_state(random_state)
    sigma = strength * _band_scale(X, "rms")
    noisy = X + sigma * rng.standard_normal(X.shape)
    return _as_dtype(noisy, X.dtype)


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
        Border handling of :func:`scipy.ndimage.gaussian_filter`.

    Returns
    -------
    ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((1, 1, 9, 9)); X[0, 0, 4, 4] = 1.0
    >>> blurred = psf_blur(X, 1.0)
    >>> round(float(blurred.sum()), 6), bool(blurred[0, 0, 4, 4] < 1)
    (1.0, True)
    """
    X = _check_images(X)
    strength = _check_strength(strength)
    if strength == 0:
        return X.copy()
    blurred = ndimage.gaussian_filter(
        X.astype(np.float64), sigma=(0, 0, strength, strength), mode=mode
    )
    return _as_dtype(blurred, X.dtype)


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
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(2, 3, 10, 12)).astype(np.float32)
    >>> out = jpeg_compression(X, 2.0)
    >>> out.shape, out.dtype, bool(np.abs(out - X).mean() > 0)
    ((2, 3, 10, 12), dtype('float32'), True)
    """
    X = _check_images(X)
    strength = _check_strength(strength)
    if strength == 0:
        return X.copy()
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
    return _as_dtype(restored[:, :, :height, :width], X.dtype)


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
    >>> import numpy as np
    >>> X = np.ones((1, 2, 10, 10))
    >>> out = pixel_dropout(X, 0.3, random_state=0)
    >>> bool(np.all(out[:, 0] == out[:, 1])), 0.1 < float((out == 0).mean()) < 0.5
    (True, True)
    """
    X = _check_images(X)
    strength = _check_fraction(strength)
    if strength == 0:
        return X.copy()
    rng = check_random_state(random_state)
    n, channels, height, width = X.shape
    draw_shape = (n, channels if per_band else 1, height, width)
    lost = rng.random_sample(draw_shape) < strength
    out = np.where(lost, fill_value, X.astype(np.float64))
    return _as_dtype(out, X.dtype)


def dead_columns(X, strength, *, random_state=None, fill_value=0.0):
    """Set a random fraction of detector columns to ``fill_value`` in all bands.

    Parameters
    ----------
    X : array-like of shape (n, channels, height, width)
        Images.
    strength : float in [0, 1]
        Expected fraction of columns lost.
    random_state : int, RandomState instance or None
        Seed of the column choice (nested across strengths).
    fill_value : float
        Value written into lost columns.

    Returns
    -------
    ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> out = dead_columns(np.ones((3, 1, 5, 20)), 0.5, random_state=1)
    >>> bool(np.all((out == 0).all(axis=2) | (out == 1).all(axis=2)))
    True
    """
    X = _check_images(X)
    strength = _check_fraction(strength)
    if strength == 0:
        return X.copy()
    rng = check_random_state(random_state)
    n, _, _, width = X.shape
    lost = rng.random_sample((n, 1, 1, width)) < strength
    out = np.where(lost, fill_value, X.astype(np.float64))
    return _as_dtype(out, X.dtype)


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
        Expected fraction of pixel positions hit.
    random_state : int, RandomState instance or None
        Seed of the hits (nested across strengths).
    amplitude : float
        Brightness of a hit relative to the band's dynamic range.

    Returns
    -------
    ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((1, 3, 8, 8)); X[..., 0, 0] = 1.0
    >>> out = hot_pixels(X, 0.2, random_state=0)
    >>> bool(np.all(out >= X)), bool(out.max() > 1.0)
    (True, True)
    """
    X = _check_images(X)
    strength = _check_fraction(strength)
    amplitude = _check_strength(amplitude, "amplitude")
    if strength == 0:
        return X.copy()
    rng = check_random_state(random_state)
    n, channels, height, width = X.shape
    hit = rng.random_sample((n, 1, height, width)) < strength
    band = rng.randint(channels, size=(n, 1, height, width))
    brightness = rng.uniform(0.5, 1.5, size=(n, 1, height, width))
    in_band = band == np.arange(channels).reshape(1, channels, 1, 1)
    added = np.where(hit & in_band, amplitude * brightness * _band_scale(X, "range"), 0.0)
    return _as_dtype(X + added, X.dtype)


class _Perturbation(TransformerMixin, BaseEstimator):
    """Stateless transformer applying ``_function`` with the instance's parameters."""

    _function = None
    _parameter_constraints: dict = {
        "strength": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

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


class GaussianNoise(_Perturbation):
    """Transformer adding Gaussian noise at SNR ``1 / strength``.

    See :func:`gaussian_noise`.

    Parameters
    ----------
    strength : float, default=0.1
    random_state : int, RandomState instance or None, default=None

    Examples
    --------
    >>> import numpy as np
    >>> GaussianNoise(0.2, random_state=0).fit_transform(np.ones((2, 1, 4, 4))).shape
    (2, 1, 4, 4)
    """

    _function = staticmethod(gaussian_noise)

    def __init__(self, strength=0.1, *, random_state=None):
        self.strength = strength
        self.random_state = random_state


class PSFBlur(_Perturbation):
    """Transformer blurring with a Gaussian PSF of ``strength`` pixels.

    See :func:`psf_blur`.

    Parameters
    ----------
    strength : float, default=1.0
    random_state : ignored
    mode : str, default="reflect"

    Examples
    --------
    >>> import numpy as np
    >>> PSFBlur(1.5).fit_transform(np.ones((2, 3, 8, 8))).shape
    (2, 3, 8, 8)
    """

    _function = staticmethod(psf_blur)
    _parameter_constraints = {**_Perturbation._parameter_constraints, "mode": [str]}

    def __init__(self, strength=1.0, *, random_state=None, mode="reflect"):
        self.strength = strength
        self.random_state = random_state
        self.mode = mode


class JPEGCompression(_Perturbation):
    """Transformer applying JPEG-like block-DCT quantisation.

    See :func:`jpeg_compression`.

    Parameters
    ----------
    strength : float, default=1.0
    random_state : ignored

    Examples
    --------
    >>> import numpy as np
    >>> JPEGCompression(2.0).fit_transform(np.ones((1, 1, 16, 16), dtype=np.float32)).dtype
    dtype('float32')
    """

    _function = staticmethod(jpeg_compression)

    def __init__(self, strength=1.0, *, random_state=None):
        self.strength = strength
        self.random_state = random_state


class PixelDropout(_Perturbation):
    """Transformer losing a fraction ``strength`` of pixels.

    See :func:`pixel_dropout`.

    Parameters
    ----------
    strength : float in [0, 1], default=0.05
    random_state : int, RandomState instance or None, default=None
    fill_value : float, default=0.0
    per_band : bool, default=False

    Examples
    --------
    >>> import numpy as np
    >>> out = PixelDropout(0.5, random_state=0).fit_transform(np.ones((1, 1, 8, 8)))
    >>> 0 < float((out == 0).mean()) < 1
    True
    """

    _function = staticmethod(pixel_dropout)
    _parameter_constraints = {
        **_Perturbation._parameter_constraints,
        "strength": [Interval(numbers.Real, 0, 1, closed="both")],
        "fill_value": [numbers.Real],
        "per_band": ["boolean"],
    }

    def __init__(self, strength=0.05, *, random_state=None, fill_value=0.0, per_band=False):
        self.strength = strength
        self.random_state = random_state
        self.fill_value = fill_value
        self.per_band = per_band


class DeadColumns(_Perturbation):
    """Transformer losing a fraction ``strength`` of detector columns.

    See :func:`dead_columns`.

    Parameters
    ----------
    strength : float in [0, 1], default=0.05
    random_state : int, RandomState instance or None, default=None
    fill_value : float, default=0.0

    Examples
    --------
    >>> import numpy as np
    >>> DeadColumns(0.5, random_state=0).fit_transform(np.ones((2, 1, 4, 8))).shape
    (2, 1, 4, 8)
    """

    _function = staticmethod(dead_columns)
    _parameter_constraints = {
        **_Perturbation._parameter_constraints,
        "strength": [Interval(numbers.Real, 0, 1, closed="both")],
        "fill_value": [numbers.Real],
    }

    def __init__(self, strength=0.05, *, random_state=None, fill_value=0.0):
        self.strength = strength
        self.random_state = random_state
        self.fill_value = fill_value


class HotPixels(_Perturbation):
    """Transformer adding cosmic-ray-like hot pixels.

    See :func:`hot_pixels`.

    Parameters
    ----------
    strength : float in [0, 1], default=0.01
    random_state : int, RandomState instance or None, default=None
    amplitude : float, default=1.0

    Examples
    --------
    >>> import numpy as np
    >>> HotPixels(0.1, random_state=0).fit_transform(np.zeros((1, 2, 8, 8))).shape
    (1, 2, 8, 8)
    """

    _function = staticmethod(hot_pixels)
    _parameter_constraints = {
        **_Perturbation._parameter_constraints,
        "strength": [Interval(numbers.Real, 0, 1, closed="both")],
        "amplitude": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(self, strength=0.01, *, random_state=None, amplitude=1.0):
        self.strength = strength
        self.random_state = random_state
        self.amplitude = amplitude


PERTURBATIONS = {
    "noise": GaussianNoise,
    "blur": PSFBlur,
    "compression": JPEGCompression,
    "dropout": PixelDropout,
    "dead_columns": DeadColumns,
    "hot_pixels": HotPixels,
}
"""Short names of the perturbation transformers (used by :func:`robustness_curve`)."""
