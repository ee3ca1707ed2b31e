import importlib
import os

import matplotlib
import pytest
import torch
from hypothesis import settings

from skdomain.datasets import make_rotated_moons

# CI must not flake: under CI=true property tests run derandomized (the same
# examples on every run); locally they keep exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev")
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true") else "dev")

matplotlib.use("Agg")
# Each pytest-xdist worker gets one thread: two workers on two cores.
torch.set_num_threads(1)
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="module")
def report(request, tmp_path_factory):
    """The report of the experiment a test module tests, at the module's ``TINY`` size.

    ``tests/test_<name>_experiment.py`` defines the ``TINY`` overrides of
    ``skdomain.experiments.<name>``; its ``run`` writes the report once per
    module (two seeds) into a temporary folder ``<name>``.
    """
    module = request.module
    name = module.__name__.rpartition(".")[2].removeprefix("test_").removesuffix("_experiment")
    run = importlib.import_module(f"skdomain.experiments.{name}").run
    return run(tmp_path_factory.mktemp(name), n_seeds=2, verbose=False, **module.TINY)


@pytest.fixture(scope="module")
def moons(request):
    """``make_rotated_moons(N_MOONS, random_state=0)``, ``N_MOONS`` set by the test module."""
    return make_rotated_moons(request.module.N_MOONS, random_state=0)


@pytest.fixture
def assert_figures_linked():
    """Check that every figure exists, is not empty and is linked from the report."""

    def check(report, figures):
        text = report.read_text()
        for figure in figures:
            assert (report.parent / figure).stat().st_size > 0
            assert f"({figure})" in text

    return check
