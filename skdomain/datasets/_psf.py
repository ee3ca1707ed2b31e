"""The Gaussian point-spread function, shared by the image generators and perturbations."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))
"""Full width at half maximum of a Gaussian per unit of its standard deviation."""


def gaussian_psf(images, sigma, *, mode="reflect"):
    """Convolve the last two axes of ``images`` with a circular Gaussian of ``sigma`` pixels.

    ``mode="fourier"`` multiplies the spectrum by the Gaussian's exact transfer
    function (periodic edges); every other mode is a border mode of
    :func:`scipy.ndimage.gaussian_filter`, whose sampled kernel is truncated at
    four standard deviations.

    Examples
    --------
    >>> point = np.zeros((1, 9, 9)); point[0, 4, 4] = 1.0
    >>> [round(float(gaussian_psf(point, 1.0, mode=m).sum()), 6) for m in ("fourier", "reflect")]
    [1.0, 1.0]
    """
    if mode == "fourier":
        height, width = images.shape[-2:]
        ky = np.fft.fftfreq(height)[:, None]
        kx = np.fft.rfftfreq(width)[None, :]
        transfer = np.exp(-2.0 * np.pi**2 * sigma**2 * (kx**2 + ky**2))
        return np.fft.irfft2(np.fft.rfft2(images) * transfer, s=(height, width))
    leading = (0,) * (np.ndim(images) - 2)
    return ndimage.gaussian_filter(images, sigma=(*leading, sigma, sigma), mode=mode)
