import os

import matplotlib
import pytest
import torch
from hypothesis import settings

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
