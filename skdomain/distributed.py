"""Data-parallel training over ``torch.distributed`` processes (``torchrun``, Slurm).

Launch one process per device with ``torchrun`` (or ``srun torchrun`` on a
Slurm cluster), and fit inside :func:`data_parallel`::

    with data_parallel():
        clf = MMDClassifier(...).fit(X, y, X_target=X_target)

Every process passes the same full arrays; inside the context each ``fit``

- agrees on one seed (rank 0's), so the validation split, the initial weights
  and the sharding are the same everywhere;
- keeps a disjoint shard of the source rows and a disjoint shard of the target
  rows (a seeded permutation dealt round-robin, trimmed to equal sizes so that
  every process takes the same number of steps);
- pairs each source batch with a target batch of the same size drawn from a
  reshuffled cycle over its own target shard: the pairing rule of a single
  process, applied per process;
- uses ``batch_size`` as the *global* batch: each process draws
  ``ceil(batch_size / world_size)`` source rows (and as many target rows) per
  step, so one epoch has as many steps as in one process;
- averages the gradients of all parameters (network and loss terms) across the
  processes after every backward pass, so the weights stay identical;
- averages the floating buffers (batch-norm statistics) when training ends.

The adaptation losses are computed on each process's own batches: the MMD,
CORAL and domain-adversarial losses of a process compare its source batch with
its target batch, and the averaged gradient is the mean over processes of those
per-batch gradients, as with several smaller batches in one process.

We use ``torch.distributed`` collectives directly rather than wrapping the
network in ``DistributedDataParallel``: the objective calls the encoder, the
head and the extra heads (discriminator, decoder, class centers) outside the
network's ``forward``, which DDP's reducer does not see, and terms of weight 0
leave parameters unused. After training the estimator is an ordinary one: its
network is a plain module, it predicts, pickles, saves and loads in one process.

Outside a ``torchrun`` launch, :func:`data_parallel` is a no-op (one process),
so the same script runs with ``python`` and with ``torchrun``.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as dist
from skorch.callbacks import Callback

from .exceptions import DivergedError

__all__ = ["DataParallelContext", "data_parallel", "is_main_process", "rank", "world_size"]


@dataclass
class DataParallelContext:
    """What :func:`data_parallel` returns: the process's place and its fits' shards.

    Attributes
    ----------
    rank : int
        This process's rank (0 writes files).
    world_size : int
        Number of processes.
    backend : str or None
        ``"gloo"`` (CPU) or ``"nccl"`` (CUDA); ``None`` in a single process.
    shards : list of dict
        For every ``fit`` in the context, the source and target row indices
        (into the arrays passed to ``fit``, after the validation split) this
        process trained on: ``{"source": ndarray, "target": ndarray or None}``.
    """

    rank: int = 0
    world_size: int = 1
    backend: str | None = None
    shards: list = field(default_factory=list)


_ACTIVE: list[DataParallelContext] = []


def _active() -> DataParallelContext | None:
    """The innermost :func:`data_parallel` context with more than one process."""
    if _ACTIVE and _ACTIVE[-1].world_size > 1:
        return _ACTIVE[-1]
    return None


def rank() -> int:
    """This process's rank (0 outside a distributed run)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    """Number of processes (1 outside a distributed run)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_main_process() -> bool:
    """True on rank 0, the one process that should write files.

    Examples
    --------
    >>> from skdomain.distributed import is_main_process
    >>> is_main_process()
    True
    """
    return rank() == 0


@contextmanager
def data_parallel(backend: str | None = None):
    """Fit deep estimators data-parallel across the processes of a ``torchrun`` launch.

    Parameters
    ----------
    backend : {"gloo", "nccl"} or None, default=None
        Used when the process group is not initialized yet: ``None`` picks
        ``"nccl"`` when CUDA is available and ``"gloo"`` otherwise. With NCCL
        each process selects the GPU ``rank % torch.cuda.device_count()``, so
        ``device="cuda"`` means its own GPU. An already initialized group is
        used as it is.

    Yields
    ------
    DataParallelContext
        Rank, world size and the shards of each fit.

    Examples
    --------
    Outside ``torchrun`` it runs as one process:

    >>> from skdomain import MMDClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> from skdomain.distributed import data_parallel
    >>> X, y, X_target, _ = make_rotated_moons(60, random_state=0)
    >>> with data_parallel() as context:
    ...     clf = MMDClassifier(max_epochs=2, random_state=0).fit(X, y, X_target=X_target)
    >>> context.world_size, clf.predict(X_target).shape
    (1, (60,))
    """
    if backend not in (None, "gloo", "nccl"):
        raise ValueError(f"backend must be 'gloo', 'nccl' or None, got {backend!r}.")
    created = False
    if dist.is_available() and not dist.is_initialized() and dist.is_torchelastic_launched():
        if backend is None:
            backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend=backend)
        created = True
    if dist.is_available() and dist.is_initialized():
        context = DataParallelContext(rank(), world_size(), dist.get_backend())
        if context.backend == "nccl":
            torch.cuda.set_device(context.rank % torch.cuda.device_count())
    else:
        context = DataParallelContext()
    _ACTIVE.append(context)
    try:
        yield context
    finally:
        _ACTIVE.remove(context)
        if created:
            dist.destroy_process_group()


# Hooks called by BaseDeepEstimator._fit --------------------------------------
def _collective_device() -> str:
    return "cuda" if dist.get_backend() == "nccl" else "cpu"


def shared_seed(seed: int) -> int:
    """Rank 0's seed on every process (unchanged outside a distributed fit)."""
    if _active() is None:
        return seed
    value = torch.tensor([seed], dtype=torch.long, device=_collective_device())
    dist.broadcast(value, src=0)
    return int(value.item())


def _shard(n: int, seed: int, context: DataParallelContext, name: str) -> np.ndarray:
    per_process = n // context.world_size
    if per_process < 1:
        raise ValueError(
            f"{name} has {n} rows, fewer than the {context.world_size} processes of the "
            "data-parallel run: every process needs at least one."
        )
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[context.rank :: context.world_size][:per_process])


def shard(X, y, X_target, seed: int):
    """This process's disjoint shard of the source (``X``, ``y``) and of ``X_target``."""
    context = _active()
    if context is None:
        return X, y, X_target
    source = _shard(len(X), seed, context, "X")
    target = None if X_target is None else _shard(len(X_target), seed + 1, context, "X_target")
    context.shards.append({"source": source, "target": target})
    return _rows(X, source), y[source], (None if X_target is None else _rows(X_target, target))


def _rows(data, rows):
    """``rows`` of an array or of a streamed dataset (which knows its own subsets)."""
    return data.subset(rows) if hasattr(data, "subset") else data[rows]


class _GradientAverager(Callback):
    """All-reduces the gradients after each backward pass; averages the epoch's history."""

    def __init__(self, world: int):
        self.world = world

    def on_grad_computed(self, net, named_parameters, **kwargs):
        grads = [p.grad for _, p in named_parameters if p.grad is not None]
        if not grads:
            return
        # The last element counts the processes whose step diverged, so that all
        # of them raise at this step instead of leaving the others waiting here.
        message = net.__dict__.pop("pending_divergence_", None)
        flag = torch.ones(1) if message else torch.zeros(1)
        flat = torch.cat([g.reshape(-1) for g in grads] + [flag.to(grads[0])])
        dist.all_reduce(flat)
        n_diverged = int(flat[-1].item())
        if n_diverged:
            raise DivergedError(message or (
                f"Training diverged on {n_diverged} of {self.world} data-parallel "
                "processes (this one was fine); see their error messages."))
        flat = flat[:-1] / self.world
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        names = sorted(
            k for k, v in row.items()
            if isinstance(v, float) and k not in ("dur", "valid_loss") and not k.endswith("_best")
        )
        if not names:
            return
        values = torch.tensor([row[k] for k in names], dtype=torch.float64)
        values = values.to(_collective_device())
        dist.all_reduce(values)
        for name, value in zip(names, (values / self.world).tolist(), strict=True):
            net.history.record(name, value)


def _states(net, buffers_only=False):
    tensors = []
    for module in (net.module_, net.criterion_):
        if not buffers_only:
            tensors += list(module.parameters())
        tensors += list(module.buffers())
    return tensors


@contextmanager
def synchronized(net, seed: int):
    """Train ``net`` data-parallel in the active context (a no-op outside one).

    Broadcasts rank 0's weights and buffers, sets the per-process batch size,
    averages gradients at every step, seeds dropout per process, silences the
    epoch log on ranks other than 0, and averages the floating buffers at the end.
    """
    context = _active()
    if context is None:
        yield
        return
    for tensor in _states(net):
        dist.broadcast(tensor.data, src=0)
    batch_size, verbose = net.batch_size, net.verbose
    net.batch_size = math.ceil(batch_size / context.world_size)
    if context.rank != 0:
        net.verbose = 0
    averager = ("data_parallel", _GradientAverager(context.world_size))
    net.callbacks_.append(averager)
    net.defer_divergence_ = True
    torch.manual_seed(seed + 7919 * context.rank)
    try:
        yield
        for tensor in _states(net, buffers_only=True):
            if tensor.is_floating_point():
                dist.all_reduce(tensor.data)
                tensor.data /= context.world_size
    finally:
        net.callbacks_.remove(averager)
        for flag in ("defer_divergence_", "pending_divergence_"):
            net.__dict__.pop(flag, None)
        net.batch_size, net.verbose = batch_size, verbose
