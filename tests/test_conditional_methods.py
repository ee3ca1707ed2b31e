"""CDAN+E, MCC, DeepJDOT, confident self-training and a DANN whose discriminator lives."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skdomain import (
    CDANClassifier,
    DANNClassifier,
    DeepJDOTClassifier,
    MCCClassifier,
    SelfTrainingDA,
    SourceOnlyClassifier,
)
from skdomain.nn import (
    conditional_adversarial_loss,
    domain_adversarial_loss,
    entropy_weights,
    jdot_loss,
    minimum_class_confusion_loss,
    multilinear_map,
)

logits_st = st.integers(2, 6).flatmap(
    lambda c: st.lists(
        st.lists(st.floats(-20, 20), min_size=c, max_size=c), min_size=2, max_size=12
    )
)


@settings(max_examples=40, deadline=None)
@given(logits_st)
def test_mcc_loss_is_bounded_by_uniform_confusion(rows):
    logits = torch.tensor(rows)
    c = logits.shape[1]
    loss = float(minimum_class_confusion_loss(logits))
    assert -1e-6 <= loss <= 1 - 1 / c + 1e-6


@settings(max_examples=40, deadline=None)
@given(logits_st)
def test_entropy_weights_between_uniform_and_certain(rows):
    logits = torch.tensor(rows)
    w = entropy_weights(logits)
    c = logits.shape[1]
    assert torch.all(w >= 1 + 1 / c - 1e-5) and torch.all(w <= 2 + 1e-6)
    assert not w.requires_grad


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_conditional_loss_without_weights_is_the_dann_loss(seed):
    g = torch.Generator().manual_seed(seed)
    s, t = torch.randn(5, 1, generator=g), torch.randn(7, 1, generator=g)
    ones_s, ones_t = torch.full((5,), 3.0), torch.full((7,), 0.5)
    expected = float(domain_adversarial_loss(s, t))
    assert math.isclose(float(conditional_adversarial_loss(s, t)), expected, rel_tol=1e-5)
    # constant weights are normalized away
    assert math.isclose(
        float(conditional_adversarial_loss(s, t, ones_s, ones_t)), expected, rel_tol=1e-5
    )


def test_multilinear_map_is_the_outer_product():
    f, p = torch.randn(3, 4), torch.softmax(torch.randn(3, 2), 1)
    m = multilinear_map(f, p)
    assert torch.allclose(m[1].reshape(2, 4), torch.outer(p[1], f[1]))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_jdot_loss_nonnegative_and_zero_on_identical_confident_batches(seed):
    g = torch.Generator().manual_seed(seed)
    fs, ft = torch.randn(6, 3, generator=g), torch.randn(5, 3, generator=g)
    y = torch.randint(0, 3, (6,), generator=g)
    assert float(jdot_loss(fs, ft, y, torch.randn(5, 3, generator=g))) >= 0
    confident = 50 * torch.nn.functional.one_hot(y, 3).float()
    assert float(jdot_loss(fs, fs, y, confident)) < 1e-4


def test_jdot_loss_differentiable_in_features_and_logits():
    fs = torch.randn(4, 2)
    ft = torch.randn(4, 2, requires_grad=True)
    logits = torch.randn(4, 2, requires_grad=True)
    jdot_loss(fs, ft, torch.tensor([0, 1, 0, 1]), logits).backward()
    assert ft.grad.abs().sum() > 0 and logits.grad.abs().sum() > 0


def test_mcc_rejects_bad_temperature():
    with pytest.raises(ValueError, match="temperature"):
        minimum_class_confusion_loss(torch.zeros(3, 2), temperature=0)


# Behavioural tests: moons rotated 30 degrees about the origin (the harder
# convention of the suite), 400 rows per domain, 40 epochs, seeds 0 and 1.
def _origin_moons(n=400, rotation=30.0, seed=0):
    from sklearn.datasets import make_moons

    rng = np.random.RandomState(seed)
    X, y = make_moons(n, noise=0.1, random_state=rng)
    Xt, yt = make_moons(n, noise=0.1, random_state=rng)
    a = np.deg2rad(rotation)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return X, y, Xt @ rot.T, yt


@pytest.fixture(scope="module")
def moons():
    return _origin_moons()


def _fits(cls, data, **params):
    X, y, Xt, _ = data
    return [cls(max_epochs=40, random_state=s, **params).fit(X, y, X_target=Xt) for s in (0, 1)]


@pytest.fixture(scope="module")
def source_only(moons):
    return _fits(SourceOnlyClassifier, moons)


def _accuracy(models, data):
    return np.mean([m.score(data[2], data[3]) for m in models])


def test_deepjdot_adapts_on_rotated_moons(moons, source_only):
    # measured: 0.88 / 0.82 against 0.75 / 0.73 for source only
    assert _accuracy(_fits(DeepJDOTClassifier, moons), moons) > _accuracy(source_only, moons) + 0.05


def _confusion(model, X):
    return float(minimum_class_confusion_loss(torch.tensor(model.predict_proba(X)).log()))


def test_mcc_lowers_target_class_confusion(moons, source_only):
    # measured: confusion 0.18 / 0.15 against 0.36 / 0.34; accuracy 0.73 / 0.78
    models = _fits(MCCClassifier, moons)
    Xt = moons[2]
    assert np.mean([_confusion(m, Xt) for m in models]) < 0.7 * np.mean(
        [_confusion(m, Xt) for m in source_only]
    )
    assert _accuracy(models, moons) >= _accuracy(source_only, moons) - 0.02


def test_cdan_brings_target_latents_towards_source(moons, source_only):
    from skdomain.nn import mmd2

    def gap(model):
        z = torch.as_tensor(model.transform(np.vstack([moons[0], moons[2]])))
        return float(mmd2(z[: len(moons[0])], z[len(moons[0]) :]))

    models = _fits(CDANClassifier, moons)
    assert np.mean([gap(m) for m in models]) < 0.7 * np.mean([gap(m) for m in source_only])
    history = models[0].history_
    assert abs(history[-1]["conditional_domain_loss"] - math.log(2)) > 1e-4


@pytest.mark.parametrize("cls", [CDANClassifier, MCCClassifier, DeepJDOTClassifier])
def test_method_fails_loudly_on_bad_input(cls, moons):
    X, y, Xt, _ = moons
    with pytest.raises(ValueError, match="X_target"):
        cls(max_epochs=1).fit(X, y, X_target=Xt[:, :1])
    weight = {CDANClassifier: "domain_weight", MCCClassifier: "mcc_weight",
              DeepJDOTClassifier: "jdot_weight"}[cls]
    with pytest.raises(ValueError, match=weight):
        cls(max_epochs=1, **{weight: -1.0}).fit(X, y, X_target=Xt)


def test_self_training_adds_confident_target_rows(moons):
    X, y, Xt, yt = moons
    base = DeepJDOTClassifier(max_epochs=20, random_state=0)
    model = SelfTrainingDA(base, threshold=0.9, max_iter=2).fit(X, y, X_target=Xt)
    assert 2 <= model.n_iter_ <= 3
    assert all(0 < n <= len(Xt) for n in model.n_pseudo_labeled_)
    assert model.score(Xt, yt) >= base.fit(X, y, X_target=Xt).score(Xt, yt) - 0.02
    # without target it is the plain estimator
    plain = SelfTrainingDA(SourceOnlyClassifier(max_epochs=2, random_state=0)).fit(X, y)
    assert plain.n_iter_ == 1 and plain.n_pseudo_labeled_ == []


@pytest.mark.parametrize(
    "params, name",
    [(dict(threshold=1.5), "threshold"), (dict(max_iter=-1), "max_iter"),
     (dict(max_per_class=0.0), "max_per_class")],
)
def test_self_training_rejects_bad_parameters(params, name, moons):
    X, y, Xt, _ = moons
    with pytest.raises(ValueError, match=name):
        SelfTrainingDA(SourceOnlyClassifier(max_epochs=1), **params).fit(X, y, X_target=Xt)


def test_self_training_rejects_estimator_without_proba(moons):
    from sklearn.svm import LinearSVC

    X, y, Xt, _ = moons
    with pytest.raises(ValueError, match="predict_proba"):
        SelfTrainingDA(LinearSVC()).fit(X, y, X_target=Xt)


def test_dann_discriminator_stays_alive(moons):
    """The failure of the old defaults: dead ReLU units, constant output, ln 2 loss."""
    X, y, Xt, _ = moons
    model = DANNClassifier(max_epochs=30, random_state=0).fit(X, y, X_target=Xt)
    discriminator = model.net_.module_.extra_heads["discriminator"]
    active, logits = discriminator.active_fractions(
        torch.as_tensor(model.transform(np.vstack([X, Xt]))))
    assert min(active) > 0.1, active
    assert float(logits.std()) > 1e-3
    assert abs(model.history_[-1]["domain_loss"] - math.log(2)) > 1e-3
