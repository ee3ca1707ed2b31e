"""Fitted estimators survive pickle, joblib and the safe state_dict + JSON format."""

import json
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn

from skdomain import DANNClassifier, MMDClassifier, SourceOnlyClassifier
from skdomain.persistence import load_estimator, save_estimator

#: Size of the ``moons`` fixture (tests/conftest.py).
N_MOONS = 120


@pytest.fixture(scope="module")
def fitted(moons):
    X, y, X_target, _ = moons
    labels = np.array(["spiral", "elliptical"])[y]
    return [
        MMDClassifier(max_epochs=3, random_state=0, class_weight="balanced").fit(
            X, labels, X_target=X_target
        ),
        DANNClassifier(max_epochs=3, random_state=0, fisher_weight=0.1).fit(
            X, y, X_target=X_target
        ),
    ]


def _same_outputs(a, b, X):
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


def test_pickle_round_trip(moons, fitted):
    _, _, X_target, _ = moons
    for estimator in fitted:
        _same_outputs(estimator, pickle.loads(pickle.dumps(estimator)), X_target)


def test_joblib_round_trip(moons, fitted, tmp_path):
    _, _, X_target, _ = moons
    for i, estimator in enumerate(fitted):
        joblib.dump(estimator, tmp_path / f"model{i}.joblib")
        _same_outputs(estimator, joblib.load(tmp_path / f"model{i}.joblib"), X_target)


def test_safe_save_and_load(moons, fitted, tmp_path):
    _, _, X_target, _ = moons
    for i, estimator in enumerate(fitted):
        directory = save_estimator(estimator, tmp_path / f"model{i}")
        assert sorted(p.name for p in directory.iterdir()) == [
            "arrays.npz", "estimator.json", "weights.pt"
        ]
        # The weights file holds tensors only: the safe loader reads it.
        state = torch.load(directory / "weights.pt", weights_only=True)
        assert set(state) == {"module", "objective"}
        loaded = load_estimator(directory)
        assert type(loaded) is type(estimator)
        assert loaded.get_params() == estimator.get_params()
        np.testing.assert_array_equal(loaded.classes_, estimator.classes_)
        _same_outputs(estimator, loaded, X_target)


def test_loaded_model_continues_training(moons, fitted, tmp_path):
    X, y, X_target, _ = moons
    loaded = load_estimator(save_estimator(fitted[1], tmp_path / "dann"))
    loaded.set_params(warm_start=True, max_epochs=2).fit(X, y, X_target=X_target)
    assert len(loaded.history_) == 2
    assert np.all(np.isfinite(loaded.predict_proba(X_target)))


def test_dataframe_feature_names_are_kept(moons, tmp_path):
    X, y, X_target, _ = moons
    frame = pd.DataFrame(X, columns=["colour", "size"])
    estimator = SourceOnlyClassifier(max_epochs=2, random_state=0).fit(frame, y)
    loaded = load_estimator(save_estimator(estimator, tmp_path / "df"))
    assert list(loaded.feature_names_in_) == ["colour", "size"]
    np.testing.assert_array_equal(
        loaded.predict(pd.DataFrame(X_target, columns=["colour", "size"])),
        estimator.predict(pd.DataFrame(X_target, columns=["colour", "size"])),
    )


class TinyEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(2, 8)

    def forward(self, x):
        return torch.relu(self.layer(x))


def test_custom_module_must_be_given_at_load(moons, tmp_path):
    X, y, X_target, _ = moons
    estimator = MMDClassifier(module=TinyEncoder, max_epochs=2, random_state=0)
    estimator.fit(X, y, X_target=X_target)
    directory = save_estimator(estimator, tmp_path / "custom")
    with pytest.raises(ValueError, match="module=..."):
        load_estimator(directory)
    loaded = load_estimator(directory, module=TinyEncoder)
    _same_outputs(estimator, loaded, X_target)


def test_refuses_foreign_classes_and_objects(moons, fitted, tmp_path):
    X, y, _, _ = moons
    directory = save_estimator(fitted[1], tmp_path / "model")
    metadata = json.loads((directory / "estimator.json").read_text())
    metadata["class"] = "os.system"
    (directory / "estimator.json").write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match="only skdomain"):
        load_estimator(directory)
    metadata["class"] = "skdomain._classification.DANNClassifier"
    metadata["params"]["optimizer"] = {"__optimizer__": "subprocess.Popen"}
    (directory / "estimator.json").write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match="torch.optim"):
        load_estimator(directory)
    with pytest.raises(TypeError, match="joblib"):
        save_estimator(LogisticRegression().fit(X, y), tmp_path / "lr")
    with pytest.raises(ValueError, match="not a saved"):
        (tmp_path / "bogus").mkdir()
        (tmp_path / "bogus" / "estimator.json").write_text("{}")
        load_estimator(tmp_path / "bogus")


@pytest.mark.gpu
def test_cuda_training_returns_cpu_numpy_and_loads_on_cpu(moons, tmp_path):
    X, y, X_target, _ = moons
    estimator = DANNClassifier(max_epochs=2, random_state=0, device="cuda")
    estimator.fit(X, y, X_target=X_target)
    proba = estimator.predict_proba(X_target)
    assert isinstance(proba, np.ndarray) and np.all(np.isfinite(proba))
    loaded = load_estimator(save_estimator(estimator, tmp_path / "gpu"), device="cpu")
    np.testing.assert_allclose(loaded.predict_proba(X_target), proba, atol=1e-5)
