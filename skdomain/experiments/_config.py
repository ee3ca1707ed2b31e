"""What every experiment's ``run`` does: settle the configuration, loop over seeds, report.

Nothing here changes global state at import; the torch thread count and random
state are set only for the duration of a run and restored afterwards.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import torch

__all__ = [
    "ExperimentConfig",
    "ImageExperimentConfig",
    "TrainingConfig",
    "experiment_runner",
    "progress_log",
    "resolve_config",
    "torch_threads",
]


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
    """The settings every experiment has; each experiment's config adds its own.

    The configs are frozen: change them with :func:`resolve_config` (or
    ``dataclasses.replace``). A subclass redeclares a field only to change its
    default.

    Parameters
    ----------
    n_seeds : int
        Repetitions with new data and new weights (seeds ``0 .. n_seeds - 1``).
    max_epochs : int
        Training epochs of every network.
    device : str
        Torch device of the networks, e.g. ``"cuda"`` for the full mode.

    Examples
    --------
    >>> ExperimentConfig(n_seeds=2).n_seeds
    2
    """

    n_seeds: int = 3
    max_epochs: int = 15
    device: str = "cpu"


@dataclasses.dataclass(frozen=True)
class TrainingConfig(ExperimentConfig):
    """:class:`ExperimentConfig` plus the mini-batch training settings of the networks.

    Parameters
    ----------
    batch_size : int
        Mini-batch size of every network.
    lr : float
        Learning rate of every network.

    Examples
    --------
    >>> TrainingConfig().lr
    0.001
    """

    batch_size: int = 64
    lr: float = 1e-3

    def network_params(self, seed: int) -> dict:
        """Keyword arguments of every network: the training settings and ``random_state=seed``.

        Examples
        --------
        >>> TrainingConfig(max_epochs=2).network_params(0)["max_epochs"]
        2
        """
        return dict(
            max_epochs=self.max_epochs, batch_size=self.batch_size, lr=self.lr,
            random_state=seed, device=self.device,
        )


@dataclasses.dataclass(frozen=True)
class ImageExperimentConfig(TrainingConfig):
    """:class:`TrainingConfig` plus the data sizes of the image experiments.

    Parameters
    ----------
    n_source, n_target : int
        Labelled source and unlabelled target training images.
    n_test : int
        Held-out labelled test images (per domain where both are tested).
    image_size : int
        Images are ``image_size`` x ``image_size`` pixels.
    mmd_weight : float
        Weight of the MMD term of the MMD-adapted network.

    Examples
    --------
    >>> config = ImageExperimentConfig(image_size=16)
    >>> config.n_source, config.n_target, config.n_test, config.image_size
    (3000, 3000, 1000, 16)
    """

    n_source: int = 3000
    n_target: int = 3000
    n_test: int = 1000
    image_size: int = 32
    mmd_weight: float = 1.0


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


def progress_log(name: str) -> Callable[[bool, str], None]:
    """A ``log(verbose, message)`` that prints ``[name] message`` when ``verbose``.

    Examples
    --------
    >>> log = progress_log("demo")
    >>> log(True, "hello")
    [demo] hello
    >>> log(False, "quiet")
    """

    def log(verbose: bool, message: str) -> None:
        if verbose:
            print(f"[{name}] {message}", flush=True)

    return log


_RUN_DOC = """Run the {what} and write ``report.md`` into ``output_dir``.

Parameters
----------
output_dir : str or Path
    Created if missing; receives the report, CSV tables and PNG figures.
quick : bool, default=False
    Small sizes (:data:`QUICK_OVERRIDES`){quick_note}.
n_seeds : int, optional
    Overrides the number of seeds (seeds ``0 .. n_seeds - 1``).
verbose : bool, default=True
    Print progress lines.
config : {config}, optional
    Base configuration (default: ``{config}()``, the full mode).
n_threads : int, default=1
    Torch threads during the run (one is fastest and repeatable for these
    small networks); the previous number is restored afterwards, and so is the
    torch random state.
**overrides
    Fields of the configuration to change, e.g. ``n_seeds=2``.

Returns
-------
pathlib.Path
    Path of ``report.md``.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:  # doctest: +SKIP
...     run(tmp, quick=True).name
'report.md'
"""


def experiment_runner(
    name: str,
    config_class,
    quick_overrides: Mapping,
    run_seed: Callable,
    write_report: Callable,
    *,
    validate: Callable | None = None,
    what: str | None = None,
    quick_note: str = "",
):
    """The ``run`` function of an experiment, the same for all of them.

    ``run(output_dir, *, quick, n_seeds, verbose, config, n_threads, **overrides)``
    settles the configuration (:func:`resolve_config`, then ``validate(config)``,
    which raises ``ValueError``), creates ``output_dir``, calls
    ``run_seed(config, seed, verbose=verbose)`` for every seed and then
    ``write_report(output_dir, config, results, mode, elapsed_seconds)`` inside
    :func:`torch_threads` and ``torch.random.fork_rng``, logs the time and
    returns the report's path. ``mode`` is ``"quick"`` or ``"full"``, followed
    by the names of the overridden settings.

    Examples
    --------
    >>> import tempfile
    >>> @dataclasses.dataclass(frozen=True)
    ... class Config:
    ...     n_seeds: int = 3
    >>> def write(output_dir, config, results, mode, elapsed):
    ...     path = output_dir / "report.md"
    ...     path.write_text(f"{mode}: {results}")
    ...     return path
    >>> run = experiment_runner("toy", Config, {"n_seeds": 1},
    ...                         lambda config, seed, verbose: seed * 10, write)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     run(tmp, quick=True, verbose=False).read_text()
    'quick: [0]'
    """
    log = progress_log(name)

    def run(
        output_dir, *, quick=False, n_seeds=None, verbose=True, config=None, n_threads=1,
        **overrides,
    ) -> Path:
        config = resolve_config(
            config or config_class(), quick_overrides, quick=quick, n_seeds=n_seeds,
            overrides=overrides,
        )
        if validate is not None:
            validate(config)
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        mode = "quick" if quick else "full"
        if overrides:
            mode += " with overrides " + ", ".join(sorted(overrides))
        start = time.perf_counter()
        with torch.random.fork_rng(), torch_threads(n_threads):
            results = [run_seed(config, seed, verbose=verbose) for seed in range(config.n_seeds)]
            path = write_report(output_dir, config, results, mode, time.perf_counter() - start)
        log(verbose, f"done in {time.perf_counter() - start:.0f} s: {path}")
        return path

    run.__module__ = config_class.__module__
    run.__doc__ = _RUN_DOC.format(
        what=what or f"{name} experiment", quick_note=quick_note, config=config_class.__name__
    )
    return run
