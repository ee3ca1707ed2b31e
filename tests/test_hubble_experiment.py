"""The Hubble Deep Field experiment: detection, normalization, and a tiny end-to-end run."""

import numpy as np
import pandas as pd
import pytest

from skdomain.experiments import get_experiment
from skdomain.experiments.hubble import detect_galaxies, normalize_stamps


def test_detects_planted_sources_brightest_first():
    rng = np.random.default_rng(0)
    frame = rng.normal(0.1, 0.01, size=(120, 150))
    yy, xx = np.mgrid[:120, :150]
    for (x, y), flux in zip([(30, 40), (100, 80), (70, 20)], [1.0, 3.0, 2.0], strict=True):
        frame += flux * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 3.0**2))
    positions = detect_galaxies(frame, min_area=10, max_sources=10)
    np.testing.assert_allclose(positions, [[100, 80], [70, 20], [30, 40]], atol=0.5)
    assert len(detect_galaxies(frame, min_area=10, max_sources=2)) == 2


def test_normalized_stamps_have_zero_sky_and_unit_bright_end():
    rng = np.random.default_rng(1)
    stamps = rng.normal(5.0, 0.1, size=(3, 1, 16, 16)).astype(np.float32)
    stamps[:, :, 6:10, 6:10] += 10.0
    out = normalize_stamps(stamps)
    for stamp in out:
        assert abs(np.median(stamp)) < 0.05
        assert np.percentile(stamp, 99.5) == pytest.approx(1.0)


def test_tiny_run_writes_the_report(tmp_path):
    run = get_experiment("hubble").run
    path = run(tmp_path, quick=True, verbose=False, n_source=90, max_stamps=30, max_epochs=1)
    text = path.read_text()
    for name in ("shift", "latent_mmd", "class_fractions"):
        assert (tmp_path / f"{name}.csv").exists() and f"{name}.csv" in text
    for name in ("frame", "gallery", "grad_cam"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    fractions = pd.read_csv(tmp_path / "class_fractions.csv", index_col=0)
    np.testing.assert_allclose(fractions.sum(), 1.0)
    latent = pd.read_csv(tmp_path / "latent_mmd.csv", index_col=0)
    assert list(latent.index) == ["source-only", "DANN"] and (latent.iloc[:, 0] >= 0).all()
    shift = pd.read_csv(tmp_path / "shift.csv", index_col=0)
    assert shift["p-value"].between(0, 1).all()
