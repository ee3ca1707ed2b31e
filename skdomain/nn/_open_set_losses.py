"""Losses of universal (open-set) domain adaptation, in plain torch.

The two unsupervised terms of DeepAstroUDA (Ciprijanovic et al. 2023), which
builds on DANCE (Saito et al. 2020) and on rank-statistics clustering (Han et
al. 2020):

- **adaptive clustering**: every pair of samples, from both domains, gets a
  pseudo label "same cluster" when the *ranks* of their output vectors agree
  (the sets of their ``k`` largest entries are equal), and the inner product of
  their probability vectors is pushed towards that label with a binary
  cross-entropy. Similar known samples of the two domains are pulled together,
  and unknown samples cluster among themselves;
- **entropy separation**: the entropy of a target prediction is pushed away
  from a threshold ``rho`` (confident: known class; uncertain: unknown class),
  but only when it already lies farther than a margin ``m`` from ``rho``, so
  that ambiguous samples are left alone.

A neighborhood-clustering variant (DANCE) is also provided: each target
feature is softly assigned to its neighbors in a memory bank of recent target
features and to the class prototypes, and the entropy of that assignment is
minimized. Nothing here knows about scikit-learn.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = [
    "prediction_entropy",
    "rank_similarity_labels",
    "adaptive_clustering_loss",
    "entropy_separation_loss",
    "neighborhood_clustering_loss",
    "default_rho",
]


def default_rho(n_classes: int) -> float:
    """The entropy threshold ``log(K) / 2`` of DANCE for ``K`` known classes.

    Parameters
    ----------
    n_classes : int
        Number of known classes ``K``.

    Returns
    -------
    float
        ``log(K) / 2`` in nats.

    Examples
    --------
    >>> round(default_rho(9), 4)
    1.0986
    """
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}.")
    return 0.5 * math.log(n_classes)


def prediction_entropy(probabilities: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Shannon entropy (nats) of each row of a probability matrix.

    Parameters
    ----------
    probabilities : Tensor of shape (n, K)
        Rows summing to one.
    eps : float, default=1e-12
        Added inside the logarithm.

    Returns
    -------
    Tensor of shape (n,)
        Entropy of each row in nats.

    Examples
    --------
    >>> import torch
    >>> prediction_entropy(torch.tensor([[0.5, 0.5], [1.0, 0.0]]))
    tensor([0.6931, 0.0000])
    """
    p = probabilities.clamp_min(0.0)
    return (p * -torch.log(p.clamp_min(eps))).sum(dim=1)


def rank_similarity_labels(outputs: torch.Tensor, k: int = 2) -> torch.Tensor:
    """Pairwise pseudo labels from rank statistics: 1 where the top-``k`` indices agree.

    Two samples are "similar" when the sets of indices of their ``k`` largest
    outputs are equal (the order inside the top ``k`` does not matter). The
    result is symmetric with ones on the diagonal and carries no gradient.

    Parameters
    ----------
    outputs : Tensor of shape (n, c)
        Output vectors (logits, probabilities or features; only their ranks count).
    k : int
        Number of top entries compared; clipped to ``c``.

    Returns
    -------
    Tensor of shape (n, n), same dtype as ``outputs``, values in {0, 1}.

    Examples
    --------
    >>> import torch
    >>> rank_similarity_labels(torch.tensor([[3., 2., 1.], [2., 3., 0.], [0., 1., 3.]]), k=2)
    tensor([[1., 1., 0.],
            [1., 1., 0.],
            [0., 0., 1.]])
    """
    if outputs.ndim != 2:
        raise ValueError(f"outputs must be 2d (n, c), got shape {tuple(outputs.shape)}.")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    k = min(int(k), outputs.shape[1])
    with torch.no_grad():
        top = torch.topk(outputs, k, dim=1).indices
        members = torch.zeros_like(outputs, dtype=torch.bool).scatter_(1, top, True)
        agree = (members[:, None, :] == members[None, :, :]).all(dim=2)
    return agree.to(outputs.dtype)


def adaptive_clustering_loss(
    logits: torch.Tensor,
    k: int = 2,
    rank_features: torch.Tensor | None = None,
    eps: float = 1e-7,
) -> torch.Tensor:
    """Binary cross-entropy between pairwise prediction agreement and rank labels.

    With ``p = softmax(logits)``, the agreement of samples ``i`` and ``j`` is
    ``p_i . p_j`` (in [0, 1]); its target is :func:`rank_similarity_labels` of
    the logits, or of ``rank_features`` when given (e.g. latent features, as in
    Han et al. 2020: a finer similarity than the ranks of ``K`` outputs, which
    can tell apart samples that the classifier lumps into one known class).
    The mean is over all ordered pairs ``i != j`` (zero for a single sample).
    Pass the logits of source and target samples together: pairs across
    domains are what pulls similar samples of the two surveys together.

    Parameters
    ----------
    logits : Tensor of shape (n, K)
        Classifier outputs of source and target samples together.
    k : int, default=2
        Number of top-ranked dimensions compared by the rank similarity.
    rank_features : Tensor of shape (n, d), optional
        Features whose ranks define the pair labels (default: the logits).
    eps : float, default=1e-7
        Clamp of the agreement away from 0 and 1.

    Returns
    -------
    Tensor
        Scalar loss (mean over ordered pairs).

    Examples
    --------
    >>> import torch
    >>> logits = torch.tensor([[5., 0., 0.], [5., 0., 1.], [0., 0., 5.]])
    >>> float(adaptive_clustering_loss(logits, k=1)) < 0.05
    True
    """
    n = logits.shape[0]
    if n < 2:
        return logits.sum() * 0.0
    probabilities = F.softmax(logits, dim=1)
    ranked = logits if rank_features is None else rank_features
    if ranked.shape[0] != n:
        raise ValueError("rank_features must have one row per row of logits.")
    labels = rank_similarity_labels(ranked.detach(), k).to(logits.dtype)
    agreement = (probabilities @ probabilities.T).clamp(eps, 1.0 - eps)
    bce = -(labels * torch.log(agreement) + (1.0 - labels) * torch.log1p(-agreement))
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=logits.device)
    return bce[off_diagonal].mean()


def entropy_separation_loss(
    logits: torch.Tensor, rho: float, margin: float = 0.5
) -> torch.Tensor:
    """DANCE entropy separation: ``mean(-|H(p) - rho| * [|H(p) - rho| > margin])``.

    Minimizing it pushes the entropy of confident predictions down and of
    uncertain ones up, away from the threshold ``rho``; predictions whose
    entropy lies within ``margin`` of ``rho`` contribute exactly zero (they are
    too ambiguous to be trusted either way).

    Parameters
    ----------
    logits : Tensor of shape (n, K)
        Outputs of the classifier for (target) samples.
    rho : float
        Entropy threshold between known and unknown, e.g. :func:`default_rho`.
    margin : float
        Half-width of the band around ``rho`` that is left alone (>= 0).

    Returns
    -------
    Tensor
        Scalar loss (<= 0).

    Examples
    --------
    >>> import torch
    >>> float(entropy_separation_loss(torch.zeros(3, 4), rho=1.386, margin=0.5))
    0.0
    """
    if margin < 0:
        raise ValueError(f"margin must be non-negative, got {margin}.")
    if logits.shape[0] == 0:
        return logits.sum() * 0.0
    entropy = prediction_entropy(F.softmax(logits, dim=1))
    distance = (entropy - rho).abs()
    outside = (distance > margin).to(logits.dtype)
    return 0.0 - (distance * outside).mean()


def neighborhood_clustering_loss(
    features: torch.Tensor,
    memory: torch.Tensor,
    prototypes: torch.Tensor | None = None,
    temperature: float = 0.05,
) -> torch.Tensor:
    """DANCE neighborhood clustering: entropy of the soft assignment to neighbors.

    Features are L2-normalized; each one is compared (cosine similarity divided
    by ``temperature``) with every row of ``memory`` (normalized features of
    other target samples, without gradient) and of ``prototypes`` (normalized
    class weight vectors); the softmax over these is the sample's soft
    neighborhood, and its mean entropy is returned. Minimizing it moves a
    sample towards a class prototype or towards its nearest target neighbors,
    so unknown samples form clusters of their own.

    Parameters
    ----------
    features : Tensor of shape (n, d)
    memory : Tensor of shape (m, d)
        Bank of earlier target features (detached inside).
    prototypes : Tensor of shape (K, d), optional
    temperature : float

    Returns
    -------
    Tensor
        Scalar mean entropy of the soft neighborhoods.

    Examples
    --------
    >>> import torch
    >>> f = torch.eye(3)
    >>> float(neighborhood_clustering_loss(f, f, temperature=0.01)) < 1e-6
    True
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}.")
    candidates = [F.normalize(memory.detach(), dim=1)]
    if prototypes is not None:
        candidates.append(F.normalize(prototypes, dim=1))
    bank = torch.cat(candidates)
    if features.shape[0] == 0 or bank.shape[0] == 0:
        return features.sum() * 0.0
    similarity = F.normalize(features, dim=1) @ bank.T / temperature
    return prediction_entropy(F.softmax(similarity, dim=1)).mean()
