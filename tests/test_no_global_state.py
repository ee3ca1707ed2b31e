"""Importing skdomain changes no global state: matplotlib backend, pyplot, torch."""

import subprocess
import sys

import pytest

from skdomain.experiments import EXPERIMENTS

SUBPACKAGES = (
    "skdomain", "skdomain.plotting", "skdomain.experiments", "skdomain.nn", "skdomain.metrics",
    "skdomain.model_selection", "skdomain.shift", "skdomain.inspection", "skdomain.robustness",
    "skdomain.datasets", "skdomain.physics", "skdomain.pipeline", "skdomain.persistence",
)


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    "modules",
    [SUBPACKAGES, tuple(EXPERIMENTS.values()), ("skdomain.cli",)],
    ids=["subpackages", "experiments", "cli"],
)
def test_imports_keep_the_backend_threads_and_random_state(modules):
    code = (
        "import matplotlib, torch\n"
        "matplotlib.use('svg')\n"
        "torch.set_num_threads(2)\n"
        "state = torch.random.get_rng_state()\n"
        + "".join(f"import {name}\n" for name in modules)
        + "print(matplotlib.get_backend(), torch.get_num_threads(),"
        " bool((torch.random.get_rng_state() == state).all()))\n"
    )
    assert _run(code) == "svg 2 True"


def test_importing_plotting_does_not_import_pyplot():
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in SUBPACKAGES)
        + "print('matplotlib.pyplot' in sys.modules)\n"
    )
    assert _run(code) == "False"


def test_plotting_draws_on_the_given_axes_with_the_chosen_backend():
    code = (
        "import matplotlib\n"
        "matplotlib.use('svg')\n"
        "import matplotlib.pyplot as plt\n"
        "from skdomain.plotting import plot_roc_curves\n"
        "fig, ax = plt.subplots()\n"
        "print(plot_roc_curves([0, 1, 1, 0], {'a': [0.1, 0.8, 0.7, 0.3]}, ax=ax) is ax,"
        " matplotlib.get_backend())\n"
    )
    assert _run(code) == "True svg"
