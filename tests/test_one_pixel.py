"""The one-pixel attack finds fragile pixels and admits failure on robust models."""

import numpy as np
import pytest
import torch
from torch import nn

from skdomain.robustness import (
    OnePixelAttackResult,
    attack_results_frame,
    one_pixel_attack,
    one_pixel_attack_batch,
)

SHAPE = (2, 12, 12)
FRAGILE_PIXEL = (7, 3)


class OnePixelModel:
    """Three classes decided by one pixel of band 1 only: <0.3 -> a, 0.3-0.7 -> b, >0.7 -> c."""

    classes_ = np.array(["a", "b", "c"])

    def __init__(self):
        self.calls = 0

    def predict_proba(self, X):
        self.calls += 1
        value = np.asarray(X)[:, 1, FRAGILE_PIXEL[0], FRAGILE_PIXEL[1]]
        logits = np.stack([-30 * (value - 0.3), np.zeros_like(value), 30 * (value - 0.7)], 1)
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)


class Constant:
    classes_ = np.array([0, 1, 2])

    def predict_proba(self, X):
        return np.tile([0.2, 0.7, 0.1], (len(X), 1))


class MeanBrightness:
    """Keys on the mean of the whole image: one pixel cannot move it far enough."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        mean = np.asarray(X).mean(axis=(1, 2, 3))
        p = 1.0 / (1.0 + np.exp(-50.0 * (mean - 0.6)))
        return np.stack([1 - p, p], axis=1)


class TorchOnePixel:
    """A torch network whose first layer only sees one pixel; predict_proba via softmax."""

    classes_ = np.array([0, 1])

    def __init__(self):
        self.network = nn.Sequential(nn.Flatten(), nn.Linear(np.prod(SHAPE), 2))
        with torch.no_grad():
            self.network[1].weight.zero_()
            self.network[1].bias.copy_(torch.tensor([5.0, 0.0]))
            flat_index = np.ravel_multi_index((0, *FRAGILE_PIXEL), SHAPE)
            self.network[1].weight[1, flat_index] = 10.0

    def predict_proba(self, X):
        with torch.no_grad():
            logits = self.network(torch.as_tensor(np.asarray(X), dtype=torch.float32))
        return torch.softmax(logits, 1).numpy()


def clean_image(value=0.1):
    return np.full(SHAPE, value, dtype=np.float32)


BOUNDS = (0.0, 1.0)
BUDGET = dict(maxiter=60, population_size=100, value_bounds=BOUNDS)


def test_untargeted_attack_finds_the_fragile_pixel():
    model = OnePixelModel()
    result = one_pixel_attack(model, clean_image(), "a", random_state=0, **BUDGET)
    assert isinstance(result, OnePixelAttackResult)
    assert result.success
    assert not result.already_successful
    assert result.pixel == FRAGILE_PIXEL
    assert result.label_before == "a"
    assert result.label_after in ("b", "c")
    assert result.true_probability_after < result.true_probability_before
    assert result.original_values[1] == pytest.approx(0.1)
    assert result.values[1] > 0.3
    # the adversarial image differs from the clean one in exactly one pixel position
    changed = np.any(result.adversarial_image != clean_image(), axis=0)
    assert changed.sum() == 1 and changed[FRAGILE_PIXEL]
    # the whole population is scored in one predict_proba call per generation
    assert model.calls <= BUDGET["maxiter"] + 3
    assert result.n_evaluations <= (BUDGET["maxiter"] + 1) * BUDGET["population_size"]


def test_targeted_attack_reaches_the_requested_class():
    result = one_pixel_attack(
        OnePixelModel(), clean_image(), "a", target="c", random_state=1, **BUDGET
    )
    assert result.success
    assert result.target_label == "c"
    assert result.label_after == "c"
    assert result.values[1] > 0.7


def test_probability_threshold_is_the_success_criterion():
    # the true class must fall below 1 %: a pixel value of about 0.45 or more
    result = one_pixel_attack(
        OnePixelModel(),
        clean_image(),
        "a",
        probability_threshold=0.01,
        random_state=2,
        **BUDGET,
    )
    assert result.success
    assert result.true_probability_after < 0.01


def test_torch_network_is_fooled_by_one_pixel():
    model = TorchOnePixel()
    result = one_pixel_attack(model, clean_image(0.0), 0, random_state=0, **BUDGET)
    assert result.success and result.pixel == FRAGILE_PIXEL and result.label_after == 1


@pytest.mark.parametrize("model", [Constant(), MeanBrightness()])
def test_attack_reports_failure_on_robust_models(model):
    label = 1 if isinstance(model, Constant) else 0
    result = one_pixel_attack(
        model,
        clean_image(0.2),
        label,
        maxiter=10,
        population_size=20,
        value_bounds=BOUNDS,
        random_state=0,
    )
    assert not result.success
    assert not result.already_successful
    assert result.label_after == label
    assert result.criterion_after >= 0
    # the budget was spent in full: it did not stop early
    assert result.n_evaluations == 11 * 20
    assert result.pixel is not None


def test_already_misclassified_image_is_not_attacked():
    result = one_pixel_attack(OnePixelModel(), clean_image(0.9), "a", random_state=0)
    assert result.success and result.already_successful
    assert result.pixel is None and result.n_evaluations == 0


def test_seeded_attack_repeats():
    first = one_pixel_attack(OnePixelModel(), clean_image(), "a", random_state=3, **BUDGET)
    second = one_pixel_attack(OnePixelModel(), clean_image(), "a", random_state=3, **BUDGET)
    assert first.pixel == second.pixel
    np.testing.assert_array_equal(first.values, second.values)
    assert first.n_evaluations == second.n_evaluations


def test_batch_attack_and_results_frame():
    X = np.stack([clean_image(0.1), clean_image(0.5), clean_image(0.9)])
    X[:, 1, 0, 0] = [0.0, 1.0, 0.0]  # the batch's value range sets the default bounds
    results = one_pixel_attack_batch(
        OnePixelModel(), X, ["a", "b", "a"], maxiter=60, population_size=100, random_state=0
    )
    frame = attack_results_frame(results)
    assert list(frame.success) == [True, True, True]
    assert list(frame.already_successful) == [False, False, True]
    assert frame.loc[0, "row"] == FRAGILE_PIXEL[0] and frame.loc[0, "col"] == FRAGILE_PIXEL[1]
    assert (frame.true_probability_after <= frame.true_probability_before).all()


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(maxiter=0),
        dict(population_size=3),
        dict(probability_threshold=1.5),
        dict(value_bounds=(1.0, 0.0)),
        dict(value_bounds=np.zeros((3, 2))),
        dict(target="z"),
    ],
)
def test_bad_attack_parameters_are_rejected(kwargs):
    with pytest.raises(ValueError):
        one_pixel_attack(OnePixelModel(), clean_image(), "a", **kwargs)


def test_bad_images_and_models_are_rejected():
    with pytest.raises(ValueError, match="shape"):
        one_pixel_attack(OnePixelModel(), clean_image()[0], "a")
    image = clean_image()
    image[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        one_pixel_attack(OnePixelModel(), image, "a")
    with pytest.raises(ValueError, match="predict_proba"):
        one_pixel_attack(object(), clean_image(), "a")
    with pytest.raises(ValueError, match="classes"):
        one_pixel_attack(OnePixelModel(), clean_image(), "q")


def test_sklearn_pipeline_trained_on_one_pixel_is_fooled():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 0.2, size=(200, *SHAPE))
    y = rng.integers(0, 2, 200)
    X[y == 1, 0, FRAGILE_PIXEL[0], FRAGILE_PIXEL[1]] = rng.uniform(0.8, 1.0, (y == 1).sum())
    flatten = FunctionTransformer(lambda images: images.reshape(len(images), -1))
    model = make_pipeline(flatten, LogisticRegression(C=10.0, max_iter=1000)).fit(X, y)
    clean = X[np.flatnonzero(y == 0)[0]]
    assert model.predict(clean[None])[0] == 0
    result = one_pixel_attack(model, clean, 0, random_state=0, **BUDGET)
    assert result.success and result.pixel == FRAGILE_PIXEL and result.label_after == 1
