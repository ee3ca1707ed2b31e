"""The package's layers: no module imports from a layer above its own.

Every module of ``skdomain/`` is parsed with ``ast`` (imports inside functions
included, since a lazy import is still a dependency) and checked against:

- the layers, low to high: 0 ``exceptions``, ``_compat``, ``_lazy``,
  ``_docstrings``; 1 ``datasets``; 2 ``nn``; 3 estimators; 4 tools (``metrics``,
  ``model_selection``, ``shift``, ``inspection``, ``robustness``); 5 ``plotting``;
  6 ``experiments``; 7 ``cli``, ``__main__``. A module may import its own layer and the ones below;
- ``nn`` is plain torch: no sklearn, no skorch, no other skdomain layer except
  ``exceptions`` (not even ``_compat``, which is sklearn);
- nothing below ``plotting`` imports matplotlib;
- estimators (layer 3, ``persistence`` aside) import no file or plot code;
- no module but ``_compat`` imports a private sklearn or skorch name.

Each violation is reported as ``path:line: module (layer) imports name: rule``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import skdomain

PACKAGE_DIR = Path(skdomain.__file__).parent

LAYERS = {
    "skdomain.exceptions": 0,
    "skdomain._compat": 0,
    "skdomain._lazy": 0,
    "skdomain._docstrings": 0,
    "skdomain.datasets": 1,
    "skdomain.nn": 2,
    "skdomain": 3,  # the package __init__: re-exports the estimators
    "skdomain.base": 3,
    "skdomain._training": 3,
    "skdomain._classification": 3,
    "skdomain._adversarial": 3,
    "skdomain._self_training": 3,
    "skdomain._regression": 3,
    "skdomain._universal": 3,
    "skdomain.physics": 3,
    "skdomain.pipeline": 3,
    "skdomain.persistence": 3,
    "skdomain.distributed": 3,
    "skdomain._precision": 3,
    "skdomain.metrics": 4,
    "skdomain.model_selection": 4,
    "skdomain.shift": 4,
    "skdomain.inspection": 4,
    "skdomain.robustness": 4,
    "skdomain.export": 4,
    "skdomain.plotting": 5,
    "skdomain.experiments": 6,
    "skdomain.cli": 7,
    "skdomain.__main__": 7,
}
LAYER_NAMES = {0: "base", 1: "datasets", 2: "nn", 3: "estimators", 4: "tools",
               5: "plotting", 6: "experiments", 7: "cli"}
PLOTTING = LAYERS["skdomain.plotting"]
ESTIMATORS = LAYERS["skdomain.base"]
PRIVATE_ALLOWED_IN = "skdomain._compat"
# What "file or plot code" means for an estimator module.
FILE_OR_PLOT = ("matplotlib", "pathlib", "os", "io", "json", "pickle", "shelve", "shutil",
                "tempfile", "csv", "joblib", "h5py", "skdomain.persistence", "skdomain.plotting")


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


MODULE_FILES = {_module_name(p)[0]: p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def layer_of(module: str) -> int | None:
    """The layer of a skdomain module (longest matching prefix), None if unassigned."""
    best = None
    for prefix, layer in LAYERS.items():
        if prefix == "skdomain" and module != "skdomain":
            continue
        if module == prefix or module.startswith(prefix + "."):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, layer)
    return None if best is None else best[1]


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def imported_names(module: str, is_package: bool, tree: ast.AST):
    """Yield (line, imported module or name) for every import in ``tree``.

    Relative imports are made absolute; ``from package import name`` yields
    ``package.name`` when that is a module of skdomain, else ``package``
    (the name is an attribute of the package). Private names imported
    from a module are yielded as ``module.name`` too, for the privacy rule.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULE_FILES or alias.name.startswith("_"):
                    yield node.lineno, full
                else:
                    yield node.lineno, source
        elif isinstance(node, ast.Attribute) and not node.attr.startswith("__"):
            dotted = _dotted(node)
            if dotted and dotted.split(".")[0] in ("sklearn", "skorch"):
                yield node.lineno, dotted


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def check_source(module: str, source: str, *, is_package: bool = False, path: str = "") -> list:
    """Every layering and privacy violation of one module's source, as messages."""
    where = path or module
    layer = layer_of(module)
    if layer is None:
        return [f"{where}: {module} is in no layer: add it to LAYERS in tests/test_layering.py"]
    found = []

    def report(line, name, rule):
        found.append(
            f"{where}:{line}: {module} (layer {layer} {LAYER_NAMES[layer]}) imports {name}: {rule}"
        )

    for line, name in imported_names(module, is_package, ast.parse(source)):
        root = name.split(".")[0]
        if root == "skdomain":
            target = layer_of(name)
            if target is None:
                report(line, name, "the imported module is in no layer")
            elif target > layer:
                report(line, name, f"layer {target} ({LAYER_NAMES[target]}) is above {layer}")
            elif (layer == LAYERS["skdomain.nn"] and not _within(name, "skdomain.nn")
                    and not _within(name, "skdomain.exceptions")):
                report(line, name, "nn imports no other skdomain layer than exceptions")
        if layer == LAYERS["skdomain.nn"] and root in ("sklearn", "skorch"):
            report(line, name, "nn is plain torch: no sklearn, no skorch")
        if root == "matplotlib" and layer < PLOTTING:
            report(line, name, f"matplotlib below plotting (layer {PLOTTING})")
        elif (layer == ESTIMATORS and not _within(module, "skdomain.persistence")
                and any(_within(name, banned) for banned in FILE_OR_PLOT)):
            report(line, name, "estimators import no file or plot code")
        if (root in ("sklearn", "skorch") and module != PRIVATE_ALLOWED_IN
                and any(part.startswith("_") for part in name.split(".")[1:])):
            report(line, name, f"private {root} name outside {PRIVATE_ALLOWED_IN}: "
                               "import it from skdomain._compat, with a comment why")
    return found


def test_every_module_respects_the_layers():
    violations = []
    for module, path in MODULE_FILES.items():
        _, is_package = _module_name(path)
        violations += check_source(
            module, path.read_text(encoding="utf-8"), is_package=is_package,
            path=str(path.relative_to(PACKAGE_DIR.parent)),
        )
    assert not violations, "\n".join(["Layering violations:", *violations])


def test_the_layers_cover_the_package():
    assert "skdomain._compat" in MODULE_FILES and "skdomain.nn._losses" in MODULE_FILES
    assert {layer_of(module) for module in MODULE_FILES} == set(range(8))


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("skdomain.nn._fake", "from sklearn.base import clone", "nn is plain torch"),
        ("skdomain.nn._fake", "def f():\n    import skorch\n", "nn is plain torch"),
        ("skdomain.nn._fake", "from .._compat import Interval", "no other skdomain layer"),
        ("skdomain.nn._fake", "from ..datasets import make_rotated_moons",
         "no other skdomain layer"),
        ("skdomain.datasets._fake", "from ..nn import MLPEncoder", "layer 2 (nn) is above 1"),
        ("skdomain.base", "def f():\n    from .metrics import accuracy\n",
         "layer 4 (tools) is above 3"),
        ("skdomain.metrics._fake", "from .. import plotting", "layer 5 (plotting) is above 4"),
        ("skdomain.shift._fake", "import matplotlib.pyplot as plt", "matplotlib below plotting"),
        ("skdomain.pipeline", "import pathlib", "no file or plot code"),
        ("skdomain._universal", "from .persistence import save", "no file or plot code"),
        ("skdomain.shift._fake", "from sklearn.utils._param_validation import Interval",
         "private sklearn name"),
        ("skdomain.shift._fake", "from sklearn.base import clone, _fit_context",
         "private sklearn name"),
        ("skdomain.shift._fake", "import sklearn.utils\nsklearn.utils._param_validation",
         "private sklearn name"),
        ("skdomain.metrics._fake", "from skorch.utils import _x", "private skorch name"),
        ("skdomain.newthing", "import numpy", "in no layer"),
    ],
)
def test_the_checker_catches_violations(module, source, expected):
    violations = check_source(module, source)
    assert len(violations) == 1 and expected in violations[0], violations
    if "in no layer" not in expected:
        assert module in violations[0] and "imports" in violations[0]


def test_the_checker_accepts_allowed_imports():
    source = (
        "import numpy as np\nimport sklearn.metrics\nfrom sklearn.base import clone\n"
        "from .._compat import Interval\nfrom ..base import BaseDeepClassifier\n"
        "from .. import nn, datasets\nfrom skdomain import DANNClassifier\n"
        "from ._other import helper\n"
    )
    assert check_source("skdomain.metrics._fake", source) == []
    assert check_source("skdomain._compat", "from sklearn.base import _fit_context") == []
    assert check_source("skdomain.plotting._fake", "import matplotlib.pyplot as plt") == []
    assert check_source("skdomain.persistence", "import json\nimport pathlib") == []
