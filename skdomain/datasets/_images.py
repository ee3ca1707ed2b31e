"""Real observations in: FITS, PNG/JPEG and HDF5 stamps, and cutouts of a large frame.

The readers need the optional ``astro`` extra (``pip install "skdomain[astro]"``:
astropy, photutils, h5py, Pillow, scikit-image); a missing package raises an
``ImportError`` that names it.

Masked pixels
-------------
Pixels that are NaN or infinite (and, in FITS files, masked array entries) are
invalid. They are never an error: each one is replaced by ``fill_value``
(``"sky"``, the default, is the sigma-clipped median of the valid pixels of its
stamp and channel, astropy's :func:`~astropy.stats.sigma_clipped_stats`; or a
number), the boolean ``mask`` returned alongside marks them, and
``mask_channel=True`` appends one channel per stamp that is 1 where any channel
was invalid, so that a network can learn to ignore them. A stamp with no valid
pixel at all is an error naming its file and index.
"""

from __future__ import annotations

import importlib
import os
from numbers import Real
from pathlib import Path

import numpy as np

__all__ = ["load_images", "make_cutouts", "fill_invalid", "IMAGE_SUFFIXES"]

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
PIL_SUFFIXES = (".png", ".jpg", ".jpeg")
HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf")
#: File name endings that :func:`load_images` reads.
IMAGE_SUFFIXES = FITS_SUFFIXES + PIL_SUFFIXES + HDF5_SUFFIXES


def _require(module: str, package: str):
    try:
        return importlib.import_module(module)
    except ImportError as error:  # pragma: no cover - the dev set-up installs them
        raise ImportError(
            f"Reading observations needs {package}, part of skdomain's optional 'astro' "
            'extra: pip install "skdomain[astro]".'
        ) from error


def _kind(path: Path) -> str:
    name = path.name.lower()
    for kind, suffixes in (("fits", FITS_SUFFIXES), ("pil", PIL_SUFFIXES), ("hdf5", HDF5_SUFFIXES)):
        if name.endswith(suffixes):
            return kind
    raise ValueError(f"{path}: unknown image format; expected one of {IMAGE_SUFFIXES}.")


def _expand(paths) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    for entry in paths:
        entry = Path(entry)
        if entry.is_dir():
            found = sorted(p for p in entry.iterdir() if p.name.lower().endswith(IMAGE_SUFFIXES))
            if not found:
                raise ValueError(f"{entry}: folder without FITS, PNG, JPEG or HDF5 files.")
            files.extend(found)
        elif not entry.exists():
            raise ValueError(f"{entry}: no such file.")
        else:
            files.append(entry)
    if not files:
        raise ValueError("paths is empty: give files or a folder of images.")
    return files


def _as_stack(data: np.ndarray, layout: str, source: str) -> np.ndarray:
    """An image array as (n, channels, height, width)."""
    if data.ndim == 2:
        return data[None, None]
    if data.ndim == 3:
        return data[None] if layout == "channels" else data[:, None]
    if data.ndim == 4:
        return data
    raise ValueError(
        f"{source}: image data of shape {data.shape}; expected 2-D (height, width), "
        "3-D (channels or objects, height, width) or 4-D (objects, channels, height, width)."
    )


def _read_fits(path: Path, hdu, layout: str) -> np.ndarray:
    fits = _require("astropy.io.fits", "astropy")
    with fits.open(path, memmap=False) as hdus:
        images = [
            (i, h) for i, h in enumerate(hdus) if getattr(h, "data", None) is not None
            and getattr(h, "is_image", False) and np.ndim(h.data) >= 2
        ]
        if hdu == "all":
            if not images:
                raise ValueError(f"{path}: no HDU holds image data.")
            planes = [np.asarray(h.data, dtype=np.float32) for _, h in images]
            shapes = {p.shape for p in planes}
            if len(shapes) > 1 or planes[0].ndim != 2:
                raise ValueError(
                    f"{path}: hdu='all' stacks 2-D image extensions of one size as "
                    f"channels; got shapes {sorted(shapes)}."
                )
            return np.stack(planes)[None]
        if hdu is None:
            if not images:
                raise ValueError(f"{path}: no HDU holds image data.")
            chosen = images[0][1]
        else:
            try:
                chosen = hdus[hdu]
            except (KeyError, IndexError) as error:
                raise ValueError(f"{path}: no HDU {hdu!r}.") from error
            if chosen.data is None or not getattr(chosen, "is_image", False):
                raise ValueError(f"{path}: HDU {hdu!r} holds no image data.")
        data = chosen.data
        if np.ma.isMaskedArray(data):
            data = data.filled(np.nan)
        return _as_stack(np.asarray(data, dtype=np.float32), layout, str(path))


def _read_pil(path: Path) -> np.ndarray:
    image_module = _require("PIL.Image", "Pillow")
    with image_module.open(path) as image:
        array = np.asarray(image)
    scale = 255.0 if array.dtype == np.uint8 else 1.0
    array = array.astype(np.float32) / scale
    if array.ndim == 3:
        array = np.moveaxis(array, -1, 0)
    return _as_stack(array, "channels", str(path))


def _open_hdf5(path: Path, key: str | None):
    h5py = _require("h5py", "h5py")
    handle = h5py.File(path, "r")
    names = []
    handle.visititems(
        lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None
    )
    if key is None:
        if len(names) != 1:
            handle.close()
            raise ValueError(
                f"{path}: give key= (the HDF5 dataset to read); the file holds {names}."
            )
        key = names[0]
    if key not in handle or not isinstance(handle[key], h5py.Dataset):
        handle.close()
        raise ValueError(f"{path}: {key!r} is not an HDF5 dataset; datasets: {names}.")
    return handle, handle[key]


def fill_invalid(images, *, fill_value="sky", mask_channel=False, source="images"):
    """Replace non-finite pixels of a ``(n, channels, h, w)`` stack; return it and the mask.

    Parameters
    ----------
    images : ndarray of shape (n, channels, height, width)
    fill_value : "sky" or float, default="sky"
        ``"sky"``: the sigma-clipped median (astropy ``sigma_clipped_stats``)
        of the valid pixels of the same stamp and channel; a number: that value.
    mask_channel : bool, default=False
        Append a channel that is 1.0 where any channel of the pixel was invalid.
    source : str
        Named in error messages.

    Returns
    -------
    images : ndarray of float32, shape (n, channels [+ 1], height, width)
    mask : ndarray of bool, shape (n, channels, height, width)
        True where a pixel was invalid (before filling).

    Examples
    --------
    >>> import numpy as np
    >>> stamps = np.ones((1, 1, 3, 3)); stamps[0, 0, 1, 1] = np.nan
    >>> filled, mask = fill_invalid(stamps, fill_value=0.0, mask_channel=True)
    >>> filled.shape, float(filled[0, 0, 1, 1]), float(filled[0, 1, 1, 1]), int(mask.sum())
    ((1, 2, 3, 3), 0.0, 1.0, 1)
    """
    images = np.array(images, dtype=np.float32)
    if images.ndim != 4:
        raise ValueError(f"{source}: expected (n, channels, height, width), got {images.shape}.")
    mask = ~np.isfinite(images)
    empty = mask.reshape(images.shape[0], images.shape[1], -1).all(axis=2)
    if empty.any():
        i, c = (int(v) for v in np.argwhere(empty)[0])
        raise ValueError(f"{source}: stamp {i} (channel {c}) has no valid pixel (all NaN or inf).")
    if mask.any():
        if isinstance(fill_value, str):
            if fill_value != "sky":
                raise ValueError(f"fill_value must be 'sky' or a number, got {fill_value!r}.")
            stats = _require("astropy.stats", "astropy")
            for i, c in np.argwhere(mask.any(axis=(2, 3))):
                _, median, _ = stats.sigma_clipped_stats(images[i, c], mask=mask[i, c])
                images[i, c][mask[i, c]] = median
        elif isinstance(fill_value, Real):
            images[mask] = float(fill_value)
        else:
            raise ValueError(f"fill_value must be 'sky' or a number, got {fill_value!r}.")
    if mask_channel:
        images = np.concatenate([images, mask.any(axis=1, keepdims=True).astype(np.float32)], 1)
    return images, mask


def load_images(
    paths, *, hdu=None, layout="channels", key=None, fill_value="sky", mask_channel=False,
    out_of_core=False,
):
    """Read a stack of image cutouts from FITS, PNG/JPEG or HDF5 files.

    Parameters
    ----------
    paths : path, folder, or list of them
        Files to read, in order (a folder contributes its FITS/PNG/JPEG/HDF5
        files in name order). Each file holds one object or a stack of them.
    hdu : int, str, "all" or None, default=None
        FITS only: the HDU to read (index or extension name); ``None`` takes
        the first HDU with image data; ``"all"`` stacks every 2-D image
        extension of the file as the channels of one object (a multi-band
        multi-extension file).
    layout : {"channels", "objects"}, default="channels"
        What the first axis of a 3-D image (a cube) is: the bands of one
        object, or one plane per object. 4-D data is always
        (objects, channels, height, width).
    key : str, default=None
        HDF5 only: the dataset to read (optional when the file holds one).
    fill_value : "sky" or float, default="sky"
        What replaces invalid pixels (see :func:`fill_invalid`).
    mask_channel : bool, default=False
        Append a mask channel (1 where a pixel was invalid).
    out_of_core : bool, default=False
        HDF5 only (a single file): return the ``h5py.Dataset`` itself, which
        the estimators stream in batches (``fit``, ``predict``, ``transform``)
        without reading it whole; ``mask`` is then ``None`` and invalid pixels
        are an error naming their index when a batch is read.

    Returns
    -------
    images : ndarray of float32, shape (n, channels, height, width), or h5py.Dataset
    mask : ndarray of bool, shape (n, channels, height, width), or None
        True where a pixel was invalid before filling.

    Raises
    ------
    ValueError
        Naming the file: no image data, an image of unsupported dimension,
        stamps of different shapes, an HDF5 key that is not a dataset, a
        stamp without valid pixels. Nothing is returned in part.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for i in range(3):
    ...     fits.PrimaryHDU(np.full((8, 8), float(i), np.float32)).writeto(folder / f"g{i}.fits")
    >>> images, mask = load_images(folder)
    >>> images.shape, images.dtype, bool(mask.any())
    ((3, 1, 8, 8), dtype('float32'), False)
    """
    if layout not in ("channels", "objects"):
        raise ValueError(f"layout must be 'channels' or 'objects', got {layout!r}.")
    files = _expand(paths)
    if out_of_core:
        if len(files) != 1 or _kind(files[0]) != "hdf5":
            raise ValueError("out_of_core=True reads one HDF5 file; convert other files first.")
        _, dataset = _open_hdf5(files[0], key)
        if dataset.ndim != 4:
            raise ValueError(
                f"{files[0]}: dataset {dataset.name!r} has shape {dataset.shape}; out_of_core "
                "needs (n, channels, height, width)."
            )
        return dataset, None
    stacks, sources = [], []
    for path in files:
        kind = _kind(path)
        if kind == "fits":
            stack = _read_fits(path, hdu, layout)
        elif kind == "pil":
            stack = _read_pil(path)
        else:
            handle, dataset = _open_hdf5(path, key)
            with handle:
                stack = _as_stack(np.asarray(dataset, dtype=np.float32), layout, str(path))
        if stacks and stack.shape[1:] != stacks[0].shape[1:]:
            raise ValueError(
                f"{path}: stamps of shape {stack.shape[1:]} (channels, height, width), but "
                f"{sources[0]} has {stacks[0].shape[1:]}; cut stamps of one size "
                "(make_cutouts) first."
            )
        stacks.append(stack)
        sources.append(path)
    images = np.concatenate(stacks) if len(stacks) > 1 else stacks[0]
    offsets = np.cumsum([0] + [len(s) for s in stacks])
    try:
        return fill_invalid(images, fill_value=fill_value, mask_channel=mask_channel)
    except ValueError as error:
        message = str(error)
        if "stamp " in message:
            index = int(message.split("stamp ")[1].split(" ")[0])
            f = int(np.searchsorted(offsets, index, side="right") - 1)
            raise ValueError(
                f"{sources[f]}: object {index - offsets[f]} (stamp {index} of the stack) has "
                "no valid pixel (all NaN or inf)."
            ) from error
        raise


def make_cutouts(
    image, positions, size, *, wcs=None, fill_value="sky", mask_channel=False
):
    """Cut square stamps around catalog positions out of a large frame.

    Uses astropy's :class:`~astropy.nddata.Cutout2D` (``mode="partial"``: a
    stamp that runs off the frame is padded with invalid pixels, then filled as
    in :func:`fill_invalid`).

    Parameters
    ----------
    image : ndarray of shape (height, width) or (channels, height, width)
        The frame (channels first).
    positions : array-like of shape (n, 2) or astropy SkyCoord
        Pixel coordinates ``(x, y)`` (column, row; zero-based), or sky
        coordinates when ``wcs`` is given.
    size : int
        Side of the stamps in pixels.
    wcs : astropy.wcs.WCS, default=None
        World coordinate system of the frame (required for sky coordinates).
    fill_value, mask_channel
        As in :func:`load_images`.

    Returns
    -------
    stamps : ndarray of float32, shape (n, channels, size, size)
    mask : ndarray of bool, shape (n, channels, size, size)

    Examples
    --------
    >>> import numpy as np
    >>> frame = np.arange(100.0).reshape(10, 10)
    >>> stamps, mask = make_cutouts(frame, [[2, 3], [9, 9]], 3, fill_value=0.0)
    >>> stamps.shape, float(stamps[0, 0, 1, 1]), int(mask[1].sum())
    ((2, 1, 3, 3), 32.0, 5)
    """
    nddata = _require("astropy.nddata", "astropy")
    frame = np.asarray(image, dtype=np.float32)
    if frame.ndim == 2:
        frame = frame[None]
    if frame.ndim != 3:
        raise ValueError(f"image must be (height, width) or (channels, h, w), got {frame.shape}.")
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}.")
    is_sky = type(positions).__name__ == "SkyCoord"
    if is_sky:
        if wcs is None:
            raise ValueError("positions are sky coordinates: pass the frame's wcs.")
        centers = list(positions) if not positions.isscalar else [positions]
    else:
        centers = np.asarray(positions, dtype=float)
        if centers.ndim != 2 or centers.shape[1] != 2:
            raise ValueError(f"positions must be (n, 2) pixel coordinates, got {centers.shape}.")
        centers = [tuple(c) for c in centers]
    stamps = np.full((len(centers), frame.shape[0], size, size), np.nan, dtype=np.float32)
    for i, center in enumerate(centers):
        for c in range(frame.shape[0]):
            try:
                cut = nddata.Cutout2D(
                    frame[c], center, size, wcs=wcs, mode="partial", fill_value=np.nan
                )
            except nddata.NoOverlapError as error:
                raise ValueError(f"positions[{i}] lies outside the image.") from error
            stamps[i, c] = cut.data
    return fill_invalid(
        stamps, fill_value=fill_value, mask_channel=mask_channel, source="make_cutouts"
    )
