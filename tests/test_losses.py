"""Property tests of the MMD estimators and the other losses."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skdomain import nn

finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False, width=64)


# Multiples of 2**-10 in [-5, 5]: sums of them are exact in float64. A translation
# test on arbitrary floats is not a test of the MMD but of rounding: adding 1 to
# 2.5e-43 erases the difference that gave the untranslated samples their MMD.
dyadic = st.integers(-5 * 1024, 5 * 1024).map(lambda k: k / 1024)


def samples(min_rows=2, max_rows=12, elements=finite):
    return st.integers(1, 4).flatmap(
        lambda d: st.tuples(
            arrays(
                np.float64,
                st.tuples(st.integers(min_rows, max_rows), st.just(d)),
                elements=elements,
            ),
            arrays(
                np.float64,
                st.tuples(st.integers(min_rows, max_rows), st.just(d)),
                elements=elements,
            ),
        )
    )


def t(a):
    return torch.as_tensor(a, dtype=torch.float64)


def numpy_mmd2(x, y, sigmas, unbiased):
    """Reference: explicit double loops over pairs."""

    def k(a, b):
        d2 = float(np.sum((a - b) ** 2))
        return np.mean([np.exp(-d2 / (2 * s * s)) for s in sigmas])

    n, m = len(x), len(y)
    kxx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if not (unbiased and i == j))
    kyy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if not (unbiased and i == j))
    kxy = sum(k(x[i], y[j]) for i in range(n) for j in range(m))
    if unbiased:
        return kxx / (n * (n - 1)) + kyy / (m * (m - 1)) - 2 * kxy / (n * m)
    return kxx / n**2 + kyy / m**2 - 2 * kxy / (n * m)


def gaussian_population_mmd2(shift_norm2, dim, sigma):
    """MMD^2 between N(0, I) and N(mu, I) for one Gaussian kernel of width sigma."""
    s2 = sigma**2
    scale = (s2 / (s2 + 2.0)) ** (dim / 2)
    return 2.0 * scale * (1.0 - math.exp(-shift_norm2 / (2.0 * (s2 + 2.0))))


@settings(max_examples=60, deadline=None)
@given(samples())
def test_biased_mmd_of_a_sample_with_itself_is_zero(xy):
    x, _ = xy
    assert abs(float(nn.mmd2(t(x), t(x), estimator="biased"))) < 1e-9


@settings(max_examples=60, deadline=None)
@given(samples())
def test_biased_mmd_is_nonnegative(xy):
    x, y = xy
    assert float(nn.mmd2(t(x), t(y), estimator="biased")) >= -1e-9


@settings(max_examples=60, deadline=None)
@given(samples(), st.sampled_from(["biased", "unbiased"]))
def test_mmd_is_symmetric(xy, estimator):
    x, y = xy
    forward = float(nn.mmd2(t(x), t(y), estimator=estimator))
    backward = float(nn.mmd2(t(y), t(x), estimator=estimator))
    assert forward == pytest.approx(backward, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(samples(), st.sampled_from(["biased", "unbiased"]), st.randoms(use_true_random=False))
def test_mmd_is_invariant_to_row_order(xy, estimator, rnd):
    x, y = xy
    px = x[rnd.sample(range(len(x)), len(x))]
    py = y[rnd.sample(range(len(y)), len(y))]
    before = float(nn.mmd2(t(x), t(y), estimator=estimator))
    after = float(nn.mmd2(t(px), t(py), estimator=estimator))
    assert after == pytest.approx(before, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(samples(elements=dyadic), st.sampled_from(["biased", "unbiased"]), dyadic, dyadic)
def test_mmd_is_invariant_to_a_common_translation(xy, estimator, a, b):
    x, y = xy
    shift = np.resize(np.array([a, b]), x.shape[1])
    before = float(nn.mmd2(t(x), t(y), estimator=estimator))
    after = float(nn.mmd2(t(x + shift), t(y + shift), estimator=estimator))
    assert after == pytest.approx(before, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(
    samples(max_rows=7),
    st.sampled_from([True, False]),
    st.lists(st.floats(0.2, 5.0), min_size=1, max_size=3),
)
def test_mmd_agrees_with_a_plain_numpy_reference(xy, unbiased, sigmas):
    x, y = xy
    ours = float(
        nn.mmd2(t(x), t(y), estimator="unbiased" if unbiased else "biased", bandwidths=sigmas)
    )
    assert ours == pytest.approx(numpy_mmd2(x, y, sigmas, unbiased), abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(samples(min_rows=3, max_rows=8))
def test_median_heuristic_matches_numpy(xy):
    x, y = xy
    pooled = np.vstack([x, y])
    off = ((pooled[:, None, :] - pooled[None, :, :]) ** 2).sum(-1)[~np.eye(len(pooled), dtype=bool)]
    # torch.median returns the lower of the two middle values.
    median = np.sort(off)[(off.size - 1) // 2]
    if median > 1e-6 * off.max():
        ours = float(nn.median_heuristic_sigma2(nn.pairwise_squared_distances(t(pooled))))
        assert ours == pytest.approx(median / 2, rel=1e-6)


def test_median_heuristic_falls_back_when_most_pairs_coincide():
    pooled = t(np.vstack([np.zeros((2, 4)), np.full((10, 4), 5.0)]))
    sigma2 = float(nn.median_heuristic_sigma2(nn.pairwise_squared_distances(pooled)))
    assert sigma2 > 1.0
    assert float(nn.median_heuristic_sigma2(torch.zeros(3, 3))) == 0.5


@pytest.mark.parametrize("estimator", ["unbiased", "linear"])
def test_unbiased_estimators_average_to_the_population_value(estimator):
    generator = torch.Generator().manual_seed(0)
    dim, sigma, n, repeats = 2, 1.5, 40, 400
    mu = torch.tensor([0.8, 0.0], dtype=torch.float64)
    estimates = []
    for _ in range(repeats):
        x = torch.randn(n, dim, generator=generator, dtype=torch.float64)
        y = torch.randn(n, dim, generator=generator, dtype=torch.float64) + mu
        estimates.append(float(nn.mmd2(x, y, estimator=estimator, bandwidths=[sigma])))
    estimates = np.asarray(estimates)
    population = gaussian_population_mmd2(float(mu @ mu), dim, sigma)
    standard_error = estimates.std(ddof=1) / np.sqrt(repeats)
    assert abs(estimates.mean() - population) < 4 * standard_error


def test_biased_estimator_is_biased_upwards_for_equal_distributions():
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(30, 2, generator=generator, dtype=torch.float64)
    y = torch.randn(30, 2, generator=generator, dtype=torch.float64)
    assert float(nn.mmd2(x, y, estimator="biased")) > float(nn.mmd2(x, y, estimator="unbiased"))


def test_mmd_grows_with_the_shift():
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(200, 3, generator=generator)
    values = [
        float(nn.mmd2(x, torch.randn(200, 3, generator=generator) + s, bandwidths=[1.0]))
        for s in (0.0, 0.5, 1.0, 2.0)
    ]
    assert values == sorted(values)


def test_mmd_builds_one_distance_matrix(monkeypatch):
    """One pooled Gram matrix per evaluation (the issue-14 in-place path replaced
    the call to ``pairwise_squared_distances`` that this test counted before)."""
    import skdomain.nn._losses as losses

    calls = []
    original = losses._pooled_squared_distances

    def counting(pooled):
        calls.append(pooled.shape[0])
        return original(pooled)

    monkeypatch.setattr(losses, "_pooled_squared_distances", counting)
    losses.mmd2(torch.randn(10, 3), torch.randn(12, 3))
    assert calls == [22]


def test_mmd_is_differentiable_and_bandwidth_is_not():
    x = torch.randn(16, 3, requires_grad=True)
    y = torch.randn(16, 3) + 1.0
    nn.mmd2(x, y).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_mmd_input_errors():
    with pytest.raises(ValueError, match="estimator"):
        nn.mmd2(torch.randn(4, 2), torch.randn(4, 2), estimator="quadratic")
    with pytest.raises(ValueError, match="at least 2"):
        nn.mmd2(torch.randn(1, 2), torch.randn(4, 2))
    with pytest.raises(ValueError, match="positive"):
        nn.mmd2(torch.randn(4, 2), torch.randn(4, 2), bandwidths=[0.0])
    with pytest.raises(ValueError, match="at least 2"):
        nn.mmd2_linear(torch.randn(1, 2), torch.randn(1, 2))


@settings(max_examples=40, deadline=None)
@given(samples())
def test_gaussian_kernel_is_symmetric_with_unit_diagonal(xy):
    x, _ = xy
    k = nn.gaussian_kernel(t(x))
    assert torch.allclose(k, k.T)
    assert torch.allclose(k.diagonal(), torch.ones(len(x), dtype=torch.float64))
    assert float(k.min()) >= 0.0


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 10), st.integers(2, 5)), elements=finite),
    st.floats(-20, 20),
)
def test_entropy_is_bounded_and_shift_invariant(logits, c):
    h = float(nn.entropy_loss(t(logits)))
    assert -1e-9 <= h <= math.log(logits.shape[1]) + 1e-9
    assert float(nn.entropy_loss(t(logits + c))) == pytest.approx(h, abs=1e-9)


def test_entropy_of_uniform_predictions_is_log_k():
    assert float(nn.entropy_loss(torch.zeros(3, 5))) == pytest.approx(math.log(5))


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(2, 12), st.just(3)), elements=finite),
    arrays(np.float64, (2, 3), elements=finite),
    st.randoms(use_true_random=False),
)
def test_fisher_forms_are_consistent(features, centers, rnd):
    labels = torch.tensor([rnd.randint(0, 1) for _ in range(len(features))])
    f, c = t(features), t(centers)
    ratio = float(nn.fisher_loss(f, labels, c, form="ratio"))
    difference = float(nn.fisher_loss(f, labels, c, form="difference"))
    intra = float(((f - c[labels]) ** 2).sum(1).mean())
    assert ratio >= 0
    assert difference <= intra + 1e-9


def test_fisher_loss_is_zero_when_features_sit_on_their_centers():
    centers = torch.tensor([[0.0, 0.0], [3.0, 1.0]])
    labels = torch.tensor([0, 1, 1, 0])
    assert float(nn.fisher_loss(centers[labels], labels, centers)) == pytest.approx(0.0)


def test_fisher_loss_rejects_unknown_form():
    with pytest.raises(ValueError, match="form"):
        nn.fisher_loss(torch.zeros(2, 2), torch.tensor([0, 1]), torch.zeros(2, 2), form="trace")


def test_domain_loss_of_a_perfect_discriminator_is_small():
    loss = nn.domain_adversarial_loss(torch.full((4, 1), -20.0), torch.full((4, 1), 20.0))
    assert float(loss) < 1e-6
