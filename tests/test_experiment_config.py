"""The configuration step shared by every experiment's ``run``."""

import dataclasses

import pytest
import torch

from skdomain.experiments import EXPERIMENTS, get_experiment
from skdomain.experiments._config import resolve_config, torch_threads


@dataclasses.dataclass(frozen=True)
class Config:
    n_seeds: int = 3
    n_samples: int = 1000
    epochs: int = 50


QUICK = {"n_samples": 100, "epochs": 5}


def test_quick_then_overrides_then_seeds():
    config = resolve_config(Config(), QUICK, quick=True, n_seeds=2, overrides={"epochs": 7})
    assert config == Config(n_seeds=2, n_samples=100, epochs=7)
    assert resolve_config(Config(), QUICK, quick=False, n_seeds=None, overrides={}) == Config()


@pytest.mark.parametrize(
    ("n_seeds", "overrides", "message"),
    [(0, {}, "n_seeds must be >= 1"), (None, {"n_sample": 5}, "Unknown settings")],
)
def test_bad_settings_are_rejected(n_seeds, overrides, message):
    with pytest.raises(ValueError, match=message):
        resolve_config(Config(), QUICK, quick=False, n_seeds=n_seeds, overrides=overrides)


@pytest.mark.parametrize("name", sorted(set(EXPERIMENTS) - {"demo"}))
def test_every_experiment_rejects_a_misspelt_setting(name, tmp_path):
    with pytest.raises(ValueError, match="Unknown settings"):
        get_experiment(name).run(tmp_path, quick=True, verbose=False, n_seedz=1)


def test_torch_threads_restores_the_previous_number_even_on_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError
    assert torch.get_num_threads() == before
