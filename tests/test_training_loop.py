"""The skorch training loop: it trains exactly the bare torch loop, callbacks and modes intact."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from torch import nn

from skdomain import MMDClassifier
from skdomain.datasets import make_rotated_moons

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_overhead.py"


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("bench_overhead", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()


@pytest.fixture(scope="module")
def moons():
    X, y, X_target, _ = make_rotated_moons(130, rotation=40, random_state=3)
    return X, y, X_target


@pytest.mark.parametrize("method", list(bench.ESTIMATORS))
def test_fit_trains_the_weights_of_a_bare_torch_loop(method, moons):
    # The overhead benchmark times our fit against this loop; the two must be the
    # same training (seeds, batches, pairing, losses), or the ratio means nothing.
    # 130 rows in batches of 64: a last batch of 2, so the target cycle wraps.
    X, y, X_target = moons
    est = bench.ESTIMATORS[method](max_epochs=3, random_state=7).fit(X, y, X_target=X_target)
    net = bench.bare_loop(method, est, X, y, X_target)
    with torch.no_grad():
        bare = net(torch.as_tensor(X_target, dtype=torch.float32)).softmax(1).numpy()
    np.testing.assert_allclose(est.predict_proba(X_target), bare, atol=1e-6)
    # and the loop is not trivially equal: a different seed trains other weights
    other = bench.bare_loop(method, est.set_params(random_state=8), X, y, X_target)
    with torch.no_grad():
        moved = other(torch.as_tensor(X_target, dtype=torch.float32)).softmax(1).numpy()
    assert np.abs(moved - bare).max() > 1e-3


class Counter(Callback):
    """Counts the hooks it overrides."""

    def initialize(self):
        self.calls = {"on_batch_begin": 0, "on_batch_end": 0, "on_grad_computed": 0,
                      "on_epoch_end": 0}
        return self

    def on_batch_begin(self, net, training=None, **kwargs):
        self.calls["on_batch_begin"] += training

    def on_batch_end(self, net, training=None, **kwargs):
        self.calls["on_batch_end"] += training

    def on_grad_computed(self, net, named_parameters, **kwargs):
        assert len(list(named_parameters)) > 0
        self.calls["on_grad_computed"] += 1

    def on_epoch_end(self, net, **kwargs):
        self.calls["on_epoch_end"] += 1


def test_every_callback_hook_runs_on_every_batch(moons):
    X, y, X_target = moons
    late = Callback()  # an instance attribute replacing a no-op hook is called too
    late.batch_ends = 0
    late.on_batch_end = lambda net, **kwargs: setattr(late, "batch_ends", late.batch_ends + 1)
    est = MMDClassifier(max_epochs=3, random_state=0, callbacks=[Counter(), late])
    est.fit(X, y, X_target=X_target)
    callbacks = dict(est.net_.callbacks_)
    steps = 3 * 3  # 130 rows in batches of 64: 3 batches an epoch
    assert callbacks["user_0"].calls == {"on_batch_begin": steps, "on_batch_end": steps,
                                         "on_grad_computed": steps, "on_epoch_end": 3}
    assert callbacks["user_1"].batch_ends == steps
    assert len(est.history_) == 3 and all(len(h["batches"]) == 3 for h in est.history_)


def test_verbose_prints_the_epoch_table_and_silence_prints_nothing(moons, capsys):
    X, y, X_target = moons
    MMDClassifier(max_epochs=2, random_state=0).fit(X, y, X_target=X_target)
    assert capsys.readouterr().out == ""
    MMDClassifier(max_epochs=2, random_state=0, verbose=1).fit(X, y, X_target=X_target)
    lines = capsys.readouterr().out.strip().splitlines()
    assert "epoch" in lines[0] and "mmd_loss" in lines[0] and len(lines) == 4


class ModeRecorder(nn.Module):
    """An encoder that records, per forward pass, its mode and whether grad is on."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(2, 8)
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, torch.is_grad_enabled()))
        return torch.relu(self.layer(x))


class EvalOnBatchBegin(Callback):
    def on_batch_begin(self, net, training=None, **kwargs):
        net.module_.encoder.eval()  # the step must put it back into training mode


def test_each_step_trains_in_training_mode_and_validates_in_eval_mode(moons):
    X, y, X_target = moons
    est = MMDClassifier(
        module=ModeRecorder(), max_epochs=4, random_state=0, early_stopping=True,
        callbacks=[EvalOnBatchBegin()],
    ).fit(X, y, X_target=X_target)
    seen = est.net_.module_.encoder.seen
    training_steps = [mode for mode, grad in seen if grad]
    validation = [mode for mode, grad in seen if not grad]
    assert len(training_steps) == 4 * 2 and all(training_steps)  # 117 training rows
    assert len(validation) >= 4 and not any(validation)
