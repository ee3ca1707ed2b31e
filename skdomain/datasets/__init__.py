"""Synthetic stand-ins for the seed data sets, generated on the fly.

Each generator lives in its own private module and is imported on first use,
so that importing :mod:`skdomain.datasets` stays cheap.
"""

from __future__ import annotations

import importlib

_GENERATORS = {
    "make_rotated_moons": "skdomain.datasets._moons",
    "make_galaxy_mergers": "skdomain.datasets._mergers",
    "MergerNormalizer": "skdomain.datasets._mergers",
    "ObservingConditions": "skdomain.datasets._mergers",
    "MERGER_DOMAINS": "skdomain.datasets._mergers",
    "make_cluster_profiles": "skdomain.datasets._clusters",
    "augment_scatter": "skdomain.datasets._clusters",
    "ScatterAugmenter": "skdomain.datasets._clusters",
    "log_observables": "skdomain.datasets._clusters",
    "profile_columns": "skdomain.datasets._clusters",
    "make_galaxy_morphologies": "skdomain.datasets._morphologies",
    "MORPHOLOGY_CLASSES": "skdomain.datasets._morphologies",
    "SURVEYS": "skdomain.datasets._morphologies",
    "SurveyConditions": "skdomain.datasets._morphologies",
}

__all__ = sorted(_GENERATORS)


def __getattr__(name: str):
    if name in _GENERATORS:
        return getattr(importlib.import_module(_GENERATORS[name]), name)
    raise AttributeError(f"module 'skdomain.datasets' has no attribute {name!r}")


def __dir__():
    return __all__
