"""Galaxy Zoo-like morphology images seen by two surveys, with a strong-lens class.

Every galaxy is drawn from simple physical models, in angular units (arcsec):
Sersic bulges and exponential disks, bars, logarithmic spiral arms, thin
edge-on disks, star-forming clumps and tidal tails, pairs of interacting
galaxies, and elliptical lens galaxies surrounded by Einstein rings or arcs.
The same sky is then *observed* by a survey: it is sampled on the survey's
pixel grid, blurred by its (Gaussian) point-spread function and given sky and
photon noise for its depth. SDSS-like images have coarser pixels, a wider PSF
and more noise than DECaLS-like ones; ``"year1"`` and ``"year10"`` are two
data releases of one LSST-like survey that differ only in depth.

All of it is vectorized over samples: thousands of 32 x 32 images take a
fraction of a second to a few seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from ._psf import FWHM_PER_SIGMA, gaussian_psf

__all__ = ["make_galaxy_morphologies", "MORPHOLOGY_CLASSES", "SURVEYS", "SurveyConditions"]

#: The nine Galaxy Zoo classes of the seed (codes 0-8) and the strong lens (code 9).
MORPHOLOGY_CLASSES = (
    "disturbed",
    "merging",
    "round_smooth",
    "cigar_smooth",
    "barred_spiral",
    "unbarred_tight_spiral",
    "unbarred_loose_spiral",
    "edge_on_no_bulge",
    "edge_on_with_bulge",
    "strong_lens",
)
_LENS_CODE = 9

#: Short names accepted in ``classes=``; each maps to one of :data:`MORPHOLOGY_CLASSES`.
CLASS_ALIASES = {
    "merger": "merging",
    "elliptical": "round_smooth",
    "smooth": "round_smooth",
    "cigar": "cigar_smooth",
    "spiral": "unbarred_loose_spiral",
    "barred": "barred_spiral",
    "tight_spiral": "unbarred_tight_spiral",
    "loose_spiral": "unbarred_loose_spiral",
    "edge_on": "edge_on_no_bulge",
    "lens": "strong_lens",
}


@dataclass(frozen=True)
class SurveyConditions:
    """How a survey observes the sky.

    Parameters
    ----------
    pixel_scale : float
        Arcsec per pixel.
    psf_fwhm : float
        Full width at half maximum of the Gaussian PSF, arcsec.
    sky_noise : float
        Standard deviation of the sky noise per pixel, in the flux units of the
        images (a galaxy's central surface brightness is of order 1).
    gain : float
        Photon counts per flux unit: the photon noise variance is ``flux / gain``.
        Deeper surveys collect more photons.
    class_proportions : tuple of float
        Default relative frequency of the ten classes (lens last).
    has_lenses : bool
        Whether the lens class is included when ``include_lens=None``.

    Examples
    --------
    >>> SURVEYS["sdss"].pixel_scale
    0.396
    """

    pixel_scale: float
    psf_fwhm: float
    sky_noise: float
    gain: float
    class_proportions: tuple
    has_lenses: bool


# SDSS sees more bright, smooth and edge-on systems; the deeper survey picks up
# more faint disturbed objects and resolved spirals. Lenses are rare (about 5 %).
_SHALLOW_MIX = (0.07, 0.08, 0.20, 0.14, 0.10, 0.11, 0.10, 0.10, 0.10, 0.05)
_DEEP_MIX = (0.13, 0.12, 0.11, 0.08, 0.12, 0.10, 0.14, 0.08, 0.12, 0.05)

#: Survey presets: ``"sdss"``, ``"decals"`` and the LSST-like ``"year1"`` / ``"year10"``.
SURVEYS = {
    "sdss": SurveyConditions(0.396, 1.4, 0.12, 150.0, _SHALLOW_MIX, False),
    "decals": SurveyConditions(0.262, 1.1, 0.03, 600.0, _DEEP_MIX, True),
    "year1": SurveyConditions(0.2, 0.8, 0.06, 120.0, _SHALLOW_MIX, False),
    "year10": SurveyConditions(0.2, 0.8, 0.06 / np.sqrt(10.0), 1200.0, _DEEP_MIX, True),
}


# ---------------------------------------------------------------------------
# Light profiles. Every parameter is an array of shape (n, 1, 1) so that the
# profile broadcasts over the (H, W) pixel grid of n galaxies at once.


def _sersic_b(n):
    return 2.0 * n - 1.0 / 3.0 + 4.0 / (405.0 * n) + 46.0 / (25515.0 * n**2)


def _rotated(x, y, x0, y0, angle):
    dx, dy = x - x0, y - y0
    c, s = np.cos(angle), np.sin(angle)
    return c * dx + s * dy, -s * dx + c * dy


_CORE = 0.15  # core radius, in units of r_e, that softens the central cusp


def _sersic(x, y, *, x0, y0, r_e, n, q, angle, amplitude):
    """Sersic profile with a softened core; ``amplitude`` is the central surface brightness.

    The cusp of high-index profiles is flattened inside ``0.15 r_e`` (smaller
    than a PSF in practice), which keeps bulges and disks on comparable scales.
    """
    u, v = _rotated(x, y, x0, y0, angle)
    radius = np.sqrt(u**2 + (v / q) ** 2 + (_CORE * r_e) ** 2)
    return amplitude * np.exp(-_sersic_b(n) * ((radius / r_e) ** (1.0 / n) - _CORE ** (1.0 / n)))


def _spiral_disk(x, y, *, x0, y0, r_e, q, angle, amplitude, pitch, n_arms, arm_strength, phase):
    """Exponential disk whose light is modulated by logarithmic spiral arms.

    The arm pattern is computed in the plane of the disk (deprojected with the
    axis ratio ``q``) and fades out in the center where the bulge dominates.
    """
    u, v = _rotated(x, y, x0, y0, angle)
    v = v / q
    radius = np.sqrt(u**2 + v**2) + 1e-3
    azimuth = np.arctan2(v, u)
    disk = amplitude * np.exp(-_sersic_b(1.0) * radius / r_e)
    winding = np.log(radius / r_e) / np.tan(pitch)
    wave = 0.5 * (1.0 + np.cos(n_arms * (azimuth - winding - phase)))
    arms = wave**3  # narrow arms, broad inter-arm regions
    onset = 1.0 - np.exp(-((radius / (0.35 * r_e)) ** 2))
    return disk * (1.0 - arm_strength * onset + 2.0 * arm_strength * onset * arms)


def _gaussian_blobs(x, y, centers_x, centers_y, widths, fluxes):
    """Sum of round Gaussian blobs; blob arrays have shape (n, k)."""
    x = x[None, None]
    y = y[None, None]
    cx, cy = centers_x[..., None, None], centers_y[..., None, None]
    w = widths[..., None, None]
    blobs = fluxes[..., None, None] * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * w**2))
    return blobs.sum(axis=1)


def _tidal_tail(x, y, rng, n, *, x0, y0, length, width, flux, n_beads=10):
    """A curved stream of light leaving a galaxy, drawn as a chain of Gaussian beads."""
    start = rng.uniform(0, 2 * np.pi, n)[:, None]
    curl = rng.choice([-1.0, 1.0], n)[:, None] * rng.uniform(0.6, 1.4, n)[:, None]
    t = np.linspace(0.15, 1.0, n_beads)[None, :]
    radius = length[:, None] * t
    theta = start + curl * t
    cx = x0[:, None] + radius * np.cos(theta)
    cy = y0[:, None] + radius * np.sin(theta)
    widths = width[:, None] * (0.7 + 0.6 * t)
    fluxes = flux[:, None] * (1.2 - t)
    return _gaussian_blobs(x, y, cx, cy, widths, fluxes)


def _col(values):
    return np.asarray(values, dtype=float)[:, None, None]


def _sersic_per_image(x, y, **params):
    """:func:`_sersic` with one value of each parameter per image, given as arrays of shape (n,)."""
    return _sersic(x, y, **{name: _col(value) for name, value in params.items()})


def _random_sersic(x, y, rng, n, *, x0, y0, r_e, index, q, amplitude, angle=None):
    """One Sersic profile per image; a ``(low, high)`` tuple is drawn uniformly per image.

    ``r_e``, ``index``, ``q``, ``angle`` (uniform in ``[0, pi)`` when None) and
    ``amplitude`` are drawn in that order, so a seed gives the same images as
    the draws written out in that order.
    """

    def draw(value):
        return rng.uniform(*value, n) if isinstance(value, tuple) else value

    r_e, index, q = draw(r_e), draw(index), draw(q)
    angle = rng.uniform(0, np.pi, n) if angle is None else angle
    return _sersic_per_image(
        x, y, x0=x0, y0=y0, r_e=r_e, n=index, q=q, angle=angle, amplitude=draw(amplitude)
    )


def _disk_geometry(rng, n, *, inclined=True):
    q = rng.uniform(0.55, 1.0, n) if inclined else np.ones(n)
    return dict(
        x0=_col(rng.normal(0, 0.25, n)),
        y0=_col(rng.normal(0, 0.25, n)),
        q=_col(q),
        angle=_col(rng.uniform(0, np.pi, n)),
    )


def _bulge(x, y, rng, n, geometry, r_e, strength):
    return _sersic(
        x,
        y,
        x0=geometry["x0"],
        y0=geometry["y0"],
        r_e=_col(r_e),
        n=_col(rng.uniform(2.5, 4.0, n)),
        q=_col(rng.uniform(0.8, 1.0, n)),
        angle=geometry["angle"],
        amplitude=_col(strength),
    )


def _spiral(x, y, rng, n, *, pitch_deg, arm_strength, bar):
    size = rng.uniform(1.3, 2.0, n)
    geometry = _disk_geometry(rng, n)
    image = _spiral_disk(
        x,
        y,
        **geometry,
        r_e=_col(size),
        amplitude=_col(rng.uniform(0.8, 1.0, n)),
        pitch=_col(np.deg2rad(rng.uniform(*pitch_deg, n))),
        n_arms=_col(rng.choice([2, 2, 2, 3], n)),
        arm_strength=_col(rng.uniform(*arm_strength, n)),
        phase=_col(rng.uniform(0, 2 * np.pi, n)),
    )
    image += _bulge(x, y, rng, n, geometry, 0.22 * size, rng.uniform(0.8, 1.6, n))
    if bar:
        image += _sersic(
            x,
            y,
            x0=geometry["x0"],
            y0=geometry["y0"],
            r_e=_col(size * rng.uniform(0.45, 0.6, n)),
            n=_col(np.full(n, 0.5)),
            q=_col(rng.uniform(0.18, 0.28, n) * geometry["q"][:, 0, 0]),
            angle=geometry["angle"] + _col(rng.uniform(0.6, 1.4, n)),
            amplitude=_col(rng.uniform(0.4, 0.6, n)),
        )
    return image


def _smooth(x, y, rng, n, *, q_range):
    x0, y0 = rng.normal(0, 0.25, n), rng.normal(0, 0.25, n)
    return _random_sersic(
        x, y, rng, n, x0=x0, y0=y0, r_e=(0.9, 1.6), index=(3.0, 4.5), q=tuple(q_range),
        amplitude=(1.0, 1.5),
    )


def _edge_on(x, y, rng, n, *, bulge):
    x0, y0 = rng.normal(0, 0.25, n), rng.normal(0, 0.25, n)
    angle = rng.uniform(0, np.pi, n)
    size = rng.uniform(1.6, 2.4, n)
    image = _random_sersic(
        x, y, rng, n, x0=x0, y0=y0, r_e=size, index=(0.8, 1.1), q=(0.08, 0.16),
        angle=angle, amplitude=(0.8, 1.0),
    )
    if bulge:
        image += _random_sersic(
            x, y, rng, n, x0=x0, y0=y0, r_e=size * rng.uniform(0.25, 0.35, n),
            index=(2.5, 4.0), q=(0.65, 0.9), angle=angle, amplitude=(0.8, 1.2),
        )
    return image


def _disturbed(x, y, rng, n):
    """A single galaxy with lopsided light, bright clumps and a faint tidal tail."""
    geometry = _disk_geometry(rng, n)
    size = rng.uniform(1.1, 1.8, n)
    image = _sersic(
        x,
        y,
        **geometry,
        r_e=_col(size),
        n=_col(rng.uniform(0.8, 1.5, n)),
        amplitude=_col(rng.uniform(0.7, 1.0, n)),
    )
    u, v = _rotated(x, y, geometry["x0"], geometry["y0"], geometry["angle"])
    lopsided = 1.0 + _col(rng.uniform(0.3, 0.6, n)) * np.tanh(u / _col(size))
    image = image * lopsided
    n_clumps = 5
    radius = size[:, None] * rng.uniform(0.2, 1.3, (n, n_clumps))
    theta = rng.uniform(0, 2 * np.pi, (n, n_clumps))
    image += _gaussian_blobs(
        x,
        y,
        geometry["x0"][:, 0] + radius * np.cos(theta),
        geometry["y0"][:, 0] + radius * np.sin(theta),
        rng.uniform(0.2, 0.4, (n, n_clumps)),
        rng.uniform(0.2, 0.5, (n, n_clumps)),
    )
    image += _tidal_tail(
        x,
        y,
        rng,
        n,
        x0=geometry["x0"][:, 0, 0],
        y0=geometry["y0"][:, 0, 0],
        length=size * rng.uniform(1.5, 2.2, n),
        width=rng.uniform(0.35, 0.55, n),
        flux=rng.uniform(0.15, 0.25, n),
    )
    return image


def _merging(x, y, rng, n):
    """Two galaxies close on the sky, joined by tidal bridges and tails."""
    separation = rng.uniform(1.6, 3.0, n)
    direction = rng.uniform(0, 2 * np.pi, n)
    ratio = rng.uniform(0.45, 1.0, n)
    offset_x = 0.5 * separation * np.cos(direction)
    offset_y = 0.5 * separation * np.sin(direction)
    image = np.zeros((n, *x.shape))
    for sign, scale in ((1.0, np.ones(n)), (-1.0, ratio)):
        image += _sersic_per_image(
            x,
            y,
            x0=sign * offset_x,
            y0=sign * offset_y,
            r_e=rng.uniform(0.6, 1.0, n) * np.sqrt(scale),
            n=rng.uniform(1.0, 3.5, n),
            q=rng.uniform(0.5, 1.0, n),
            angle=rng.uniform(0, np.pi, n),
            amplitude=rng.uniform(0.8, 1.2, n) * scale,
        )
        image += _tidal_tail(
            x,
            y,
            rng,
            n,
            x0=sign * offset_x,
            y0=sign * offset_y,
            length=separation * rng.uniform(0.8, 1.4, n),
            width=rng.uniform(0.3, 0.5, n),
            flux=rng.uniform(0.15, 0.25, n) * scale,
        )
    return image


def _strong_lens(x, y, rng, n):
    """A massive elliptical with the lensed image of a background galaxy.

    The source is imaged into an Einstein ring of radius ``theta_E`` around the
    lens, or, when source and lens are not aligned, into one or two tangential
    arcs (the ring's brightness is modulated with azimuth).
    """
    x0, y0 = rng.normal(0, 0.2, n), rng.normal(0, 0.2, n)
    image = _random_sersic(
        x, y, rng, n, x0=x0, y0=y0, r_e=(0.5, 0.9), index=(3.5, 4.5), q=(0.7, 1.0),
        amplitude=(1.0, 1.4),
    )
    theta_e = _col(rng.uniform(1.2, 2.0, n))
    dx, dy = x - _col(x0), y - _col(y0)
    radius = np.sqrt(dx**2 + dy**2)
    azimuth = np.arctan2(dy, dx)
    ring_width = _col(rng.uniform(0.25, 0.4, n))
    ring = np.exp(-0.5 * ((radius - theta_e) / ring_width) ** 2)
    misalignment = _col(rng.uniform(0.0, 1.0, n))  # 0: full ring, 1: two compact arcs
    arc_center = _col(rng.uniform(0, 2 * np.pi, n))
    concentration = 1.0 + 6.0 * misalignment
    arcs = np.exp(concentration * (np.cos(2 * (azimuth - arc_center)) - 1.0))
    counter_image = 1.0 - 0.6 * misalignment * (1.0 - np.cos(azimuth - arc_center)) / 2.0
    return image + _col(rng.uniform(0.4, 0.8, n)) * ring * arcs * counter_image


_RENDERERS = {
    0: _disturbed,
    1: _merging,
    2: lambda x, y, rng, n: _smooth(x, y, rng, n, q_range=(0.75, 1.0)),
    3: lambda x, y, rng, n: _smooth(x, y, rng, n, q_range=(0.25, 0.45)),
    4: lambda x, y, rng, n: _spiral(
        x, y, rng, n, pitch_deg=(15, 25), arm_strength=(0.5, 0.8), bar=True
    ),
    5: lambda x, y, rng, n: _spiral(
        x, y, rng, n, pitch_deg=(8, 13), arm_strength=(0.5, 0.8), bar=False
    ),
    6: lambda x, y, rng, n: _spiral(
        x, y, rng, n, pitch_deg=(24, 35), arm_strength=(0.7, 0.95), bar=False
    ),
    7: lambda x, y, rng, n: _edge_on(x, y, rng, n, bulge=False),
    8: lambda x, y, rng, n: _edge_on(x, y, rng, n, bulge=True),
    9: _strong_lens,
}


# ---------------------------------------------------------------------------
# Observation: pixel grid, PSF, noise.


def _pixel_grid(image_size, pixel_scale):
    centers = (np.arange(image_size) - (image_size - 1) / 2.0) * pixel_scale
    y, x = np.meshgrid(centers, centers, indexing="ij")
    return x, y


def _resolve_classes(classes, include_lens, has_lenses):
    if classes is None:
        codes = list(range(_LENS_CODE))
        names = [MORPHOLOGY_CLASSES[c] for c in codes]
        with_lens = has_lenses if include_lens is None else bool(include_lens)
        if with_lens:
            codes.append(_LENS_CODE)
            names.append(MORPHOLOGY_CLASSES[_LENS_CODE])
        return codes, names
    if isinstance(classes, str) or not isinstance(classes, Sequence) or len(classes) == 0:
        raise ValueError("classes must be a non-empty list of class names or codes.")
    codes, names = [], []
    for item in classes:
        if isinstance(item, str):
            canonical = CLASS_ALIASES.get(item, item)
            if canonical not in MORPHOLOGY_CLASSES:
                known = sorted(set(MORPHOLOGY_CLASSES) | set(CLASS_ALIASES))
                raise ValueError(f"Unknown morphology class {item!r}; choose from {known}.")
            code = MORPHOLOGY_CLASSES.index(canonical)
        elif isinstance(item, Integral) and 0 <= item < len(MORPHOLOGY_CLASSES):
            code, item = int(item), MORPHOLOGY_CLASSES[int(item)]
        else:
            raise ValueError(f"Class codes must lie in 0..9, got {item!r}.")
        if code in codes:
            raise ValueError(f"Class {item!r} was asked for twice.")
        codes.append(code)
        names.append(item)
    if include_lens and _LENS_CODE not in codes:
        codes.append(_LENS_CODE)
        names.append(MORPHOLOGY_CLASSES[_LENS_CODE])
    elif include_lens is False and _LENS_CODE in codes:
        raise ValueError("classes contains the lens class but include_lens=False.")
    return codes, names


def _class_counts(n_samples, weights):
    """Split n_samples over classes in proportion to weights (largest remainders)."""
    expected = n_samples * weights / weights.sum()
    counts = np.floor(expected).astype(int)
    remainder = n_samples - counts.sum()
    counts[np.argsort(expected - counts)[::-1][:remainder]] += 1
    return counts


def make_galaxy_morphologies(
    n_samples=1000,
    *,
    survey="decals",
    classes=None,
    include_lens=None,
    image_size=32,
    class_proportions=None,
    depth=1.0,
    pixel_scale=None,
    psf_fwhm=None,
    labels="code",
    random_state=None,
):
    """Make single-band images of galaxy morphologies as a given survey sees them.

    Ten classes: the nine Galaxy Zoo classes of DeepAstroUDA (codes 0-8:
    disturbed, merging, round smooth, cigar-shaped smooth, barred spiral,
    unbarred tight spiral, unbarred loose spiral, edge-on without bulge, edge-on
    with bulge) and strong gravitational lenses (code 9: arcs or an Einstein
    ring around an elliptical). Galaxies are built in arcsec, then sampled on
    the survey's pixels, blurred by its PSF and given its noise, so the same
    physical galaxy covers fewer, blurrier and noisier pixels in SDSS-like data
    than in DECaLS-like data.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of images.
    survey : {"sdss", "decals", "year1", "year10"}, default="decals"
        Observing conditions and default class mix. ``"sdss"``: 0.396"/pixel,
        PSF FWHM 1.4", shallow. ``"decals"``: 0.262"/pixel, PSF 1.1", deep.
        ``"year1"`` / ``"year10"``: one LSST-like survey (0.2"/pixel, PSF 0.8")
        after one and ten years, the sky noise shrinking by sqrt(10).
    classes : list of str or int, default=None
        Which classes to draw, by name (see ``MORPHOLOGY_CLASSES``; the short
        aliases ``"spiral"``, ``"elliptical"``, ``"merger"``, ``"lens"``,
        ``"cigar"``, ``"edge_on"``, ``"barred"``... work too) or by code. ``None``
        draws the nine known classes, plus the lens class as ``include_lens`` says.
    include_lens : bool or None, default=None
        Add the strong-lens class. ``None`` follows the survey: lenses appear in
        the deep surveys (``"decals"``, ``"year10"``), which then play the target
        domain of universal domain adaptation, and not in the shallow ones.
    image_size : int, default=32
        Images are ``image_size x image_size`` pixels (at least 8).
    class_proportions : array-like or mapping, default=None
        Relative class frequencies, one per selected class in the order of
        ``classes`` (or a ``{name: weight}`` mapping). ``None`` takes the survey's
        default mix restricted to the selected classes. Counts are exact: the
        proportions are rounded to whole images.
    depth : float, default=1.0
        Exposure-time factor: the sky noise is divided by ``sqrt(depth)`` and the
        photon counts multiplied by ``depth``.
    pixel_scale, psf_fwhm : float, default=None
        Override the survey's pixel scale and PSF FWHM (arcsec).
    labels : {"code", "name"}, default="code"
        Return ``y`` as integer codes 0-9 (the same codes in every survey and for
        every subset of classes) or as the class names given in ``classes``.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, 1, image_size, image_size), float32
        Images, in flux units where a bright galaxy's center is of order 1.
    y : ndarray of shape (n_samples,)
        Class codes (int64) or names (object), shuffled.

    Examples
    --------
    >>> X, y = make_galaxy_morphologies(200, survey="sdss", random_state=0)
    >>> X.shape, sorted(set(y.tolist())) == list(range(9))
    ((200, 1, 32, 32), True)
    >>> Xt, yt = make_galaxy_morphologies(200, survey="decals", random_state=1)
    >>> bool((yt == 9).any())
    True
    >>> X1, y1 = make_galaxy_morphologies(
    ...     60, survey="year1", classes=["spiral", "elliptical", "merger"],
    ...     labels="name", random_state=0)
    >>> sorted(set(y1.tolist()))
    ['elliptical', 'merger', 'spiral']
    """
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if survey not in SURVEYS:
        raise ValueError(f"survey must be one of {sorted(SURVEYS)}, got {survey!r}.")
    if not isinstance(image_size, Integral) or image_size < 8:
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}.")
    if not isinstance(depth, Real) or not depth > 0:
        raise ValueError(f"depth must be a positive number, got {depth!r}.")
    if labels not in ("code", "name"):
        raise ValueError(f"labels must be 'code' or 'name', got {labels!r}.")
    if include_lens not in (None, True, False):
        raise ValueError(f"include_lens must be None, True or False, got {include_lens!r}.")
    conditions = SURVEYS[survey]
    pixel_scale = conditions.pixel_scale if pixel_scale is None else float(pixel_scale)
    psf_fwhm = conditions.psf_fwhm if psf_fwhm is None else float(psf_fwhm)
    if not pixel_scale > 0 or not psf_fwhm >= 0:
        raise ValueError("pixel_scale must be > 0 and psf_fwhm >= 0.")

    codes, names = _resolve_classes(classes, include_lens, conditions.has_lenses)
    if class_proportions is None:
        weights = np.array([conditions.class_proportions[c] for c in codes], dtype=float)
    elif isinstance(class_proportions, Mapping):
        unknown = set(class_proportions) - set(names)
        if unknown:
            raise ValueError(f"class_proportions names classes not drawn: {sorted(unknown)}.")
        weights = np.array([float(class_proportions.get(name, 0.0)) for name in names])
    else:
        weights = np.asarray(class_proportions, dtype=float).ravel()
        if weights.shape != (len(codes),):
            raise ValueError(
                f"class_proportions needs one weight per class ({len(codes)}), "
                f"got {weights.shape[0]}."
            )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("class_proportions must be finite, non-negative and not all zero.")

    rng = check_random_state(random_state)
    x, y = _pixel_grid(image_size, pixel_scale)
    counts = _class_counts(n_samples, weights)
    images, targets = [], []
    for code, name, count in zip(codes, names, counts, strict=True):
        if count == 0:
            continue
        brightness = _col(np.exp(rng.normal(0.0, 0.3, count)))
        images.append(_RENDERERS[code](x, y, rng, count) * brightness)
        targets.append(np.full(count, code if labels == "code" else name, dtype=object))
    images = np.concatenate(images)
    targets = np.concatenate(targets)

    images = gaussian_psf(images, psf_fwhm / FWHM_PER_SIGMA / pixel_scale, mode="fourier")
    # Surface brightness -> flux per pixel, relative to DECaLS-sized pixels.
    images *= (pixel_scale / SURVEYS["decals"].pixel_scale) ** 2
    gain = conditions.gain * depth
    noise_sigma = np.sqrt(conditions.sky_noise**2 / depth + np.clip(images, 0, None) / gain)
    images += noise_sigma * rng.standard_normal(images.shape)

    order = rng.permutation(n_samples)
    X = images[order, None].astype(np.float32)
    y = targets[order]
    y = y.astype(np.int64) if labels == "code" else y
    return X, y
