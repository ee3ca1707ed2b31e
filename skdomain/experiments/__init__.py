"""The seed experiments as functions, called by the CLI and the benchmarks.

Every experiment module exposes

``run(output_dir, *, quick=False, n_seeds=None, verbose=True) -> pathlib.Path``

which trains what the experiment needs, writes ``report.md`` with its tables
(also saved as CSV) and PNG figures into ``output_dir``, and returns the path of
the report.
"""

from __future__ import annotations

import importlib

EXPERIMENTS = {
    "demo": "skdomain.experiments.demo",
    "mergers": "skdomain.experiments.mergers",
    "clusters": "skdomain.experiments.clusters",
    "morphology": "skdomain.experiments.morphology",
    "robustness": "skdomain.experiments.robustness",
    "hubble": "skdomain.experiments.hubble",
}


def get_experiment(name: str):
    """Import and return the module of experiment ``name``."""
    if name not in EXPERIMENTS:
        raise ValueError(f"Unknown experiment {name!r}; choose one of {sorted(EXPERIMENTS)}.")
    return importlib.import_module(EXPERIMENTS[name])
