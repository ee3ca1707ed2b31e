"""Out-of-core inputs: h5py datasets, memmaps and torch Datasets, streamed in batches."""

import h5py
import numpy as np
import pytest
import torch
from skorch.callbacks import EpochScoring
from torch.utils.data import Dataset, TensorDataset

from skdomain import DANNClassifier, MMDRegressor, UniversalDAClassifier
from skdomain._training import StreamDataset

RNG = np.random.default_rng(0)
X = RNG.normal(size=(90, 1, 6, 6)).astype(np.float32)
Y_CLASS = (X.mean(axis=(1, 2, 3)) > 0).astype(int)
Y_REG = X.mean(axis=(1, 2, 3)) * 3.0
X_TARGET = (X[:70] * 1.3 + 0.4).astype(np.float32)
SMALL = {"max_epochs": 3, "batch_size": 16, "random_state": 0, "hidden_units": (16,)}


@pytest.fixture(scope="module")
def h5(tmp_path_factory):
    path = tmp_path_factory.mktemp("stream") / "stamps.h5"
    with h5py.File(path, "w") as f:
        f["X"] = X
        f["X_target"] = X_TARGET
    handle = h5py.File(path, "r")
    yield handle
    handle.close()


class Pairs(Dataset):
    """A torch Dataset returning (image, label) pairs, the way users write them."""

    def __init__(self, images, labels=None):
        self.images, self.labels = torch.from_numpy(images), labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i], (0 if self.labels is None else self.labels[i])


FAMILIES = [
    (DANNClassifier, Y_CLASS, "predict_proba"),
    (MMDRegressor, Y_REG, "predict"),
    (UniversalDAClassifier, Y_CLASS, "predict_proba"),
]


@pytest.mark.parametrize("cls, y, method", FAMILIES, ids=lambda v: getattr(v, "__name__", ""))
def test_streamed_fit_gives_the_in_memory_model(h5, cls, y, method):
    reference = cls(**SMALL).fit(X, y, X_target=X_TARGET)
    expected = getattr(reference, method)(X_TARGET)
    from_h5 = cls(**SMALL).fit(h5["X"], y, X_target=h5["X_target"])
    np.testing.assert_allclose(getattr(from_h5, method)(h5["X_target"]), expected, atol=1e-5)
    np.testing.assert_allclose(from_h5.transform(h5["X"]), reference.transform(X), atol=1e-5)
    target = TensorDataset(torch.from_numpy(X_TARGET))
    from_torch = cls(**SMALL).fit(Pairs(X, y), y, X_target=target)
    np.testing.assert_allclose(getattr(from_torch, method)(Pairs(X_TARGET)), expected, atol=1e-5)


def test_memmap_and_early_stopping_split_match_in_memory(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, X)
    memmap = np.load(path, mmap_mode="r")
    assert isinstance(memmap, np.memmap)
    params = {**SMALL, "early_stopping": True, "validation_fraction": 0.2}
    a = DANNClassifier(**params).fit(X, Y_CLASS, X_target=X_TARGET)
    b = DANNClassifier(**params).fit(memmap, Y_CLASS, X_target=X_TARGET)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(memmap), atol=1e-5)
    assert a.history_[:, "valid_loss"] == pytest.approx(b.history_[:, "valid_loss"], abs=1e-5)


def test_worker_processes_read_an_h5py_dataset(h5):
    ref = MMDRegressor(**SMALL).fit(X, Y_REG)
    streamed = MMDRegressor(**SMALL, num_workers=2).fit(h5["X"], Y_REG)
    np.testing.assert_allclose(streamed.predict(h5["X"]), ref.predict(X), atol=1e-5)


def test_streams_are_read_one_batch_at_a_time(monkeypatch):
    sizes = []
    read = StreamDataset.read

    def spy(self, index):
        sizes.append(len(np.asarray(index).reshape(-1)))
        return read(self, index)

    monkeypatch.setattr(StreamDataset, "read", spy)
    big = RNG.normal(size=(2100, 3)).astype(np.float32)
    model = MMDRegressor(max_epochs=1, batch_size=128, random_state=0).fit(
        TensorDataset(torch.from_numpy(big)), big[:, 0], X_target=Pairs(big)
    )
    train_sizes = list(sizes)
    assert max(train_sizes) == 128 and sum(train_sizes) >= 2 * 2100 - 128
    sizes.clear()
    assert model.predict(TensorDataset(torch.from_numpy(big))).shape == (2100,)
    assert sizes == [1024, 1024, 52]


def test_epoch_scoring_callbacks_work():
    clf = DANNClassifier(
        **SMALL, early_stopping=True,
        callbacks=[EpochScoring("accuracy", name="valid_acc"),
                   EpochScoring("accuracy", on_train=True, name="train_acc")],
    ).fit(X, Y_CLASS, X_target=X_TARGET)
    valid_acc = clf.history_[:, "valid_acc"]
    train_acc = clf.history_[:, "train_acc"]
    assert len(valid_acc) == 3 and all(0 <= a <= 1 for a in valid_acc + train_acc)
    # On the training data, the callback's accuracy is the fitted model's (up to the
    # last optimizer step, which comes after the epoch's predictions).
    assert train_acc[-1] == pytest.approx(clf.score(X, Y_CLASS), abs=0.25)
    reg = MMDRegressor(**SMALL, callbacks=[EpochScoring("r2", on_train=True, name="r2")])
    assert len(reg.fit(X, Y_REG).history_[:, "r2"]) == 3


class WrongTuple(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torch.zeros(1, 6, 6), 0, "extra"


class Ragged(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torch.zeros(1, 6, 6 if i < 3 else 5)


def test_bad_streams_name_the_offending_index(h5, tmp_path):
    clf = DANNClassifier(**SMALL).fit(X, Y_CLASS)
    with pytest.raises(ValueError, match=r"X\[0\]: the Dataset returned a tuple of 3"):
        clf.predict(WrongTuple())
    with pytest.raises(ValueError, match=r"X\[3\] has shape \(1, 6, 5\)"):
        clf.predict(Ragged())
    bad = X.copy()
    bad[57, 0, 2, 2] = np.nan
    with h5py.File(tmp_path / "nan.h5", "w") as f:
        f["X"] = bad
        with pytest.raises(ValueError, match=r"X_target\[57\] contains NaN"):
            DANNClassifier(**SMALL).fit(X, Y_CLASS, X_target=f["X"])
        with pytest.raises(ValueError, match=r"X\[57\] contains NaN"):
            clf.predict(f["X"])
    with pytest.raises(ValueError, match=r"X_target\[3\] has shape \(1, 6, 5\)"):
        DANNClassifier(**SMALL).fit(h5["X"], Y_CLASS, X_target=Ragged())
    with pytest.raises(ValueError, match="X_target has sample shape"):
        small = TensorDataset(torch.zeros(4, 1, 5, 5))
        DANNClassifier(**SMALL).fit(h5["X"], Y_CLASS, X_target=small)
    with pytest.raises(ValueError, match="X has 70 samples but y has 90"):
        DANNClassifier(**SMALL).fit(h5["X_target"], Y_CLASS)
    with pytest.raises(ValueError, match="expecting 1 features"):
        clf.predict(TensorDataset(torch.zeros(3, 2, 6, 6)))


def test_contrastive_pretraining_refuses_out_of_core_data(h5):
    with pytest.raises(ValueError, match="pretrain_epochs > 0 needs X and X_target in memory"):
        UniversalDAClassifier(**SMALL, pretrain_epochs=1).fit(X, Y_CLASS, X_target=h5["X_target"])
