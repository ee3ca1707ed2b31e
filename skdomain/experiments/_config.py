"""What every experiment's ``run`` does before training: settle the configuration."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch

__all__ = ["resolve_config", "torch_threads"]


def resolve_config(config, quick_overrides: Mapping, *, quick: bool, n_seeds, overrides: Mapping):
    """Apply quick mode, then the caller's overrides, then ``n_seeds`` to a config dataclass.

    Unknown field names and ``n_seeds < 1`` raise a ``ValueError``.

    Examples
    --------
    >>> @dataclasses.dataclass(frozen=True)
    ... class Config:
    ...     n_seeds: int = 3
    ...     n_samples: int = 1000
    >>> resolve_config(Config(), {"n_samples": 100}, quick=True, n_seeds=1, overrides={})
    Config(n_seeds=1, n_samples=100)
    """
    changes = dict(quick_overrides) if quick else {}
    changes.update(overrides)
    if n_seeds is not None:
        changes["n_seeds"] = int(n_seeds)
    unknown = set(changes) - {field.name for field in dataclasses.fields(config)}
    if unknown:
        raise ValueError(
            f"Unknown settings {sorted(unknown)} for {type(config).__name__}."
        )
    config = dataclasses.replace(config, **changes)
    if config.n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1, got {config.n_seeds}.")
    return config


@contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Run the block with ``n_threads`` torch threads, then restore the previous number.

    The experiments train small networks, for which one thread is fastest and
    repeatable; two experiments can then share two cores.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
