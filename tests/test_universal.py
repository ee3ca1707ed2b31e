"""UniversalDAClassifier: scikit-learn compatibility, unknown discovery, labels, bad input."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdomain import UniversalDAClassifier
from skdomain.nn import CosineHead, UniversalObjective

FAST = dict(max_epochs=10, batch_size=32, lr=2e-2, hidden_units=(16,), random_state=0)

# Declared by design: predict answers unknown_label for uncertain samples,
# a label that is not in classes_.
EXPECTED_FAILED_CHECKS = {
    "check_classifiers_train": (
        "predict answers unknown_label=-1 for training samples whose prediction "
        "entropy exceeds log(K)/2, so predictions are not all in classes_"
    ),
}
COSINE_EXPECTED_FAILED_CHECKS = {
    **EXPECTED_FAILED_CHECKS,
    "check_methods_subset_invariance": (
        "float32 logits of the cosine head are divided by temperature=0.05, which "
        "turns batch-size-dependent rounding (1e-8) into ~2e-7 differences"
    ),
}


def _expected_failures(estimator):
    if estimator.head == "cosine":
        return COSINE_EXPECTED_FAILED_CHECKS
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(
    [
        UniversalDAClassifier(**FAST),
        UniversalDAClassifier(**FAST, head="cosine"),
        UniversalDAClassifier(**FAST, pretrain_epochs=2, contrastive_weight=0.1),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def four_blobs(n=80, seed=0, shift=0.3, labels=(0, 1, 2)):
    """Three known classes on a circle; the target adds an unknown fourth blob."""
    rng = np.random.default_rng(seed)
    angles = np.deg2rad([0, 90, 180, 270])
    centers = 4.0 * np.c_[np.cos(angles), np.sin(angles)]
    X = np.vstack([centers[i] + rng.normal(size=(n, 2)) for i in range(3)])
    y = np.repeat(np.asarray(labels, dtype=object if isinstance(labels[0], str) else int), n)
    X_target = np.vstack([centers[i] + shift + rng.normal(size=(n, 2)) for i in range(4)])
    y_target = np.repeat([0, 1, 2, 3], n)
    return X, y, X_target, y_target, centers


UNIVERSAL = dict(
    max_epochs=40, lr=1e-2, hidden_units=(32, 32), clustering_weight=0.1,
    separation_weight=0.1, head="cosine",
)


@pytest.fixture(scope="module")
def blobs_model():
    X, y, X_target, y_target, centers = four_blobs()
    model = UniversalDAClassifier(random_state=0, **UNIVERSAL).fit(X, y, X_target=X_target)
    return model, X_target, y_target, centers


@pytest.mark.slow
def test_sample_of_an_unseen_cluster_is_flagged_unknown(blobs_model):
    model, X_target, y_target, centers = blobs_model
    far = centers[3:4] + 0.3  # the unknown blob, far from every source class
    assert model.predict(far)[0] == -1
    assert model.unknown_score(far)[0] > model.unknown_threshold_
    known_centers = centers[:3] + 0.3
    assert model.predict(known_centers).tolist() == [0, 1, 2]
    predictions = model.predict(X_target)
    assert np.mean(predictions[y_target == 3] == -1) > 0.6
    assert np.mean(predictions[y_target < 3] == y_target[y_target < 3]) > 0.85


@pytest.mark.slow
def test_adaptation_terms_raise_unknown_detection_over_plain_training(blobs_model):
    model, X_target, y_target, _ = blobs_model
    X, y, _, _, _ = four_blobs()
    plain = UniversalDAClassifier(
        random_state=0, **{**UNIVERSAL, "clustering_weight": 0.0, "separation_weight": 0.0}
    ).fit(X, y, X_target=X_target)
    unknown = y_target == 3
    assert np.mean(model.predict(X_target)[unknown] == -1) > np.mean(
        plain.predict(X_target)[unknown] == -1
    )
    assert "separation_loss" in model.history_[-1] and "clustering_loss" in model.history_[-1]
    assert "separation_loss" not in plain.history_[-1]


def test_predict_proba_covers_known_classes_and_scores_have_one_value_per_sample(blobs_model):
    model, X_target, _, _ = blobs_model
    proba = model.predict_proba(X_target)
    assert proba.shape == (len(X_target), 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    entropy = model.unknown_score(X_target)
    assert np.all(entropy >= 0) and np.all(entropy <= np.log(3) + 1e-6)
    for kind in ("max_softmax", "prototype"):
        score = model.unknown_score(X_target, kind=kind)
        assert score.shape == (len(X_target),) and np.all(np.isfinite(score))
    assert model.prototypes_.shape == (3, model.n_latent_)
    np.testing.assert_array_equal(
        model.predict_known(X_target), model.classes_[proba.argmax(1)]
    )
    flagged = model.predict(X_target) == -1
    np.testing.assert_array_equal(flagged, entropy > model.unknown_threshold_)


def test_string_labels_with_string_unknown_label():
    X, y, X_target, _, centers = four_blobs(n=40, labels=("disk", "smooth", "merger"))
    model = UniversalDAClassifier(
        random_state=0, unknown_label="unknown", **{**UNIVERSAL, "max_epochs": 15}
    ).fit(X, y, X_target=X_target)
    predictions = model.predict(np.vstack([centers, X_target]))
    assert set(predictions.tolist()) <= {"disk", "smooth", "merger", "unknown"}
    assert predictions.dtype == model.classes_.dtype  # object, as the y given
    # A threshold of 0 calls everything unknown; the label comes back as given.
    everything = clone(model).set_params(unknown_threshold=0.0).fit(X, y, X_target=X_target)
    assert set(everything.predict(X_target).tolist()) == {"unknown"}


def test_unknown_label_of_the_classes_type_is_chosen_for_string_classes():
    X, y, X_target, _, _ = four_blobs(n=20, labels=("a", "b", "c"))
    model = UniversalDAClassifier(
        random_state=0, max_epochs=2, unknown_threshold=0.0
    ).fit(X, y, X_target=X_target)
    predictions = model.predict(X_target)
    assert model.unknown_label_ == "unknown"
    assert set(predictions.tolist()) == {"unknown"}
    # an int unknown label with string classes would break sklearn's metrics: refused
    with pytest.raises(ValueError, match="unknown_label=-1 is not of the type"):
        UniversalDAClassifier(max_epochs=1, unknown_label=-1).fit(X, y, X_target=X_target)


@pytest.mark.parametrize(
    "params, X_change, match",
    [
        (dict(unknown_label=1), None, "unknown_label=1 is one of the source classes"),
        (dict(unknown_label=[1, 2]), None, "single value"),
        (dict(separation_weight=-1.0), None, "separation_weight"),
        (dict(clustering="kmeans"), None, "clustering"),
        (dict(warmup=1.0), None, "warmup"),
        ({}, "nan", "NaN"),
        ({}, "target_features", "X_target has features"),
    ],
)
def test_bad_input_is_rejected(params, X_change, match):
    X, y, X_target, _, _ = four_blobs(n=10)
    if X_change == "nan":
        X = X.copy()
        X[0, 0] = np.nan
    if X_change == "target_features":
        X_target = np.c_[X_target, X_target]
    with pytest.raises(ValueError, match=match):
        UniversalDAClassifier(max_epochs=1, **params).fit(X, y, X_target=X_target)


def test_bad_score_kind_and_inputs_not_modified(blobs_model):
    model, X_target, _, _ = blobs_model
    with pytest.raises(ValueError, match="kind"):
        model.unknown_score(X_target, kind="energy")
    X, y, Xt, _, _ = four_blobs(n=10)
    copies = X.copy(), y.copy(), Xt.copy()
    UniversalDAClassifier(max_epochs=1, random_state=0).fit(X, y, X_target=Xt)
    for before, after in zip(copies, (X, y, Xt), strict=True):
        np.testing.assert_array_equal(before, after)


def test_fixed_random_state_reproduces_and_dataframes_work():
    X, y, X_target, _, _ = four_blobs(n=20)
    frame = pd.DataFrame(X, columns=["a", "b"])
    target = pd.DataFrame(X_target, columns=["a", "b"])
    kwargs = dict(max_epochs=3, random_state=1, clustering="neighborhood", memory_size=16)
    first = UniversalDAClassifier(**kwargs).fit(frame, y, X_target=target)
    second = UniversalDAClassifier(**kwargs).fit(frame, y, X_target=target)
    np.testing.assert_allclose(first.predict_proba(target), second.predict_proba(target))
    assert "clustering_loss" in first.history_[-1]


def test_optional_domain_adversarial_term():
    X, y, X_target, _, _ = four_blobs(n=20)
    model = UniversalDAClassifier(max_epochs=3, random_state=0, domain_weight=0.5).fit(
        X, y, X_target=X_target
    )
    assert "domain_loss" in model.history_[-1]
    assert "discriminator" in model.module_.extra_heads
    plain = UniversalDAClassifier(max_epochs=3, random_state=0).fit(X, y, X_target=X_target)
    assert "domain_loss" not in plain.history_[-1]
    assert len(plain.module_.extra_heads) == 0


def test_objective_switches_terms_off_and_respects_warmup():
    from skdomain.nn import DomainAdaptationNetwork, MLPEncoder

    net = DomainAdaptationNetwork(MLPEncoder(2, (8,)), CosineHead(8, 3))
    xs, ys, xt = torch.randn(6, 2), torch.tensor([0, 1, 2] * 2), torch.randn(6, 2)
    off = UniversalObjective(3, 8, clustering_weight=0.0, separation_weight=0.0)
    assert sorted(off(net, xs, ys, xt, 0.9)) == ["classification_loss", "loss"]
    warm = UniversalObjective(3, 8, warmup=0.5)
    assert "separation_loss" not in warm(net, xs, ys, xt, 0.1)
    assert "separation_loss" in warm(net, xs, ys, xt, 0.6)
    memory = UniversalObjective(3, 8, clustering="neighborhood", memory_size=4)
    for _ in range(3):
        terms = memory(net, xs, ys, xt, 0.5)
    assert int(memory.memory_filled) == 4 and torch.isfinite(terms["clustering_loss"])


def test_neighbor_scores_rank_the_unseen_cluster_above_known_samples(blobs_model):
    model, X_target, y_target, centers = blobs_model
    # New draws of the same four target blobs: the unknown blob is far from all
    # source latents and dense in the training target.
    _, _, X_new, y_new, _ = four_blobs(seed=1)
    for kind in ("knn", "density_ratio"):
        score = model.unknown_score(X_new, kind=kind)
        assert score.shape == (len(X_new),) and np.all(np.isfinite(score))
        assert np.median(score[y_new == 3]) > np.quantile(score[y_new < 3], 0.9), kind
    assert model.source_latent_.shape == (240, model.n_latent_)
    assert model.target_latent_.shape == (len(X_target), model.n_latent_)


def test_density_ratio_needs_target_latents():
    X, y, _, _, _ = four_blobs(n=10)
    model = UniversalDAClassifier(max_epochs=1, random_state=0).fit(X, y)
    assert model.target_latent_ is None
    assert model.unknown_score(X, kind="knn").shape == (len(X),)
    with pytest.raises(ValueError, match="X_target"):
        model.unknown_score(X, kind="density_ratio")


def test_contrastive_pretraining_and_term_are_opt_in():
    X, y, X_target, _, _ = four_blobs(n=20)
    kwargs = dict(max_epochs=2, random_state=0, hidden_units=(16,))
    plain = UniversalDAClassifier(**kwargs).fit(X, y, X_target=X_target)
    assert plain.pretrain_history_ == [] and "projection" not in plain.module_.extra_heads
    assert "contrastive_loss" not in plain.history_[-1]
    pre = UniversalDAClassifier(pretrain_epochs=4, **kwargs).fit(X, y, X_target=X_target)
    assert len(pre.pretrain_history_) == 4
    assert not np.allclose(pre.transform(X_target), plain.transform(X_target))
    again = UniversalDAClassifier(pretrain_epochs=4, **kwargs).fit(X, y, X_target=X_target)
    np.testing.assert_allclose(pre.predict_proba(X_target), again.predict_proba(X_target))
    # A warm-start continuation trains on without pre-training again.
    pre.set_params(warm_start=True).fit(X, y, X_target=X_target)
    assert pre.pretrain_history_ == again.pretrain_history_
    term = UniversalDAClassifier(contrastive_weight=0.5, **kwargs).fit(X, y, X_target=X_target)
    assert term.history_[-1]["contrastive_loss"] > 0


def test_contrastive_pretraining_on_images_lowers_its_loss():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(64, 1, 8, 8)).astype(np.float32)
    images[:32, :, 2:6, 2:6] += 3.0  # two kinds of image
    labels = np.repeat([0, 1], 32)
    model = UniversalDAClassifier(
        module="deepmerge", max_epochs=1, pretrain_epochs=6, batch_size=32, lr=3e-3,
        random_state=0,
    ).fit(images[::2], labels[::2], X_target=images[1::2])
    assert model.pretrain_history_[-1] < model.pretrain_history_[0]


def test_predict_can_threshold_the_knn_score_at_a_source_quantile(blobs_model):
    model, X_target, y_target, centers = blobs_model
    X, y, _, _, _ = four_blobs()
    knn = clone(model).set_params(unknown_score_kind="knn").fit(X, y, X_target=X_target)
    # Leave-one-out source scores: about 5 % of the source lies above the threshold.
    loo = knn._neighbor_score(knn.source_latent_, "knn", leave_one_out=True)
    assert knn.unknown_threshold_ == pytest.approx(np.quantile(loo, 0.95))
    assert np.all(loo > 0)  # no sample is its own neighbor
    flagged = knn.predict(X) == -1
    assert 0.01 < flagged.mean() < 0.15
    predictions = knn.predict(X_target)
    np.testing.assert_array_equal(
        predictions == -1, knn.unknown_score(X_target) > knn.unknown_threshold_
    )
    assert np.mean(predictions[y_target == 3] == -1) > 0.8
    strict = clone(knn).set_params(unknown_quantile=0.5).fit(X, y, X_target=X_target)
    assert strict.unknown_threshold_ < knn.unknown_threshold_
    assert np.mean(strict.predict(X) == -1) > np.mean(flagged)


def test_density_ratio_threshold_may_be_negative():
    X, y, X_target, _, _ = four_blobs(n=20)
    model = UniversalDAClassifier(
        max_epochs=2, random_state=0, unknown_score_kind="density_ratio", unknown_threshold=-1.0
    ).fit(X, y, X_target=X_target)
    assert model.unknown_threshold_ == -1.0
    np.testing.assert_array_equal(
        model.predict(X_target) == -1, model.unknown_score(X_target) > -1.0
    )
