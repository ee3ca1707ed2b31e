"""Property tests of the universal-DA losses."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skdomain import nn

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False, width=64)


def logit_batches(min_rows=1, max_rows=10, min_classes=2, max_classes=6):
    return st.integers(min_classes, max_classes).flatmap(
        lambda c: arrays(
            np.float64, st.tuples(st.integers(min_rows, max_rows), st.just(c)), elements=finite
        )
    )


def t(a):
    return torch.as_tensor(a, dtype=torch.float64)


@settings(max_examples=60, deadline=None)
@given(logit_batches(), st.integers(1, 6))
def test_similarity_labels_are_symmetric_binary_with_unit_diagonal(logits, k):
    labels = nn.rank_similarity_labels(t(logits), k)
    assert torch.equal(labels, labels.T)
    assert set(labels.unique().tolist()) <= {0.0, 1.0}
    assert torch.all(torch.diagonal(labels) == 1)


@settings(max_examples=60, deadline=None)
@given(logit_batches(min_rows=2), st.integers(1, 6))
def test_similarity_labels_depend_only_on_top_k_sets(logits, k):
    labels = nn.rank_similarity_labels(t(logits), k).numpy()
    k = min(k, logits.shape[1])
    # argsort with a stable tie-break may differ from topk on ties: compare only
    # rows whose k-th and (k+1)-th values differ.
    ordered = -np.sort(-logits, axis=1)
    clear = (
        np.ones(len(logits), bool) if k == logits.shape[1] else ordered[:, k - 1] > ordered[:, k]
    )
    tops = [frozenset(np.argsort(-row, kind="stable")[:k]) for row in logits]
    for i in np.flatnonzero(clear):
        for j in np.flatnonzero(clear):
            assert labels[i, j] == float(tops[i] == tops[j])


def test_similarity_labels_ignore_order_inside_top_k():
    outputs = torch.tensor([[3.0, 2.0, 0.0], [2.0, 3.0, 0.0], [3.0, 0.0, 2.0]])
    labels = nn.rank_similarity_labels(outputs, k=2)
    assert labels[0, 1] == 1 and labels[0, 2] == 0
    assert nn.rank_similarity_labels(outputs, k=1)[0, 1] == 0


@settings(max_examples=60, deadline=None)
@given(logit_batches(), st.integers(1, 6))
def test_clustering_loss_is_finite_and_non_negative_for_any_batch(logits, k):
    x = t(logits).requires_grad_(True)
    loss = nn.adaptive_clustering_loss(x, k=k)
    assert torch.isfinite(loss) and loss.item() >= 0
    loss.backward()
    assert torch.all(torch.isfinite(x.grad))


def test_clustering_loss_rewards_agreement_with_rank_labels():
    # Two clear clusters: predictions that agree within clusters and disagree
    # across them score far better than uniform predictions.
    good = torch.tensor([[8.0, 0, 0], [7.0, 0.5, 0], [0, 0, 8.0], [0, 0.5, 7.0]])
    uniform = torch.zeros(4, 3) + torch.tensor([0.01, 0.0, 0.0])
    assert nn.adaptive_clustering_loss(good, k=1) < 0.1 < nn.adaptive_clustering_loss(uniform, k=1)


@settings(max_examples=80, deadline=None)
@given(logit_batches(), st.floats(0.0, 2.0), st.floats(0.0, 1.0))
def test_separation_loss_is_zero_inside_the_margin(logits, rho, margin):
    x = t(logits)
    entropy = nn.prediction_entropy(torch.softmax(x, 1))
    inside = (entropy - rho).abs() <= margin
    loss_inside = nn.entropy_separation_loss(x[inside], rho, margin) if inside.any() else None
    if loss_inside is not None:
        assert loss_inside.item() == 0.0
    loss = nn.entropy_separation_loss(x, rho, margin)
    assert loss.item() <= 0.0
    expected = -((entropy - rho).abs() * (~inside)).mean()
    assert math.isclose(loss.item(), expected.item(), abs_tol=1e-9)


def test_separation_gradient_pushes_entropy_away_from_rho():
    rho, margin = nn.default_rho(4), 0.1
    confident = torch.tensor([[4.0, 0.0, 0.0, 0.0]], requires_grad=True)
    uncertain = torch.tensor([[0.1, 0.0, 0.05, 0.0]], requires_grad=True)
    for logits, direction in ((confident, -1), (uncertain, +1)):
        loss = nn.entropy_separation_loss(logits, rho, margin)
        loss.backward()
        stepped = logits.detach() - 0.1 * logits.grad
        before = nn.prediction_entropy(torch.softmax(logits.detach(), 1))
        after = nn.prediction_entropy(torch.softmax(stepped, 1))
        assert direction * (after - before).item() > 0


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="margin"):
        nn.entropy_separation_loss(torch.zeros(2, 3), 0.5, margin=-1)
    with pytest.raises(ValueError, match="k must"):
        nn.rank_similarity_labels(torch.zeros(2, 3), k=0)
    with pytest.raises(ValueError, match="2d"):
        nn.rank_similarity_labels(torch.zeros(3), k=1)
    with pytest.raises(ValueError, match="n_classes"):
        nn.default_rho(1)
    with pytest.raises(ValueError, match="temperature"):
        nn.neighborhood_clustering_loss(torch.zeros(2, 3), torch.zeros(2, 3), temperature=0)


@settings(max_examples=40, deadline=None)
@given(logit_batches(min_classes=2, max_classes=8))
def test_entropy_lies_between_zero_and_log_k(logits):
    entropy = nn.prediction_entropy(torch.softmax(t(logits), 1))
    assert torch.all(entropy >= 0)
    assert torch.all(entropy <= math.log(logits.shape[1]) + 1e-9)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 6), st.just(4)), elements=finite),
    arrays(np.float64, st.tuples(st.integers(0, 6), st.just(4)), elements=finite),
)
def test_neighborhood_loss_is_finite_and_bounded(features, memory):
    prototypes = torch.eye(4, dtype=torch.float64)
    loss = nn.neighborhood_clustering_loss(t(features), t(memory), prototypes, temperature=0.1)
    assert torch.isfinite(loss)
    assert 0.0 <= loss.item() <= math.log(len(memory) + 4) + 1e-9


def test_neighborhood_loss_is_low_next_to_a_neighbor():
    memory = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    near = nn.neighborhood_clustering_loss(torch.tensor([[1.0, 0.01]]), memory, temperature=0.05)
    between = nn.neighborhood_clustering_loss(torch.tensor([[1.0, 1.0]]), memory, temperature=0.05)
    assert near < 0.01 and between > 0.6
