"""Loading observations: FITS, PNG, HDF5 files written in tmp_path; cutouts; bad input."""

import h5py
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS
from PIL import Image

from skdomain.datasets import fill_invalid, load_images, make_cutouts


def _stamp(value, shape=(8, 8)):
    rng = np.random.default_rng(int(value))
    return (value + 0.01 * rng.normal(size=shape)).astype(np.float32)


def test_fits_folder_one_object_per_file_in_name_order(tmp_path):
    for i in range(3):
        fits.PrimaryHDU(_stamp(i)).writeto(tmp_path / f"g{i}.fits")
    images, mask = load_images(tmp_path)
    assert images.shape == (3, 1, 8, 8) and images.dtype == np.float32
    np.testing.assert_allclose(images.mean(axis=(1, 2, 3)), [0, 1, 2], atol=0.01)
    assert not mask.any()


def test_fits_any_hdu_multi_extension_and_cube(tmp_path):
    hdus = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(_stamp(1), name="G"),
                         fits.ImageHDU(_stamp(5), name="R")])
    hdus.writeto(tmp_path / "mef.fits")
    first, _ = load_images(tmp_path / "mef.fits")  # first HDU with image data
    np.testing.assert_allclose(first.mean(), 1, atol=0.01)
    red, _ = load_images(tmp_path / "mef.fits", hdu="R")
    np.testing.assert_allclose(red.mean(), 5, atol=0.01)
    bands, _ = load_images(tmp_path / "mef.fits", hdu="all")
    assert bands.shape == (1, 2, 8, 8)
    cube = np.stack([_stamp(i) for i in range(4)])
    fits.PrimaryHDU(cube).writeto(tmp_path / "cube.fits")
    assert load_images(tmp_path / "cube.fits")[0].shape == (1, 4, 8, 8)
    objects, _ = load_images(tmp_path / "cube.fits", layout="objects")
    assert objects.shape == (4, 1, 8, 8)
    np.testing.assert_allclose(objects[3].mean(), 3, atol=0.01)


def test_png_gray_and_rgb_scaled_to_unit_interval(tmp_path):
    Image.fromarray(np.full((6, 6), 255, np.uint8)).save(tmp_path / "a.png")
    gray, _ = load_images(tmp_path / "a.png")
    assert gray.shape == (1, 1, 6, 6) and gray.max() == 1.0
    rgb = np.zeros((6, 6, 3), np.uint8)
    rgb[..., 2] = 51
    Image.fromarray(rgb).save(tmp_path / "b.png")
    color, _ = load_images(tmp_path / "b.png")
    assert color.shape == (1, 3, 6, 6)
    np.testing.assert_allclose(color[0, :, 0, 0], [0, 0, 0.2])


def test_hdf5_in_memory_and_out_of_core(tmp_path):
    data = np.stack([_stamp(i)[None] for i in range(5)])
    with h5py.File(tmp_path / "s.h5", "w") as f:
        f["group/stamps"] = data
    images, _ = load_images(tmp_path / "s.h5")
    np.testing.assert_array_equal(images, data)
    view, mask = load_images(tmp_path / "s.h5", key="group/stamps", out_of_core=True)
    assert isinstance(view, h5py.Dataset) and mask is None
    np.testing.assert_array_equal(view[2:4], data[2:4])


def test_masked_pixels_are_filled_with_the_sky_and_flagged(tmp_path):
    stamp = np.full((8, 8), 3.0, np.float32)
    stamp[0, 0] = 50.0  # a cosmic ray that the sigma clipping ignores
    stamp[2:4, 2:4] = np.nan
    fits.PrimaryHDU(stamp).writeto(tmp_path / "m.fits")
    images, mask = load_images(tmp_path / "m.fits", mask_channel=True)
    assert images.shape == (1, 2, 8, 8)
    assert mask.sum() == 4 and mask[0, 0, 2, 2]
    np.testing.assert_allclose(images[0, 0, 2:4, 2:4], 3.0)
    np.testing.assert_array_equal(images[0, 1], mask[0, 0].astype(np.float32))
    constant, _ = fill_invalid(stamp[None, None], fill_value=-1.0)
    assert constant[0, 0, 2, 2] == -1.0 and np.isfinite(constant).all()


def test_cutouts_pixel_and_sky_coordinates_agree():
    frame = np.arange(40 * 50, dtype=np.float32).reshape(40, 50)
    stamps, mask = make_cutouts(frame, [[10, 20], [0, 0]], 5, fill_value=0.0)
    np.testing.assert_array_equal(stamps[0, 0], frame[18:23, 8:13])
    assert mask[1].sum() == 25 - 9 and stamps[1, 0, 2, 2] == frame[0, 0]
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crpix = [25, 20]
    wcs.wcs.cdelt = [-1e-4, 1e-4]
    wcs.wcs.crval = [150.0, 2.0]
    sky = SkyCoord.from_pixel(10, 20, wcs)
    sky_stamps, _ = make_cutouts(frame, SkyCoord([sky.ra], [sky.dec]), 5, wcs=wcs)
    np.testing.assert_allclose(sky_stamps[0], stamps[0])
    multi, _ = make_cutouts(np.stack([frame, -frame]), [[10, 20]], 5)
    np.testing.assert_array_equal(multi[0, 1], -stamps[0, 0])


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda d: fits.PrimaryHDU().writeto(d / "empty.fits"), "empty.fits: no HDU holds image"),
        (lambda d: fits.PrimaryHDU(np.zeros((2, 2, 2, 4, 4))).writeto(d / "five.fits"),
         "five.fits: image data of shape"),
        (lambda d: [fits.PrimaryHDU(np.zeros((8, 8))).writeto(d / "a.fits"),
                    fits.PrimaryHDU(np.zeros((9, 9))).writeto(d / "b.fits")],
         "b.fits: stamps of shape"),
        (lambda d: [fits.PrimaryHDU(np.zeros((8, 8))).writeto(d / "a.fits"),
                    fits.PrimaryHDU(np.full((8, 8), np.nan)).writeto(d / "b.fits")],
         "b.fits: object 0 .*no valid pixel"),
    ],
)
def test_bad_files_name_the_file(tmp_path, make, match):
    make(tmp_path)
    with pytest.raises(ValueError, match=match):
        load_images(tmp_path)


def test_hdf5_key_that_is_not_a_dataset(tmp_path):
    with h5py.File(tmp_path / "s.h5", "w") as f:
        f["group/stamps"] = np.zeros((2, 1, 4, 4))
    with pytest.raises(ValueError, match="s.h5: 'group' is not an HDF5 dataset"):
        load_images(tmp_path / "s.h5", key="group")
    with pytest.raises(ValueError, match="'missing' is not an HDF5 dataset"):
        load_images(tmp_path / "s.h5", key="missing", out_of_core=True)


def test_cutout_outside_the_frame_and_bad_positions():
    with pytest.raises(ValueError, match=r"positions\[1\] lies outside"):
        make_cutouts(np.zeros((10, 10)), [[5, 5], [100, 100]], 3)
    with pytest.raises(ValueError, match="positions must be"):
        make_cutouts(np.zeros((10, 10)), [1, 2, 3], 3)
