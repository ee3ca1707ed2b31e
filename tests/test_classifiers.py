"""Behavior of the deep classifiers: they learn, they adapt, they fail loudly."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdomain import DANNClassifier, DeepCORALClassifier, MMDClassifier, SourceOnlyClassifier
from skdomain.datasets import make_rotated_moons
from skdomain.exceptions import DivergedError
from skdomain.nn import GradientReversal, domain_adversarial_loss

QUICK = dict(max_epochs=8, batch_size=32, hidden_units=(16,), random_state=0)
CLASSIFIERS = [SourceOnlyClassifier, MMDClassifier, DANNClassifier]
# Small but learnable settings, as in tests/test_estimator_checks.py for the others.
FAST = dict(max_epochs=10, batch_size=32, lr=2e-2, hidden_units=(16,), random_state=0)


@pytest.fixture(scope="module")
def moons():
    return make_rotated_moons(200, random_state=0)


@pytest.mark.slow
def test_adaptation_beats_source_only_on_rotated_moons():
    """Default settings, three seeds; target labels used only for scoring."""
    scores = {cls.__name__: [] for cls in CLASSIFIERS}
    for seed in range(3):
        X, y, X_target, y_target = make_rotated_moons(500, random_state=seed)
        for cls in CLASSIFIERS:
            model = cls(random_state=seed).fit(X, y, X_target=X_target)
            scores[cls.__name__].append(model.score(X_target, y_target))
    mean = {name: np.mean(values) for name, values in scores.items()}
    assert mean["SourceOnlyClassifier"] < 0.85
    assert mean["MMDClassifier"] > 0.95
    assert mean["DANNClassifier"] > mean["SourceOnlyClassifier"] + 0.08


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_learns_the_source_domain(cls):
    X, y, X_target, _ = make_rotated_moons(500, random_state=0)
    model = cls(random_state=0).fit(X, y, X_target=X_target)
    assert model.score(X, y) > 0.95


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_same_seed_same_model_other_seed_other_model(cls, moons):
    X, y, X_target, _ = moons
    first = cls(**QUICK).fit(X, y, X_target=X_target).predict_proba(X_target)
    again = cls(**QUICK).fit(X, y, X_target=X_target).predict_proba(X_target)
    other = cls(**{**QUICK, "random_state": 1}).fit(X, y, X_target=X_target)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other.predict_proba(X_target))


def test_seeding_leaves_global_torch_rng_alone(moons):
    X, y, X_target, _ = moons
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    MMDClassifier(**QUICK).fit(X, y, X_target=X_target)
    np.testing.assert_array_equal(torch.rand(3), expected)


@pytest.mark.parametrize("cls", [MMDClassifier, DANNClassifier])
def test_string_labels_and_multiclass(cls):
    X, y_int = make_blobs(150, centers=3, cluster_std=0.6, random_state=0)
    names = np.array(["spiral", "elliptical", "merger"])
    y = names[y_int]
    X_target = X + 0.3
    model = cls(**{**QUICK, "max_epochs": 30}).fit(X, y, X_target=X_target)
    assert set(model.classes_) == set(names)
    assert model.predict(X).dtype == y.dtype
    assert model.predict_proba(X).shape == (150, 3)
    assert model.score(X, y) > 0.9


def test_dataframes_keep_feature_names_and_check_target_columns(moons):
    X, y, X_target, _ = moons
    frame = pd.DataFrame(X, columns=["flux", "size"])
    target = pd.DataFrame(X_target, columns=["flux", "size"])
    model = MMDClassifier(**QUICK).fit(frame, pd.Series(y), X_target=target)
    assert list(model.feature_names_in_) == ["flux", "size"]
    with pytest.raises(ValueError, match="columns"):
        MMDClassifier(**QUICK).fit(
            frame, y, X_target=pd.DataFrame(X_target, columns=["size", "flux"])
        )


BAD_INPUTS = {
    "nan in X": lambda X, y, Xt: (
        np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X),
        y,
        Xt,
    ),
    "inf in X_target": lambda X, y, Xt: (
        X,
        y,
        np.where(np.arange(Xt.size).reshape(Xt.shape) == 5, np.inf, Xt),
    ),
    "target features": lambda X, y, Xt: (X, y, np.hstack([Xt, Xt])),
    "empty target": lambda X, y, Xt: (X, y, Xt[:0]),
    "one class": lambda X, y, Xt: (X, np.zeros_like(y), Xt),
    "length mismatch": lambda X, y, Xt: (X, y[:-3], Xt),
    "continuous y": lambda X, y, Xt: (X, y + np.linspace(0, 0.5, len(y)), Xt),
}
MESSAGES = {
    "nan in X": "NaN",
    "inf in X_target": "X_target",
    "target features": "X_target",
    "empty target": "X_target",
    "one class": "class",
    "length mismatch": "samples",
    "continuous y": "Unknown label type",
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_bad_input_gets_a_clear_error_and_is_not_modified(cls, case, moons):
    X, y, X_target, _ = (a.copy() for a in moons)
    X, y, X_target = BAD_INPUTS[case](X, y, X_target)
    copies = [a.copy() for a in (X, y, X_target)]
    with pytest.raises(ValueError, match=MESSAGES[case]):
        cls(**QUICK).fit(X, y, X_target=X_target)
    for before, after in zip(copies, (X, y, X_target), strict=True):
        np.testing.assert_array_equal(before, after)


def test_training_leaves_inputs_untouched(moons):
    X, y, X_target, _ = moons
    copies = [a.copy() for a in (X, y, X_target)]
    DANNClassifier(**QUICK).fit(X, y, X_target=X_target)
    for before, after in zip(copies, (X, y, X_target), strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(
    "cls, param",
    [
        (MMDClassifier, "mmd_weight"),
        (DANNClassifier, "domain_weight"),
        (SourceOnlyClassifier, "fisher_weight"),
        (MMDClassifier, "entropy_weight"),
    ],
)
def test_negative_loss_weight_is_rejected(cls, param, moons):
    X, y, X_target, _ = moons
    with pytest.raises(ValueError, match=param):
        cls(**{**QUICK, param: -0.1}).fit(X, y, X_target=X_target)


def test_nan_loss_stops_training_and_names_the_term(moons, monkeypatch):
    import skdomain.nn._terms as objectives

    def broken_mmd(source, target, **kwargs):
        return (source.sum() + target.sum()) * float("nan")

    monkeypatch.setattr(objectives, "mmd2", broken_mmd)
    X, y, X_target, _ = moons
    with pytest.raises(DivergedError, match="mmd_loss"):
        MMDClassifier(**QUICK).fit(X, y, X_target=X_target)


def test_unfitted_estimator_raises_not_fitted(moons):
    with pytest.raises(NotFittedError):
        MMDClassifier().transform(moons[0])


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_history_records_every_term(cls, moons):
    X, y, X_target, _ = moons
    model = cls(**QUICK, fisher_weight=0.1, entropy_weight=0.1).fit(X, y, X_target=X_target)
    expected = {"classification_loss", "fisher_loss", "entropy_loss", "train_loss"}
    expected |= {"MMDClassifier": {"mmd_loss"}, "DANNClassifier": {"domain_loss"}}.get(
        cls.__name__, set()
    )
    assert expected <= set(model.history_[-1])
    assert len(model.history_) == QUICK["max_epochs"]
    assert all(np.isfinite(model.history_[:, "train_loss"]))


def test_source_only_ignores_the_target(moons):
    X, y, X_target, _ = moons
    with_target = SourceOnlyClassifier(**QUICK).fit(X, y, X_target=X_target)
    without = SourceOnlyClassifier(**QUICK).fit(X, y)
    np.testing.assert_array_equal(with_target.predict_proba(X), without.predict_proba(X))


def test_transform_returns_latent_features_and_names(moons):
    X, y, X_target, _ = moons
    model = MMDClassifier(**QUICK).fit(X, y, X_target=X_target)
    latent = model.transform(X_target)
    assert latent.shape == (len(X_target), 16) and latent.dtype == np.float32
    assert model.n_latent_ == 16
    assert list(model.get_feature_names_out())[:2] == ["mmdclassifier0", "mmdclassifier1"]
    frame = clone(model).set_output(transform="pandas").fit(X, y).transform(X)
    assert list(frame.columns) == list(model.get_feature_names_out())


def test_warm_start_continues_from_the_fitted_network(moons):
    X, y, X_target, _ = moons
    model = MMDClassifier(**QUICK).fit(X, y, X_target=X_target)
    weights = model.module_.encoder.layers[1].weight.detach().clone()
    model.set_params(warm_start=True, max_epochs=2)
    model.fit(X_target, y, X_target=X)
    assert len(model.history_) == QUICK["max_epochs"] + 2
    assert not torch.equal(weights, model.module_.encoder.layers[1].weight)
    fresh = clone(model).set_params(warm_start=False).fit(X_target, y, X_target=X)
    assert len(fresh.history_) == 2


def test_partial_fit_adds_one_epoch_per_call(moons):
    X, y, X_target, _ = moons
    model = DANNClassifier(**QUICK)
    for epoch in range(3):
        model.partial_fit(X, y, X_target=X_target, classes=[0, 1])
        assert len(model.history_) == epoch + 1


def test_class_weight_balanced_helps_the_minority_class():
    X, y = make_blobs([400, 40], centers=[[0, 0], [1.2, 1.2]], random_state=0)
    plain = SourceOnlyClassifier(**{**QUICK, "max_epochs": 20}).fit(X, y)
    balanced = SourceOnlyClassifier(**{**QUICK, "max_epochs": 20}, class_weight="balanced").fit(
        X, y
    )
    minority = y == 1
    assert (balanced.predict(X[minority]) == 1).mean() > (plain.predict(X[minority]) == 1).mean()


def test_early_stopping_holds_out_source_and_stops(moons):
    X, y, X_target, _ = moons
    model = MMDClassifier(
        **{**QUICK, "max_epochs": 200}, early_stopping=True, n_iter_no_change=3
    ).fit(X, y, X_target=X_target)
    assert "valid_loss" in model.history_[-1]
    assert len(model.history_) < 200


class TinyEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(2, 12), torch.nn.Tanh())

    def forward(self, x):
        return self.layers(x)


def test_user_module_instance_is_copied_and_class_is_built(moons):
    X, y, X_target, _ = moons
    encoder = TinyEncoder()
    before = encoder.layers[0].weight.detach().clone()
    model = MMDClassifier(**{**QUICK, "module": encoder}).fit(X, y, X_target=X_target)
    assert torch.equal(encoder.layers[0].weight, before)
    assert model.n_latent_ == 12
    assert MMDClassifier(**{**QUICK, "module": TinyEncoder}).fit(X, y).n_latent_ == 12


def test_images_with_the_deepmerge_cnn():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    X = rng.normal(size=(80, 2, 16, 16)).astype(np.float32)
    X[y == 1, :, 4:12, 4:12] += 2.0
    X_target = X + rng.normal(scale=0.5, size=X.shape).astype(np.float32)
    model = MMDClassifier(**{**QUICK, "module": "deepmerge", "max_epochs": 10}).fit(
        X, y, X_target=X_target
    )
    assert model.input_shape_ == (2, 16, 16)
    assert model.transform(X_target).shape == (80, 32)
    assert model.score(X, y) > 0.9
    with pytest.raises(ValueError, match="sample shape"):
        MMDClassifier(**{**QUICK, "module": "deepmerge"}).fit(X, y, X_target=X_target[:, :1])


def test_gradient_reversal_sends_an_opposite_nonzero_gradient_to_the_encoder(moons):
    X, y, X_target, _ = moons
    model = DANNClassifier(**QUICK).fit(X, y, X_target=X_target)
    network = model.module_
    discriminator = network.extra_heads["discriminator"]
    discriminator.reversal.coefficient = 0.7
    xs = torch.as_tensor(X[:32], dtype=torch.float32)
    xt = torch.as_tensor(X_target[:32], dtype=torch.float32)

    def encoder_gradient(through_reversal):
        network.zero_grad()
        fs, ft = network.encode(xs), network.encode(xt)
        head = discriminator if through_reversal else discriminator.classifier
        domain_adversarial_loss(head(fs), head(ft)).backward()
        return torch.cat([p.grad.flatten() for p in network.encoder.parameters()])

    reversed_gradient = encoder_gradient(True)
    plain_gradient = encoder_gradient(False)
    assert reversed_gradient.abs().sum() > 0
    torch.testing.assert_close(reversed_gradient, -0.7 * plain_gradient)
    assert isinstance(discriminator.reversal, GradientReversal)


def test_dann_discriminator_learns_while_encoder_confuses_it(moons):
    X, y, X_target, _ = moons
    model = DANNClassifier(random_state=0, max_epochs=30).fit(X, y, X_target=X_target)
    # A discriminator that wins outright drives its loss to 0; adversarial
    # training keeps it near log 2 (chance).
    assert model.history_[-1]["domain_loss"] > 0.5


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_pickle_round_trip_gives_identical_predictions(cls, moons):
    X, y, X_target, _ = moons
    model = cls(**QUICK).fit(X, y, X_target=X_target)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(model.predict_proba(X_target), restored.predict_proba(X_target))
    np.testing.assert_array_equal(model.transform(X_target), restored.transform(X_target))


def test_cuda_requested_without_a_gpu_fails_clearly(moons):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    X, y, X_target, _ = moons
    with pytest.raises(ValueError, match="CUDA"):
        MMDClassifier(**QUICK, device="cuda").fit(X, y, X_target=X_target)


@pytest.mark.gpu
def test_trains_on_cuda_and_returns_cpu_numpy(moons):
    X, y, X_target, _ = moons
    model = MMDClassifier(**QUICK, device="cuda").fit(X, y, X_target=X_target)
    assert next(model.module_.parameters()).device.type == "cuda"
    proba = model.predict_proba(X_target)
    assert isinstance(proba, np.ndarray) and proba.shape == (len(X_target), 2)


@parametrize_with_checks([DeepCORALClassifier(**FAST)])
def test_deep_coral_is_a_sklearn_estimator(estimator, check):
    check(estimator)


def test_deep_coral_adapts_on_rotated_moons():
    X, y, X_target, y_target = make_rotated_moons(300, rotation=30, random_state=0)
    params = dict(random_state=0)  # the defaults: 0.78 source only, 0.89 with CORAL
    source_only = SourceOnlyClassifier(**params).fit(X, y).score(X_target, y_target)
    coral = DeepCORALClassifier(**params).fit(X, y, X_target=X_target)
    assert coral.score(X_target, y_target) > source_only + 0.02
    assert coral.history_[-1]["coral_loss"] < coral.history_[0]["coral_loss"]


def test_deep_coral_rejects_a_negative_weight(moons):
    X, y, X_target, _ = moons
    with pytest.raises(ValueError, match="coral_weight"):
        DeepCORALClassifier(**QUICK, coral_weight=-1.0).fit(X, y, X_target=X_target)
    off = DeepCORALClassifier(**QUICK, coral_weight=0.0).fit(X, y, X_target=X_target)
    assert "coral_loss" not in off.history_[-1]
