"""Contrastive pre-training pieces: augmentations, NT-Xent loss, the training loop."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skdomain.nn import ProjectionHead, augment, nt_xent_loss, pretrain_contrastive


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(1, 6), n=st.integers(1, 5))
def test_augment_without_noise_only_rotates_and_flips(seed, size, n):
    x = torch.randn(n, 2, size, size, generator=torch.Generator().manual_seed(seed))
    original = x.clone()
    view = augment(x, noise=0.0, generator=torch.Generator().manual_seed(seed + 1))
    torch.testing.assert_close(x, original)  # input untouched
    for image, out in zip(x, view, strict=True):
        candidates = [torch.rot90(image, k, dims=(-2, -1)) for k in range(4)]
        candidates += [torch.flip(c, dims=(-1,)) for c in candidates]
        assert any(torch.equal(out, c) for c in candidates)


def test_augment_adds_noise_to_tabular_data_only():
    x = torch.randn(50, 3)
    view = augment(x, noise=0.1, generator=torch.Generator().manual_seed(0))
    difference = (view - x).std().item()
    assert 0.03 < difference < 0.3


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 12), temperature=st.floats(0.05, 2.0))
def test_nt_xent_is_symmetric_finite_and_prefers_matching_views(seed, n, temperature):
    g = torch.Generator().manual_seed(seed)
    z1, z2 = torch.randn(n, 4, generator=g), torch.randn(n, 4, generator=g)
    loss = nt_xent_loss(z1, z2, temperature)
    assert torch.isfinite(loss) and loss >= 0
    torch.testing.assert_close(loss, nt_xent_loss(z2, z1, temperature))
    # identical views of well-separated samples (orthogonal directions): lower loss
    # than unrelated views. Random Gaussian rows are not well separated for small n,
    # which is why the separated samples are built here rather than drawn.
    separated = torch.eye(n) + 0.01 * torch.randn(n, n, generator=g)
    mismatched = torch.roll(separated, 1, dims=0)  # each view paired with another sample
    assert nt_xent_loss(separated, separated, temperature) < nt_xent_loss(
        separated, mismatched, temperature
    )


def test_nt_xent_rejects_mismatched_views():
    with pytest.raises(ValueError, match="matching"):
        nt_xent_loss(torch.randn(3, 4), torch.randn(4, 4))


def test_pretraining_lowers_the_contrastive_loss():
    torch.manual_seed(0)
    X = torch.randn(128, 4)
    encoder = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU())
    history = pretrain_contrastive(
        encoder, ProjectionHead(16, 8), X, epochs=15, batch_size=64, lr=1e-2,
        generator=torch.Generator().manual_seed(0),
    )
    assert len(history) == 15 and np.mean(history[-3:]) < history[0] - 0.2
    with pytest.raises(ValueError):
        pretrain_contrastive(encoder, ProjectionHead(16, 8), X, epochs=1, batch_size=1)
