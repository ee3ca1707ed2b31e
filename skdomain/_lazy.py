"""Packages whose public names are imported on first use (cheap ``import``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def attach(package: str, locations: dict[str, str]) -> tuple[Callable, Callable, list[str]]:
    """Module-level ``__getattr__``, ``__dir__`` and ``__all__`` of a lazy package.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    locations : dict of str -> str
        Public name -> module that defines it, relative to ``package``
        (``"._moons"``) or absolute.

    Returns
    -------
    getattr_, dir_ : callable
        To assign to the package's ``__getattr__`` and ``__dir__``.
    names : list of str
        The sorted public names, for ``__all__``.

    Examples
    --------
    >>> getattr_, dir_, names = attach("skdomain.datasets", {"make_rotated_moons": "._moons"})
    >>> names
    ['make_rotated_moons']
    >>> getattr_("make_rotated_moons").__name__
    'make_rotated_moons'
    """
    names = sorted(locations)

    def getattr_(name: str):
        if name in locations:
            return getattr(importlib.import_module(locations[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def dir_() -> list[str]:
        return names

    return getattr_, dir_, names
