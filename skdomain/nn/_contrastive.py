"""Contrastive self-supervised pre-training of an encoder, in plain torch.

A SimCLR-style pretext task (Chen et al. 2020; used on galaxy images by Hayat
et al. 2021): two random views of every image — a rotation by a multiple of
90 degrees, a random flip and a little Gaussian noise — are embedded by the
encoder and a small projection head, and the NT-Xent loss pulls the two views
of one image together and pushes the views of different images apart. The
features learnt this way group images by what they look like, without labels,
so they can be learnt on source *and* target images (including target classes
the source never had).

Rotation *prediction* (Gidaris et al. 2018) is not offered: galaxies appear at
every orientation, so the rotation of a galaxy image cannot be predicted from
it. Rotations and flips are used here as invariances instead. Nothing here
knows about scikit-learn.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["augment", "nt_xent_loss", "ProjectionHead", "pretrain_contrastive"]


def augment(x: torch.Tensor, noise: float = 0.1, generator=None) -> torch.Tensor:
    """A random view of each sample: rotation by k x 90 degrees, flip, Gaussian noise.

    Rotations and flips apply to square images of shape ``(n, C, H, H)``;
    other inputs (tabular data) get only the noise. The noise standard
    deviation is ``noise`` times the standard deviation of the batch. The
    input is not modified.

    Parameters
    ----------
    x : Tensor
        Batch of images ``(n, C, H, H)`` or of tabular rows ``(n, d)``.
    noise : float, default=0.1
        Noise standard deviation in units of the batch's standard deviation.
    generator : torch.Generator, optional
        Source of randomness, for reproducible views.

    Returns
    -------
    Tensor
        A new tensor of the shape of ``x``.

    Examples
    --------
    >>> import torch
    >>> x = torch.arange(8.0).reshape(2, 1, 2, 2)
    >>> view = augment(x, noise=0.0, generator=torch.Generator().manual_seed(0))
    >>> view.shape, sorted(view[0].flatten().tolist()) == sorted(x[0].flatten().tolist())
    (torch.Size([2, 1, 2, 2]), True)
    """
    out = x.clone()
    if x.dim() == 4 and x.shape[-1] == x.shape[-2]:
        turns = torch.randint(0, 4, (x.shape[0],), generator=generator)
        flips = torch.randint(0, 2, (x.shape[0],), generator=generator).bool()
        for k in range(1, 4):
            rows = turns == k
            if rows.any():
                out[rows] = torch.rot90(out[rows], k, dims=(-2, -1))
        if flips.any():
            out[flips] = torch.flip(out[flips], dims=(-1,))
    if noise > 0:
        scale = noise * x.detach().std().clamp_min(1e-12)
        out = out + scale * torch.randn(x.shape, generator=generator).to(x.device, x.dtype)
    return out


def nt_xent_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """Normalized-temperature cross-entropy (SimCLR) of two views of ``n`` samples.

    Each of the ``2n`` embeddings must pick out its partner view among the
    ``2n - 1`` others by cosine similarity / ``temperature``.

    Parameters
    ----------
    z1, z2 : Tensor of shape (n, d)
        Embeddings of two views of the same ``n`` samples.
    temperature : float, default=0.5
        Divides the cosine similarities.

    Returns
    -------
    Tensor
        Scalar mean cross-entropy over the ``2n`` embeddings.

    Examples
    --------
    >>> import torch
    >>> z = torch.eye(4)
    >>> bool(nt_xent_loss(z, z) < nt_xent_loss(z, z.roll(1, dims=0)))
    True
    """
    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(f"z1 and z2 must be matching 2-d tensors, got {z1.shape}, {z2.shape}.")
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), -1e9)
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, partner)


class ProjectionHead(nn.Module):
    """Two-layer MLP on the latent features, used by the contrastive loss only.

    Examples
    --------
    >>> import torch
    >>> ProjectionHead(8, 4)(torch.zeros(3, 8)).shape
    torch.Size([3, 4])
    """

    def __init__(self, n_features: int, n_out: int = 32):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_features, n_features), nn.ReLU(), nn.Linear(n_features, n_out)
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Projections of ``features`` on which the contrastive loss is computed."""
        return self.layers(features)


def pretrain_contrastive(
    encoder: nn.Module,
    projection: nn.Module,
    X: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    temperature: float = 0.5,
    noise: float = 0.1,
    generator: torch.Generator | None = None,
) -> list[float]:
    """Train ``encoder`` (and ``projection``) in place with the NT-Xent loss on ``X``.

    Parameters
    ----------
    encoder : torch.nn.Module
        Encoder to pre-train (modified in place).
    projection : torch.nn.Module
        Projection head on top of the encoder, e.g. :class:`ProjectionHead`.
    X : Tensor
        Unlabeled training samples (source and target).
    epochs : int
        Passes over ``X``.
    batch_size : int, default=128
        Samples per batch.
    lr : float, default=1e-3
        Adam learning rate.
    temperature : float, default=0.5
        Temperature of :func:`nt_xent_loss`.
    noise : float, default=0.1
        Noise level of :func:`augment`.
    generator : torch.Generator, optional
        Source of randomness of the shuffling and the views.

    Returns
    -------
    list of float
        Mean loss of each epoch.

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> enc = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU())
    >>> losses = pretrain_contrastive(enc, ProjectionHead(8), torch.randn(64, 2), epochs=3,
    ...                               batch_size=32, generator=torch.Generator().manual_seed(0))
    >>> len(losses)
    3
    """
    if epochs < 0 or batch_size < 2:
        raise ValueError("epochs must be >= 0 and batch_size >= 2.")
    params = list(encoder.parameters()) + list(projection.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    encoder.train()
    projection.train()
    history = []
    for _ in range(epochs):
        order = torch.randperm(X.shape[0], generator=generator).to(X.device)
        total, batches = 0.0, 0
        for start in range(0, X.shape[0], batch_size):
            xb = X[order[start : start + batch_size]]
            if xb.shape[0] < 2:
                continue
            z1 = projection(encoder(augment(xb, noise, generator)))
            z2 = projection(encoder(augment(xb, noise, generator)))
            loss = nt_xent_loss(z1, z2, temperature)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
            batches += 1
        history.append(total / max(batches, 1))
    return history
