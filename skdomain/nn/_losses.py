"""Loss functions for domain adaptation, written in plain torch.

Nothing here knows about scikit-learn: every function takes and returns tensors,
so the same code serves the estimators, the shift tests and users' own loops.

Kernel convention
-----------------
The Gaussian kernel with bandwidth ``sigma`` is ``k(x, y) = exp(-||x - y||^2 / (2 sigma^2))``.
A multi-bandwidth kernel is the *mean* of Gaussian kernels over a set of
bandwidths, which keeps MMD values on the same scale whatever the number of
bandwidths. With ``bandwidths=None`` the median heuristic picks
``sigma^2 = median(||x_i - x_j||^2) / 2`` over all distinct pairs of the pooled
sample (computed without gradient) and multiplies it by
``bandwidth_multipliers``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
import torch.nn.functional as F

__all__ = [
    "DEFAULT_BANDWIDTH_MULTIPLIERS",
    "pairwise_squared_distances",
    "median_heuristic_sigma2",
    "bandwidth_floor",
    "pooled_bandwidths",
    "gaussian_kernel",
    "mmd2",
    "mmd2_linear",
    "fisher_loss",
    "entropy_loss",
    "domain_adversarial_loss",
    "coral_loss",
]

DEFAULT_BANDWIDTH_MULTIPLIERS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)


def pairwise_squared_distances(a: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """Squared Euclidean distances between the rows of ``a`` and ``b``.

    Uses the ``|a|^2 + |b|^2 - 2 a.b`` expansion (one matrix product), clamped at
    zero; when ``b`` is omitted the result is symmetrised and its diagonal set to
    exactly zero.

    Parameters
    ----------
    a : Tensor of shape (n, d)
        First set of rows.
    b : Tensor of shape (m, d), optional
        Second set of rows; by default ``a``.

    Returns
    -------
    Tensor of shape (n, m)
        Squared distances, >= 0.

    Examples
    --------
    >>> import torch
    >>> pairwise_squared_distances(torch.tensor([[0.0, 0.0], [3.0, 4.0]]))
    tensor([[ 0., 25.],
            [25.,  0.]])
    """
    a = a.flatten(1)
    same = b is None
    b = a if same else b.flatten(1)
    # Centering first keeps the expansion's cancellation error small.
    center = a.mean(0, keepdim=True).detach() if same else 0.5 * (
        a.mean(0, keepdim=True) + b.mean(0, keepdim=True)
    ).detach()
    a = a - center
    b = a if same else b - center
    sq_a = (a * a).sum(1, keepdim=True)
    sq_b = (b * b).sum(1, keepdim=True)
    d2 = (sq_a + sq_b.T - 2.0 * (a @ b.T)).clamp_min(0.0)
    if same:
        d2 = 0.5 * (d2 + d2.T)
        d2 = d2 - torch.diag_embed(torch.diagonal(d2))
    return d2


def median_heuristic_sigma2(squared_distances: torch.Tensor) -> torch.Tensor:
    """Median heuristic ``sigma^2 = median(d^2) / 2`` over off-diagonal entries.

    Computed without gradient: bandwidths are a choice, not a parameter to learn.
    When more than half of the pairs coincide (median negligible against the
    largest distance) the mean distance is used instead, and ``sigma^2 = 1/2``
    when every pair coincides.

    Parameters
    ----------
    squared_distances : Tensor of shape (n, m)
        Pairwise squared distances, e.g. from :func:`pairwise_squared_distances`.

    Returns
    -------
    Tensor
        Scalar bandwidth ``sigma^2`` (no gradient).

    Examples
    --------
    >>> import torch
    >>> d2 = torch.tensor([[0.0, 4.0], [4.0, 0.0]])
    >>> median_heuristic_sigma2(d2)
    tensor(2.)
    """
    n = squared_distances.shape[0]
    if n < 2:
        return torch.ones((), dtype=squared_distances.dtype, device=squared_distances.device)
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=squared_distances.device)
    return _median_sigma2(squared_distances.detach()[off_diagonal])


def _median_sigma2(pair_d2: torch.Tensor) -> torch.Tensor:
    """``median / 2`` of the squared distances of distinct pairs, with the fallbacks above."""
    with torch.no_grad():
        one = torch.ones((), dtype=pair_d2.dtype, device=pair_d2.device)
        largest = pair_d2.max()
        median = pair_d2.median()
        fallback = torch.where(largest > 0, pair_d2.mean(), one)
        return torch.where(median > 1e-9 * largest, median, fallback) / 2.0


#: The median heuristic looks at the pairs of at most this many points of the pooled
#: sample (a fixed random subsample beyond it: 130,816 pairs, median within ~1%).
MEDIAN_HEURISTIC_MAX_POINTS = 512


@functools.lru_cache(maxsize=64)
def _subsample_index(n_points: int, max_points: int) -> torch.Tensor:
    """A fixed pseudo-random subset of ``range(n_points)`` (cached: one per size)."""
    generator = torch.Generator().manual_seed(n_points)
    return torch.randperm(n_points, generator=generator)[:max_points].sort().values


def _subsample_median_sigma2(d2: torch.Tensor, max_points: int = MEDIAN_HEURISTIC_MAX_POINTS):
    """Median heuristic on the distance matrix ``d2``, over a bounded subsample of its rows."""
    n = d2.shape[0]
    if n > max_points:
        index = _subsample_index(n, max_points).to(d2.device)
        d2 = d2[index][:, index]
    return median_heuristic_sigma2(d2)


def bandwidth_floor(points: torch.Tensor) -> torch.Tensor:
    """Smallest ``sigma^2`` the median heuristic may return for ``points`` (n, d).

    ``(1024 * eps * max|x|)^2 * d``: squared distances below it are within
    rounding of the data's magnitude (``eps`` of its dtype), so that two samples
    that differ only by rounding get an MMD near zero instead of a large one from
    a bandwidth fitted to the rounding noise.

    Parameters
    ----------
    points : Tensor of shape (n, d)
        The samples whose magnitude sets the floor.

    Returns
    -------
    Tensor
        A scalar ``sigma^2`` floor, in the dtype of ``points``.

    Examples
    --------
    >>> import torch
    >>> float(bandwidth_floor(torch.ones(3, 1, dtype=torch.float64))) < 1e-24
    True
    """
    with torch.no_grad():
        eps = torch.finfo(points.dtype).eps
        largest = points.detach().abs().max() if points.numel() else points.new_zeros(())
        return (1024.0 * eps * largest) ** 2 * max(points.shape[-1], 1)


def _check_bandwidths(bandwidths, bandwidth_multipliers):
    """Clear errors for empty or non-positive bandwidths / multipliers."""
    if bandwidths is None:
        values, name = bandwidth_multipliers, "bandwidth_multipliers"
    else:
        values, name = bandwidths, "bandwidths"
    values = torch.as_tensor(values, dtype=torch.float64).detach().reshape(-1)
    if values.numel() == 0:
        raise ValueError(f"{name} must not be empty.")
    if not torch.all(torch.isfinite(values) & (values > 0)):
        raise ValueError(f"Kernel {name} must be positive and finite, got {values.tolist()}.")


def _squared_bandwidths(bandwidths, bandwidth_multipliers, median_sigma2, like: torch.Tensor,
                        floor=None):
    """``sigma^2`` per kernel: the given ``bandwidths`` squared, or the median heuristic.

    ``median_sigma2`` is called (without argument) only when ``bandwidths`` is None;
    its value is raised to ``floor`` (a tensor) when given.
    """
    _check_bandwidths(bandwidths, bandwidth_multipliers)
    if bandwidths is None:
        multipliers = torch.as_tensor(bandwidth_multipliers, dtype=like.dtype, device=like.device)
        sigma2 = median_sigma2()
        if floor is not None:
            sigma2 = torch.maximum(sigma2, floor.to(sigma2.dtype))
        return sigma2 * multipliers.reshape(-1)
    sigma = torch.as_tensor(bandwidths, dtype=like.dtype, device=like.device).reshape(-1)
    return (sigma * sigma).detach()


def _kernel_from_distances(
    d2: torch.Tensor,
    bandwidths: Sequence[float] | torch.Tensor | None,
    bandwidth_multipliers: Sequence[float],
) -> torch.Tensor:
    sigma2 = _squared_bandwidths(
        bandwidths, bandwidth_multipliers, lambda: median_heuristic_sigma2(d2), d2
    )
    # One distance matrix, one exp per bandwidth, averaged.
    kernel = torch.zeros_like(d2)
    for s2 in sigma2:
        kernel = kernel + torch.exp(-d2 / (2.0 * s2))
    return kernel / len(sigma2)


def _doubling_steps(sigma2: torch.Tensor):
    """Squarings between consecutive kernels, widest first, when ``sigma^2`` ratios are 2^k.

    ``exp(-d / (2 s / 2^k)) = exp(-d / (2 s))^(2^k)``: the default multipliers
    (0.25 ... 4) need one ``exp`` and four squarings instead of five ``exp``.
    Returns ``(order, steps)`` or ``None`` when the ratios are not powers of two.
    """
    values = sigma2.detach().double().cpu()
    order = torch.argsort(values, descending=True)
    ratios = values[order[0]] / values[order]
    exponents = torch.log2(ratios)
    rounded = exponents.round()
    if not torch.allclose(exponents, rounded, atol=1e-9) or rounded.max() > 12:
        return None
    steps = torch.diff(rounded, prepend=rounded[:1]).long().tolist()
    return order.tolist(), steps


def _kernel_inplace(d2: torch.Tensor, sigma2: torch.Tensor, *, derivative: bool = False,
                    row_block: int = 1024, scratch: torch.Tensor | None = None,
                    plan=False) -> torch.Tensor:
    """Overwrite ``d2`` (..., N, N) with the mean Gaussian kernel (or its d/d(d2)).

    Works on blocks of rows so that the only full-size array is ``d2`` itself;
    ``scratch`` (at least one row block) is reused instead of allocated, and
    ``plan`` (from :func:`_doubling_steps`) is computed when not given.
    """
    sigma2 = sigma2.detach().to(d2.dtype)
    n_kernels = len(sigma2)
    coefficients = (-0.5 / sigma2 if derivative else torch.ones_like(sigma2)) / n_kernels
    if plan is False:
        plan = _doubling_steps(sigma2)
    rows = d2.shape[-2]
    for start in range(0, rows, row_block):
        view = d2[..., start : start + row_block, :]
        if plan is not None:
            order, steps = plan
            if scratch is None:
                current = view * (-0.5 / sigma2[order[0]])
            else:
                current = torch.mul(view, -0.5 / sigma2[order[0]],
                                    out=scratch[..., : view.shape[-2], :])
            current.exp_()
            torch.mul(current, coefficients[order[0]], out=view)
            for index, step in zip(order[1:], steps[1:], strict=True):
                for _ in range(step):
                    current.mul_(current)
                view.add_(current, alpha=float(coefficients[index]))
        else:
            distances = view.clone()
            view.zero_()
            for s2, c in zip(sigma2, coefficients, strict=True):
                view.add_(torch.exp(distances * (-0.5 / s2)), alpha=float(c))
    return d2


def _pooled_squared_distances(pooled: torch.Tensor) -> torch.Tensor:
    """Squared distances of the rows of ``pooled`` (..., N, d): one Gram matrix, in place.

    The rows are centered first (small cancellation error); the result is clamped
    at zero with an exactly zero diagonal. No autograd: callers that need
    gradients go through :class:`_PooledMMD`.
    """
    with torch.no_grad():
        centered = pooled - pooled.mean(-2, keepdim=True)
        squared = (centered * centered).sum(-1)
        d2 = torch.matmul(centered, centered.transpose(-1, -2))
        d2.mul_(-2.0).add_(squared.unsqueeze(-1)).add_(squared.unsqueeze(-2)).clamp_(min=0.0)
        d2.diagonal(dim1=-2, dim2=-1).zero_()
    return d2


def _pooled_kernel(pooled: torch.Tensor, sigma2: torch.Tensor, *,
                   block_elements: int = 1 << 18) -> torch.Tensor:
    """Mean Gaussian kernel matrix of the rows of ``pooled`` (N, d), fused and cache-blocked.

    The same values as ``_kernel_inplace(_pooled_squared_distances(pooled), sigma2)``
    up to rounding, but every row block (about ``block_elements`` entries, so
    that it stays in cache) goes from the Gram product to its kernel values
    before the next one is touched: the N x N result is written once, and it is
    the only full-size array. No autograd.
    """
    with torch.no_grad():
        n = pooled.shape[0]
        centered = pooled - pooled.mean(0, keepdim=True)
        squared = (centered * centered).sum(1)
        transposed = centered.T.contiguous()
        kernel = torch.empty(n, n, dtype=pooled.dtype, device=pooled.device)
        rows = max(1, min(n, block_elements // max(n, 1)))
        scratch = torch.empty(rows, n, dtype=pooled.dtype, device=pooled.device)
        sigma2 = sigma2.detach().to(pooled.dtype)
        plan = _doubling_steps(sigma2)
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            view = kernel[start:stop]
            torch.addmm(squared[start:stop, None], centered[start:stop], transposed,
                        alpha=-2.0, out=view)
            view.add_(squared).clamp_(min=0.0)
            view[:, start:stop].diagonal().zero_()
            _kernel_inplace(view, sigma2, row_block=rows, scratch=scratch, plan=plan)
    return kernel


def _block_weights(n: int, m: int, estimator: str):
    """Weights of the (source-source, target-target, cross) kernel sums, and diagonal flag."""
    if estimator == "biased":
        return 1.0 / n**2, 1.0 / m**2, -1.0 / (n * m), False
    return 1.0 / (n * (n - 1)), 1.0 / (m * (m - 1)), -1.0 / (n * m), True


def _weighted_block_sum(kernel: torch.Tensor, n: int, weights) -> torch.Tensor:
    """``sum_ij w_ij K_ij`` (in float64) for the block weights of :func:`_block_weights`."""
    w_ss, w_tt, w_st, no_diagonal = weights
    total = (
        w_ss * kernel[..., :n, :n].sum((-1, -2), dtype=torch.float64)
        + w_tt * kernel[..., n:, n:].sum((-1, -2), dtype=torch.float64)
        + 2.0 * w_st * kernel[..., :n, n:].sum((-1, -2), dtype=torch.float64)
    )
    if no_diagonal:
        diagonal = kernel.diagonal(dim1=-2, dim2=-1)
        total = total - w_ss * diagonal[..., :n].sum(-1, dtype=torch.float64)
        total = total - w_tt * diagonal[..., n:].sum(-1, dtype=torch.float64)
    return total


class _PooledMMD(torch.autograd.Function):
    """MMD^2 from the pooled sample with one N x N buffer forward and one backward.

    Backward recomputes the distances instead of storing them, and uses
    ``d(sum_ij W_ij ||p_i - p_j||^2) / dp = 4 (diag(W 1) - W) p`` for symmetric W.
    """

    @staticmethod
    def forward(ctx, pooled, sigma2, n, estimator):
        weights = _block_weights(n, pooled.shape[0] - n, estimator)
        kernel = _kernel_inplace(_pooled_squared_distances(pooled), sigma2)
        value = _weighted_block_sum(kernel, n, weights)
        ctx.save_for_backward(pooled, sigma2)
        ctx.n, ctx.weights = n, weights
        return value.to(pooled.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        pooled, sigma2 = ctx.saved_tensors
        n, (w_ss, w_tt, w_st, _) = ctx.n, ctx.weights
        with torch.no_grad():
            w = _kernel_inplace(_pooled_squared_distances(pooled), sigma2, derivative=True)
            w[:n, :n].mul_(w_ss)
            w[n:, n:].mul_(w_tt)
            w[:n, n:].mul_(w_st)
            w[n:, :n].mul_(w_st)
            w.diagonal().zero_()
            w.mul_(grad_output.to(w.dtype))
            centered = pooled - pooled.mean(0, keepdim=True)
            grad = 4.0 * (w.sum(1, keepdim=True) * centered - w @ centered)
        return grad, None, None, None


def pooled_bandwidths(
    pooled: torch.Tensor,
    d2: torch.Tensor | None = None,
    *,
    bandwidths=None,
    bandwidth_multipliers: Sequence[float] = DEFAULT_BANDWIDTH_MULTIPLIERS,
    max_points: int = MEDIAN_HEURISTIC_MAX_POINTS,
) -> torch.Tensor:
    """``sigma^2`` of every kernel for the pooled sample ``pooled`` (N, d).

    Fixed ``bandwidths`` squared, or the median heuristic over the pairs of at
    most ``max_points`` points (a fixed random subsample, cached per size),
    raised to :func:`bandwidth_floor`, times ``bandwidth_multipliers``. ``d2``,
    the pooled squared distances when already computed, is reused.

    Parameters
    ----------
    pooled : Tensor of shape (N, d)
        Source and target rows together.
    d2 : Tensor of shape (N, N), optional
        Their squared distances, when already computed.
    bandwidths : sequence of float, optional
        Fixed kernel bandwidths ``sigma``; ``None`` uses the median heuristic.
    bandwidth_multipliers : sequence of float
        Multipliers of the median-heuristic ``sigma^2``.
    max_points : int
        Points of the subsample the median heuristic looks at.

    Returns
    -------
    Tensor of shape (n_kernels,)
        ``sigma^2`` of every Gaussian kernel.

    Examples
    --------
    >>> import torch
    >>> pooled_bandwidths(torch.tensor([[0.0], [2.0]]), bandwidth_multipliers=[1.0, 2.0])
    tensor([2., 4.])
    """
    def median():
        if d2 is not None:
            return _subsample_median_sigma2(d2, max_points)
        sample = pooled
        if len(pooled) > max_points:
            sample = pooled[_subsample_index(len(pooled), max_points).to(pooled.device)]
        return median_heuristic_sigma2(_pooled_squared_distances(sample.detach()))

    return _squared_bandwidths(bandwidths, bandwidth_multipliers, median, pooled,
                               floor=bandwidth_floor(pooled))


def gaussian_kernel(
    a: torch.Tensor,
    b: torch.Tensor | None = None,
    bandwidths: Sequence[float] | None = None,
    bandwidth_multipliers: Sequence[float] = DEFAULT_BANDWIDTH_MULTIPLIERS,
) -> torch.Tensor:
    """Multi-bandwidth Gaussian kernel matrix between the rows of ``a`` and ``b``.

    Parameters
    ----------
    a, b : Tensor of shape (n, ...) and (m, ...)
        Samples; trailing dimensions are flattened. ``b`` defaults to ``a``.
    bandwidths : sequence of float, optional
        Fixed bandwidths ``sigma``. ``None`` uses the median heuristic on the
        distances of this call times ``bandwidth_multipliers``.
    bandwidth_multipliers : sequence of float
        Multipliers of the median-heuristic ``sigma^2``.

    Returns
    -------
    Tensor of shape (n, m)

    Examples
    --------
    >>> import torch
    >>> k = gaussian_kernel(torch.zeros(3, 2), bandwidths=[1.0])
    >>> bool(torch.allclose(k, torch.ones(3, 3)))
    True
    """
    d2 = pairwise_squared_distances(a, b)
    return _kernel_from_distances(d2, bandwidths, bandwidth_multipliers)


def mmd2(
    source: torch.Tensor,
    target: torch.Tensor,
    *,
    estimator: str = "unbiased",
    bandwidths: Sequence[float] | None = None,
    bandwidth_multipliers: Sequence[float] = DEFAULT_BANDWIDTH_MULTIPLIERS,
) -> torch.Tensor:
    """Squared maximum mean discrepancy between two samples.

    Builds one (n + m) x (n + m) Gram matrix of the pooled sample, in place and
    in the dtype of the inputs (float32 for float32 features, float64 on
    request by passing float64 tensors), and reads the three kernel blocks from
    it; the backward pass recomputes it rather than storing intermediates. The
    median heuristic (``bandwidths=None``) looks at a bounded subsample of
    pairs (:data:`MEDIAN_HEURISTIC_MAX_POINTS` points) and never goes below
    :func:`bandwidth_floor`.

    Parameters
    ----------
    source : Tensor of shape (n, ...)
    target : Tensor of shape (m, ...)
    estimator : {"unbiased", "biased", "linear"}
        ``"biased"`` is the V-statistic (>= 0, zero for identical samples);
        ``"unbiased"`` the U-statistic (can be slightly negative, unbiased for the
        population MMD^2); ``"linear"`` delegates to :func:`mmd2_linear`.
    bandwidths, bandwidth_multipliers
        See :func:`gaussian_kernel`.

    Returns
    -------
    Tensor
        A scalar, differentiable with respect to both samples.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(200, 2, generator=g)
    >>> y = torch.randn(200, 2, generator=g) + 2.0
    >>> bool(mmd2(x, y) > mmd2(x, x[torch.randperm(200, generator=g)]))
    True
    """
    if estimator == "linear":
        return mmd2_linear(
            source, target, bandwidths=bandwidths, bandwidth_multipliers=bandwidth_multipliers
        )
    if estimator not in ("biased", "unbiased"):
        raise ValueError(
            f"estimator must be 'biased', 'unbiased' or 'linear', got {estimator!r}."
        )
    n, m = source.shape[0], target.shape[0]
    if estimator == "unbiased" and (n < 2 or m < 2):
        raise ValueError("The unbiased MMD estimator needs at least 2 samples per domain.")
    if n < 1 or m < 1:
        raise ValueError("MMD needs at least one sample per domain.")
    pooled = torch.cat([source.flatten(1), target.flatten(1)], dim=0)
    if not pooled.requires_grad:
        d2 = _pooled_squared_distances(pooled)  # the one Gram matrix
        sigma2 = pooled_bandwidths(pooled, d2, bandwidths=bandwidths,
                                   bandwidth_multipliers=bandwidth_multipliers)
        kernel = _kernel_inplace(d2, sigma2)
        return _weighted_block_sum(kernel, n, _block_weights(n, m, estimator)).to(pooled.dtype)
    # The bandwidth from a subsample (<= 512 points): one full Gram matrix forward.
    sigma2 = pooled_bandwidths(pooled, bandwidths=bandwidths,
                               bandwidth_multipliers=bandwidth_multipliers)
    return _PooledMMD.apply(pooled, sigma2, n, estimator)


def mmd2_linear(
    source: torch.Tensor,
    target: torch.Tensor,
    *,
    bandwidths: Sequence[float] | None = None,
    bandwidth_multipliers: Sequence[float] = DEFAULT_BANDWIDTH_MULTIPLIERS,
) -> torch.Tensor:
    """Linear-time unbiased MMD^2 estimate (Gretton et al. 2012, section 6).

    Pairs consecutive samples, ``h = k(x1,x2) + k(y1,y2) - k(x1,y2) - k(x2,y1)``,
    and averages ``h`` over ``min(n, m) // 2`` quadruples: O(n) memory and time.
    With ``bandwidths=None`` the median heuristic uses the distances between the
    paired points, so no n x n matrix is built.

    Parameters
    ----------
    source : Tensor of shape (n, d)
        Source samples.
    target : Tensor of shape (m, d)
        Target samples.
    bandwidths : sequence of float, optional
        Gaussian kernel bandwidths ``sigma^2``; by default the median heuristic
        times ``bandwidth_multipliers``.
    bandwidth_multipliers : sequence of float, default=(0.25, 0.5, 1.0, 2.0, 4.0)
        Multipliers of the median-heuristic bandwidth (a sum of kernels).

    Returns
    -------
    Tensor
        Scalar unbiased estimate of MMD^2 (may be negative).

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(4000, 3, generator=g)
    >>> y = torch.randn(4000, 3, generator=g) + 1.0
    >>> bool(mmd2_linear(x, y) > 0.1)
    True
    """
    half = min(source.shape[0], target.shape[0]) // 2
    if half < 1:
        raise ValueError("The linear-time MMD estimator needs at least 2 samples per domain.")
    x = source[: 2 * half].flatten(1)
    y = target[: 2 * half].flatten(1)
    x1, x2, y1, y2 = x[0::2], x[1::2], y[0::2], y[1::2]
    pair_d2 = torch.stack(
        [
            ((x1 - x2) ** 2).sum(1),
            ((y1 - y2) ** 2).sum(1),
            ((x1 - y2) ** 2).sum(1),
            ((x2 - y1) ** 2).sum(1),
        ]
    )
    sigma2 = _squared_bandwidths(
        bandwidths, bandwidth_multipliers, lambda: _median_sigma2(pair_d2), x
    )
    k = torch.exp(-pair_d2.unsqueeze(0) / (2.0 * sigma2.view(-1, 1, 1))).mean(0)
    return (k[0] + k[1] - k[2] - k[3]).mean()


def fisher_loss(
    features: torch.Tensor,
    labels: torch.Tensor,
    centers: torch.Tensor,
    *,
    form: str = "ratio",
    inter_weight: float = 1.0,
    eps: float = 1e-6,
) -> torch.Tensor:
    """Fisher discriminant loss with class centers (intra- vs inter-class scatter).

    ``intra = mean_i ||f_i - c_{y_i}||^2`` pulls features to their class center;
    ``inter = sum_k w_k ||c_k - c_bar||^2`` with ``w_k`` the class frequencies in
    the batch and ``c_bar = sum_k w_k c_k`` measures how far the centers are apart.
    The ``"ratio"`` form returns ``intra / (inter_weight * inter + eps)``
    (scale-free, the trace-ratio form); ``"difference"`` returns
    ``intra - inter_weight * inter``.

    Parameters
    ----------
    features : Tensor of shape (n, d)
    labels : LongTensor of shape (n,)
        Class indices in ``[0, n_classes)``.
    centers : Tensor of shape (n_classes, d)
        Usually a learnable parameter.
    form : {"ratio", "difference"}
    inter_weight : float
    eps : float

    Returns
    -------
    Tensor
        Scalar loss.

    Examples
    --------
    >>> import torch
    >>> f = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    >>> c = torch.tensor([[0.05, 0.0], [5.05, 5.0]])
    >>> bool(fisher_loss(f, torch.tensor([0, 0, 1, 1]), c) < 1e-3)
    True
    """
    if form not in ("ratio", "difference"):
        raise ValueError(f"form must be 'ratio' or 'difference', got {form!r}.")
    features = features.flatten(1)
    intra = ((features - centers[labels]) ** 2).sum(1).mean()
    counts = torch.bincount(labels, minlength=centers.shape[0]).to(features.dtype)
    weights = counts / counts.sum()
    center_mean = (weights.unsqueeze(1) * centers).sum(0)
    inter = (weights * ((centers - center_mean) ** 2).sum(1)).sum()
    if form == "ratio":
        return intra / (inter_weight * inter + eps)
    return intra - inter_weight * inter


def entropy_loss(logits: torch.Tensor) -> torch.Tensor:
    """Mean Shannon entropy (nats) of the softmax of ``logits``.

    Minimizing it pushes predictions away from the decision boundary (entropy
    minimization, Grandvalet & Bengio 2004).

    Parameters
    ----------
    logits : Tensor of shape (n, K)
        Classifier outputs.

    Returns
    -------
    Tensor
        Scalar mean entropy in nats.

    Examples
    --------
    >>> import math, torch
    >>> round(float(entropy_loss(torch.zeros(4, 2))), 6) == round(math.log(2), 6)
    True
    """
    log_p = F.log_softmax(logits, dim=1)
    return -(log_p.exp() * log_p).sum(1).mean()


def domain_adversarial_loss(
    source_domain_logits: torch.Tensor, target_domain_logits: torch.Tensor
) -> torch.Tensor:
    """Binary cross-entropy of a domain discriminator: source is 0, target is 1.

    The loss of a discriminator that cannot tell the domains apart is ``log 2``.

    Parameters
    ----------
    source_domain_logits : Tensor of shape (n, 1)
        Discriminator logits of source samples (label 0).
    target_domain_logits : Tensor of shape (m, 1)
        Discriminator logits of target samples (label 1).

    Returns
    -------
    Tensor
        Scalar mean binary cross-entropy over both domains.

    Examples
    --------
    >>> import math, torch
    >>> loss = domain_adversarial_loss(torch.zeros(5, 1), torch.zeros(7, 1))
    >>> abs(float(loss) - math.log(2)) < 1e-6
    True
    """
    logits = torch.cat([source_domain_logits.reshape(-1), target_domain_logits.reshape(-1)])
    labels = torch.cat(
        [
            torch.zeros(source_domain_logits.numel(), device=logits.device, dtype=logits.dtype),
            torch.ones(target_domain_logits.numel(), device=logits.device, dtype=logits.dtype),
        ]
    )
    return F.binary_cross_entropy_with_logits(logits, labels)


def coral_loss(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CORAL loss: distance between the feature covariances of two samples.

    ``||C_s - C_t||_F^2 / (4 d^2)`` with ``C`` the unbiased covariance matrix
    (``1 / (n - 1)``) of the ``d`` flattened features (Sun & Saenko 2016, Deep
    CORAL). It aligns second-order statistics only: shifting a sample leaves
    it unchanged.

    Parameters
    ----------
    source : Tensor of shape (n, ...)
    target : Tensor of shape (m, ...)
        The same number of features as ``source``; at least 2 samples each.

    Returns
    -------
    Tensor
        A non-negative scalar, differentiable with respect to both samples.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.randn(500, 3, generator=g)
    >>> float(coral_loss(x, x + 5.0)) < 1e-10
    True
    >>> bool(coral_loss(x, 3.0 * x) > 0.1)
    True
    """
    source, target = source.flatten(1), target.flatten(1)
    if source.shape[0] < 2 or target.shape[0] < 2:
        raise ValueError("The CORAL loss needs at least 2 samples per domain.")
    if source.shape[1] != target.shape[1]:
        raise ValueError(
            f"source has {source.shape[1]} features but target has {target.shape[1]}."
        )

    def covariance(x):
        centered = x - x.mean(0, keepdim=True)
        return centered.T @ centered / (x.shape[0] - 1)

    d = source.shape[1]
    return ((covariance(source) - covariance(target)) ** 2).sum() / (4.0 * d * d)


# Conditional adversarial, minimum class confusion and joint optimal transport
# losses (CDAN, MCC, DeepJDOT).
__all__ += [
    "entropy_weights",
    "multilinear_map",
    "conditional_adversarial_loss",
    "minimum_class_confusion_loss",
    "jdot_loss",
]


def entropy_weights(logits: torch.Tensor) -> torch.Tensor:
    """CDAN+E sample weights ``1 + exp(-H(p))`` (no gradient), ``p = softmax(logits)``.

    Confident predictions (low entropy) weigh up to 2, uniform ones
    ``1 + 1/C``: the discriminator listens more to samples the classifier is
    sure about (Long et al. 2018).

    Parameters
    ----------
    logits : Tensor of shape (n, C)
        Classifier outputs.

    Returns
    -------
    Tensor of shape (n,)
        Weights in ``[1 + 1/C, 2]``, computed without gradient.

    Examples
    --------
    >>> import torch
    >>> w = entropy_weights(torch.tensor([[10.0, -10.0], [0.0, 0.0]]))
    >>> [round(float(v), 3) for v in w]
    [2.0, 1.5]
    """
    with torch.no_grad():
        log_p = F.log_softmax(logits, dim=1)
        entropy = -(log_p.exp() * log_p).sum(1)
        return 1.0 + torch.exp(-entropy)


def multilinear_map(features: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
    """Flattened outer product ``f ⊗ g`` of features and class probabilities (CDAN).

    Row ``i`` of the result holds ``probabilities[i, k] * features[i, j]`` at
    column ``k * d + j``.

    Parameters
    ----------
    features : Tensor of shape (n, d)
        Latent features.
    probabilities : Tensor of shape (n, C)
        Class probabilities (or any per-sample vector) of the same rows.

    Returns
    -------
    Tensor of shape (n, C * d)
        The per-sample outer products, flattened.

    Examples
    --------
    >>> import torch
    >>> multilinear_map(torch.ones(3, 4), torch.ones(3, 2)).shape
    torch.Size([3, 8])
    """
    return torch.bmm(probabilities.unsqueeze(2), features.unsqueeze(1)).flatten(1)


def conditional_adversarial_loss(
    source_domain_logits: torch.Tensor,
    target_domain_logits: torch.Tensor,
    source_weights: torch.Tensor | None = None,
    target_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Weighted domain cross-entropy (source 0, target 1) of a CDAN discriminator.

    Each domain's weights are normalized to mean 1, so both domains count
    equally; without weights it is :func:`domain_adversarial_loss`.

    Parameters
    ----------
    source_domain_logits : Tensor of shape (n, 1) or (n,)
        Discriminator logits of source samples (label 0).
    target_domain_logits : Tensor of shape (m, 1) or (m,)
        Discriminator logits of target samples (label 1).
    source_weights : Tensor of shape (n,), optional
        Positive per-sample weights of the source samples (e.g.
        :func:`entropy_weights`); None weighs them all 1.
    target_weights : Tensor of shape (m,), optional
        Positive per-sample weights of the target samples; None weighs them all 1.

    Returns
    -------
    Tensor
        Scalar weighted binary cross-entropy, summed over both domains and
        divided by ``n + m``.

    Examples
    --------
    >>> import math, torch
    >>> loss = conditional_adversarial_loss(torch.zeros(4, 1), torch.zeros(4, 1),
    ...                                     torch.rand(4), torch.rand(4))
    >>> abs(float(loss) - math.log(2)) < 1e-6
    True
    """
    s, t = source_domain_logits.reshape(-1), target_domain_logits.reshape(-1)
    ws = torch.ones_like(s) if source_weights is None else source_weights / source_weights.mean()
    wt = torch.ones_like(t) if target_weights is None else target_weights / target_weights.mean()
    loss_s = F.binary_cross_entropy_with_logits(s, torch.zeros_like(s), weight=ws, reduction="sum")
    loss_t = F.binary_cross_entropy_with_logits(t, torch.ones_like(t), weight=wt, reduction="sum")
    return (loss_s + loss_t) / (s.numel() + t.numel())


def minimum_class_confusion_loss(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Minimum class confusion of target predictions (Jin et al. 2020).

    With ``p = softmax(logits / T)`` and entropy weights ``w`` (normalized to
    sum to the batch size), the class correlation ``C = p^T diag(w) p`` is
    normalized so that each row sums to 1; the loss is the mean over classes
    of the off-diagonal mass, in [0, 1 - 1/C]: 0 when every sample is
    confidently assigned to a single class.

    Parameters
    ----------
    logits : Tensor of shape (n, C)
        Classifier outputs on target samples.
    temperature : float, default=1.0
        Softmax temperature ``T``; must be > 0 (the paper used 2.5 on many-class
        image benchmarks).

    Returns
    -------
    Tensor
        A scalar in ``[0, 1 - 1/C]``, differentiable with respect to ``logits``
        (the entropy weights carry no gradient).

    Raises
    ------
    ValueError
        If ``temperature`` is not positive.

    Examples
    --------
    >>> import torch
    >>> float(minimum_class_confusion_loss(torch.tensor([[40.0, -40.0], [-40.0, 40.0]]))) < 1e-6
    True
    >>> round(float(minimum_class_confusion_loss(torch.zeros(4, 2))), 3)
    0.5
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}.")
    p = F.softmax(logits / temperature, dim=1)
    with torch.no_grad():
        entropy = -(p * torch.log(p + 1e-8)).sum(1)
        w = 1.0 + torch.exp(-entropy)
        w = logits.shape[0] * w / w.sum()
    confusion = (p * w.unsqueeze(1)).T @ p
    confusion = confusion / confusion.sum(1, keepdim=True)
    n_classes = logits.shape[1]
    return (confusion.sum() - torch.trace(confusion)) / n_classes


def jdot_loss(
    source_features: torch.Tensor,
    target_features: torch.Tensor,
    y_source: torch.Tensor,
    target_logits: torch.Tensor,
    *,
    feature_weight: float = 1.0,
    label_weight: float = 1.0,
) -> torch.Tensor:
    """DeepJDOT joint transport cost of one batch pair (Damodaran et al. 2018).

    The ground cost between source row ``i`` and target row ``j`` is
    ``feature_weight * ||f_i - f_j||^2 + label_weight * CE(y_i, logits_j)``
    (the paper's ``alpha`` and ``lambda_t``); the optimal plan ``gamma`` of uniform weights is
    solved exactly by POT's ``ot.emd`` on the detached cost, and the loss is
    ``sum(gamma * cost)``, differentiable in the features and the logits.

    Parameters
    ----------
    source_features : Tensor of shape (n, d)
        Latent features of the source batch.
    target_features : Tensor of shape (m, d)
        Latent features of the target batch.
    y_source : Tensor of shape (n,)
        Integer class labels of the source batch.
    target_logits : Tensor of shape (m, C)
        Classifier outputs on the target batch.
    feature_weight : float, default=1.0
        Multiplier of the feature distance in the ground cost.
    label_weight : float, default=1.0
        Multiplier of the label cross-entropy in the ground cost.

    Returns
    -------
    Tensor
        Scalar transport cost ``sum(gamma * cost)`` (the plan is held fixed).

    Examples
    --------
    >>> import torch
    >>> f = torch.randn(6, 3)
    >>> y = torch.tensor([0, 1, 0, 1, 0, 1])
    >>> logits = 10 * torch.nn.functional.one_hot(y, 2).float()
    >>> float(jdot_loss(f, f, y, logits)) < 1e-3
    True
    """
    try:
        import ot
    except ImportError as exc:  # pragma: no cover - POT is a declared dependency
        raise ImportError("DeepJDOT needs the POT package: pip install POT") from exc
    feature_cost = torch.cdist(source_features, target_features).pow(2)
    log_p = F.log_softmax(target_logits, dim=1)
    label_cost = -log_p[:, y_source].T  # (n_source, n_target): -log p_j(y_i)
    cost = feature_weight * feature_cost + label_weight * label_cost
    n_s, n_t = cost.shape
    plan = ot.emd(
        torch.full((n_s,), 1.0 / n_s, dtype=torch.float64),
        torch.full((n_t,), 1.0 / n_t, dtype=torch.float64),
        cost.detach().double().cpu(),
    )
    return (plan.to(cost.dtype).to(cost.device) * cost).sum()
