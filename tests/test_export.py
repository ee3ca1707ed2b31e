"""Exported networks (TorchScript, ONNX) serve predict_proba without skdomain; HDF5 streaming."""

import subprocess
import sys

import h5py
import numpy as np
import pytest
import torch

from skdomain import DANNClassifier, MMDClassifier, MMDRegressor
from skdomain.datasets import make_galaxy_mergers, make_rotated_moons
from skdomain.export import (
    export_onnx,
    export_torchscript,
    iter_hdf5_batches,
    predict_hdf5,
    served_module,
)

onnxruntime = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def image_classifier():
    X, y = make_galaxy_mergers(40, image_size=16, random_state=0)
    X_t, _ = make_galaxy_mergers(40, domain="noisy", image_size=16, random_state=1)
    clf = DANNClassifier(module="deepmerge", max_epochs=2, random_state=0).fit(X, y, X_target=X_t)
    return clf, X_t


@pytest.fixture(scope="module")
def moons_classifier():
    X, y, X_t, _ = make_rotated_moons(80, random_state=0)
    clf = MMDClassifier(max_epochs=3, random_state=0).fit(X, y, X_target=X_t)
    return clf, X_t.astype(np.float32)


@pytest.mark.parametrize("fixture", ["image_classifier", "moons_classifier"])
def test_torchscript_reproduces_predict_proba(fixture, request, tmp_path):
    clf, X = request.getfixturevalue(fixture)
    path = export_torchscript(clf, tmp_path / "model.pt")
    loaded = torch.jit.load(str(path))
    with torch.no_grad():
        proba = loaded(torch.as_tensor(X[:7])).numpy()  # another batch size than traced
    np.testing.assert_allclose(proba, clf.predict_proba(X[:7]), atol=1e-5)


@pytest.mark.parametrize("fixture", ["image_classifier", "moons_classifier"])
def test_onnx_reproduces_predict_proba(fixture, request, tmp_path):
    clf, X = request.getfixturevalue(fixture)
    path = export_onnx(clf, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    proba = session.run(None, {"input": X[:9].astype(np.float32)})[0]
    np.testing.assert_allclose(proba, clf.predict_proba(X[:9]), atol=1e-5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_regressor_export_gives_predict_in_units_of_y(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = 100 + 10 * X[:, 0]
    reg = MMDRegressor(max_epochs=3, random_state=0).fit(X, y, X_target=X + 0.5)
    session = onnxruntime.InferenceSession(str(export_onnx(reg, tmp_path / "r.onnx")))
    out = session.run(None, {"input": X})[0]
    np.testing.assert_allclose(out.ravel(), reg.predict(X), rtol=1e-5, atol=1e-4)


def test_served_files_load_without_skdomain(moons_classifier, tmp_path):
    clf, X = moons_classifier
    export_torchscript(clf, tmp_path / "m.pt")
    export_onnx(clf, tmp_path / "m.onnx")
    np.save(tmp_path / "x.npy", X[:4])
    code = (
        "import sys, numpy as np, torch, onnxruntime\n"
        "sys.modules['skdomain'] = None\n"  # importing skdomain would now fail
        f"x = np.load(r'{tmp_path / 'x.npy'}')\n"
        f"a = torch.jit.load(r'{tmp_path / 'm.pt'}')(torch.as_tensor(x)).detach().numpy()\n"
        f"s = onnxruntime.InferenceSession(r'{tmp_path / 'm.onnx'}')\n"
        "b = s.run(None, {'input': x})[0]\n"
        "print(float(abs(a - b).max()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, check=True)
    assert float(done.stdout) < 1e-5


def _stamps(path, X):
    with h5py.File(path, "w") as handle:
        handle.create_dataset("images", data=X)
    return path


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_hdf5_streaming_matches_predict_proba(image_classifier, tmp_path, batch_size):
    clf, X = image_classifier
    path = _stamps(tmp_path / "stamps.h5", X)
    expected = clf.predict_proba(X)
    np.testing.assert_allclose(predict_hdf5(clf, path, batch_size=batch_size), expected,
                               atol=1e-6)
    out = predict_hdf5(served_module(clf), path, batch_size=batch_size,
                       output=tmp_path / "proba.h5")
    with h5py.File(out, "r") as handle:
        np.testing.assert_allclose(handle["proba"][:], expected, atol=1e-5)


def test_hdf5_reader_yields_consecutive_chunks(tmp_path):
    X = np.arange(30, dtype=np.float32).reshape(10, 3)
    path = _stamps(tmp_path / "s.h5", X)
    chunks = list(iter_hdf5_batches(path, "images", batch_size=4))
    assert [len(c) for c in chunks] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(chunks), X)


def test_hdf5_bad_input_names_file_and_dataset(tmp_path):
    path = _stamps(tmp_path / "s.h5", np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="no dataset 'stamps'"):
        predict_hdf5(lambda x: x, path, "stamps")
    with pytest.raises(ValueError, match="does not exist"):
        predict_hdf5(lambda x: x, tmp_path / "missing.h5")
    with pytest.raises(ValueError, match="batch_size"):
        predict_hdf5(lambda x: x, path, batch_size=0)
    with pytest.raises(ValueError, match="model must be"):
        predict_hdf5(42, path)
