"""Devices and precision: mixed precision on the CPU here, the CUDA path where a GPU is lent.

Tests marked ``gpu`` are skipped without CUDA (tests/conftest.py).
"""

import numpy as np
import pytest
import torch

from skdomain import DANNClassifier, MMDClassifier
from skdomain.datasets import make_galaxy_mergers

cuda = pytest.mark.gpu


#: Size of the ``moons`` fixture (tests/conftest.py).
N_MOONS = 200


@pytest.fixture(scope="module")
def float32_fit(moons):
    X, y, X_t, _ = moons
    return MMDClassifier(max_epochs=15, random_state=0).fit(X, y, X_target=X_t)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains_float32_weights_as_well(moons, float32_fit, precision):
    X, y, X_t, y_t = moons
    clf = MMDClassifier(max_epochs=15, random_state=0, precision=precision)
    clf.fit(X, y, X_target=X_t)
    assert all(p.dtype == torch.float32 for p in clf.module_.parameters())
    assert clf.predict_proba(X_t).dtype == np.float64
    assert np.isfinite(clf.history_[-1]["mmd_loss"])
    # the half-precision run differs from the float32 one, but only by rounding
    assert abs(clf.score(X_t, y_t) - float32_fit.score(X_t, y_t)) < 0.08
    assert clf.net_.grad_scaler is None  # nothing kept after fit


def test_bad_precision_is_refused(moons):
    X, y, X_t, _ = moons
    with pytest.raises(ValueError, match="precision"):
        MMDClassifier(precision="int8").fit(X, y, X_target=X_t)


def test_auto_device_runs_on_what_is_there(moons):
    X, y, X_t, _ = moons
    clf = MMDClassifier(max_epochs=2, device="auto", random_state=0).fit(X, y, X_target=X_t)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(clf.module_.parameters()).device.type == expected


@pytest.fixture(scope="module")
def gpu_images():
    X, y = make_galaxy_mergers(64, image_size=24, random_state=0)
    X_t, y_t = make_galaxy_mergers(64, domain="noisy", image_size=24, random_state=1)
    return X, y, X_t, y_t


@cuda
@pytest.mark.parametrize("precision", ["32", "bf16", "fp16"])
def test_cuda_training_predict_transform(gpu_images, precision):
    X, y, X_t, _ = gpu_images
    clf = DANNClassifier(module="deepmerge", max_epochs=3, device="cuda", precision=precision,
                         random_state=0).fit(X, y, X_target=X_t)
    assert next(clf.module_.parameters()).is_cuda
    proba = clf.predict_proba(X_t)
    assert isinstance(proba, np.ndarray) and np.allclose(proba.sum(1), 1, atol=1e-5)
    assert clf.transform(X_t).shape == (len(X_t), clf.n_latent_)


@cuda
def test_cuda_inspection_attack_and_shift_tests(gpu_images):
    from skdomain.inspection import grad_cam
    from skdomain.robustness import one_pixel_attack
    from skdomain.shift import mmd_test

    X, y, X_t, _ = gpu_images
    clf = MMDClassifier(module="deepmerge", max_epochs=2, device="cuda", random_state=0)
    clf.fit(X, y, X_target=X_t)
    maps = grad_cam(clf, X_t[:4])
    assert np.all(np.isfinite(maps)) and maps.shape[0] == 4
    result = one_pixel_attack(clf, X_t[0], y[0], maxiter=2, population_size=10, random_state=0)
    assert result is not None
    Z, Z_t = clf.transform(X), clf.transform(X_t)
    test = mmd_test(torch.as_tensor(Z, device="cuda"), torch.as_tensor(Z_t, device="cuda"),
                    random_state=0)
    assert 0 <= test.p_value <= 1


@cuda
def test_cuda_matches_cpu_predictions_closely(gpu_images):
    X, y, X_t, _ = gpu_images
    params = {"module": "deepmerge", "max_epochs": 2, "random_state": 0}
    cpu = MMDClassifier(**params).fit(X, y, X_target=X_t)
    gpu = MMDClassifier(**params, device="cuda").fit(X, y, X_target=X_t)
    assert np.mean(cpu.predict(X_t) == gpu.predict(X_t)) > 0.9
