"""Every exported function and class is documented, with a runnable Examples section.

The names are those of ``__all__`` of ``skdomain`` and of each public
subpackage, the same list the API reference (docs/conf.py) is generated from.
Constants are left out: they cannot carry a docstring of their own.
"""

import importlib
import inspect

import pytest

PUBLIC_MODULES = [
    "skdomain",
    "skdomain.base",
    "skdomain.nn",
    "skdomain.metrics",
    "skdomain.model_selection",
    "skdomain.shift",
    "skdomain.inspection",
    "skdomain.robustness",
    "skdomain.datasets",
    "skdomain.physics",
    "skdomain.plotting",
    "skdomain.pipeline",
    "skdomain.persistence",
]


def _exported():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield pytest.param(obj, id=f"{module_name}.{name}")


EXPORTED = list(_exported())


def test_every_public_module_declares_all():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        assert module.__all__, f"{module_name} exports nothing"
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        assert not missing, f"{module_name}.__all__ names missing attributes: {missing}"


@pytest.mark.parametrize("obj", EXPORTED)
def test_exported_name_has_docstring_with_examples(obj):
    doc = obj.__doc__  # its own docstring, not one inherited from a base class
    assert doc and doc.strip(), f"{obj.__qualname__} has no docstring"
    text = inspect.cleandoc(doc)
    assert "Examples\n--------" in text, f"{obj.__qualname__}: no numpydoc Examples section"
    examples = text.split("Examples\n--------", 1)[1]
    assert ">>>" in examples, f"{obj.__qualname__}: the Examples section has no doctest"


@pytest.mark.parametrize("obj", [p for p in EXPORTED if inspect.isfunction(p.values[0])])
def test_exported_function_documents_parameters_and_returns(obj):
    text = inspect.cleandoc(obj.__doc__ or "")
    params = [
        p for p in inspect.signature(obj).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if params:
        assert "Parameters\n----------" in text, f"{obj.__qualname__}: no Parameters section"
    assert "Returns\n-------" in text or "Yields\n------" in text, (
        f"{obj.__qualname__}: no Returns section"
    )


@pytest.mark.parametrize("obj", [p for p in EXPORTED if inspect.isclass(p.values[0])])
def test_public_methods_have_a_summary(obj):
    undocumented = []
    for name, member in vars(obj).items():
        if name.startswith("_") and name != "__call__":
            continue
        function = getattr(member, "__func__", member)
        if isinstance(member, property):
            function = member.fget
        if not callable(function):
            continue
        if not (function.__doc__ or "").strip():
            undocumented.append(name)
    if "forward" in vars(obj) and not (vars(obj)["forward"].__doc__ or "").strip():
        undocumented.append("forward")
    assert not undocumented, f"{obj.__qualname__}: methods without docstring: {undocumented}"
