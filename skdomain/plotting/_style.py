"""One visual style for every figure: palette, colormaps, image orientation.

The palette is Okabe & Ito's colour-blind-safe set (distinguishable with the
common colour-vision deficiencies and in greyscale print by lightness); the
colormaps are perceptually uniform; images are drawn with ``origin="lower"``,
the way astropy and DS9 display astronomical images (pixel (0, 0) at the
bottom left, north up for a standard orientation).
"""

from __future__ import annotations

__all__ = ["GRAD_CAM_CMAP", "IMAGE_CMAP", "IMAGE_ORIGIN", "NEUTRAL", "PALETTE", "palette_color"]

#: Okabe-Ito colours (black moved last: it is kept for reference lines).
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Color of markers that encode something other than class or method (e.g. domain).
NEUTRAL = "#4d4d4d"
#: Perceptually uniform colormap for saliency maps (Grad-CAM).
GRAD_CAM_CMAP = "inferno"
#: Colormap of single-band images.
IMAGE_CMAP = "gray"
#: Vertical orientation of every image figure.
IMAGE_ORIGIN = "lower"


def palette_color(i: int) -> str:
    """The ``i``-th color of :data:`PALETTE`, cycling.

    Parameters
    ----------
    i : int
        Index of the method or class.

    Returns
    -------
    str
        A hex color.

    Examples
    --------
    >>> palette_color(0), palette_color(len(PALETTE))
    ('#0072B2', '#0072B2')
    """
    return PALETTE[i % len(PALETTE)]
