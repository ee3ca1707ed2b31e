"""Fit time of each deep estimator against a bare torch loop of the same objective.

For every method (MMD, DANN, Deep CORAL, CDAN+E, MCC, DeepJDOT) the estimator
at its defaults is fitted on rotated moons (1000 source + 1000 target rows)
and timed against a bare torch loop that trains the same thing by hand:

- the same network (default MLP encoder 2 -> 64 -> 64, linear head, the same
  discriminator for the adversarial methods), initialised from the same seed;
- the same paired batches: 64 source rows from a per-epoch permutation, each
  paired with 64 target rows from a reshuffled cycle over the target, drawn from
  the same generators;
- the same optimizer (Adam at the estimator's ``lr``) and epochs;
- the same loss, built from the public loss functions of :mod:`skdomain.nn`
  (``mmd2``, ``coral_loss``, ``conditional_adversarial_loss``, ...) at the
  estimator's default weights.

So the two train the same model: the script reports the largest gap between
their target class probabilities (``max proba gap``; 0 up to float rounding)
next to the time ratio. Repeats are interleaved (estimator then loop, loop then estimator on
alternate repeats) in one process with one torch thread; the ratio of each
repeat's pair is taken and the median and the spread (min-max) over repeats
are reported, for wall-clock time and for the CPU time of the process (less
disturbed by other jobs on a shared machine: with one thread, CPU time is the
work done). On a shared, noisy machine only the ratios mean something.

Run: ``python benchmarks/bench_overhead.py [--repeats 7] [--epochs 25]``; it
writes ``benchmarks/results/overhead_runs.csv``, ``overhead_summary.csv`` and
``overhead_summary.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.utils import check_random_state
from torch import nn

from skdomain import (
    CDANClassifier,
    DANNClassifier,
    DeepCORALClassifier,
    DeepJDOTClassifier,
    MCCClassifier,
    MMDClassifier,
)
from skdomain.datasets import make_rotated_moons
from skdomain.nn import (
    DomainAdaptationNetwork,
    DomainDiscriminator,
    MLPEncoder,
    conditional_adversarial_loss,
    coral_loss,
    dann_schedule,
    domain_adversarial_loss,
    entropy_weights,
    jdot_loss,
    minimum_class_confusion_loss,
    mmd2,
    multilinear_map,
)

#: The estimators, by the method names of the tables.
ESTIMATORS = {
    "MMD": MMDClassifier,
    "DANN": DANNClassifier,
    "Deep CORAL": DeepCORALClassifier,
    "CDAN+E": CDANClassifier,
    "MCC": MCCClassifier,
    "DeepJDOT": DeepJDOTClassifier,
}


def _extra_heads(method: str, est, latent: int, n_classes: int) -> dict:
    """The discriminator of the adversarial methods, as the estimators build it."""
    units = tuple(getattr(est, "discriminator_hidden_units", ()))
    if method == "DANN":
        return {"discriminator": DomainDiscriminator(latent, units, negative_slope=0.2)}
    if method == "CDAN+E":
        return {"conditional_discriminator": DomainDiscriminator(
            latent * n_classes, units, negative_slope=0.2)}
    return {}


def _adaptation_loss(method, est, net, features, logits, n, y, progress):
    """The method's weighted term, from the public losses of skdomain.nn."""
    fs, ft = features[:n], features[n:]
    if method == "MMD":
        return est.mmd_weight * mmd2(fs, ft)
    if method == "Deep CORAL":
        return est.coral_weight * coral_loss(fs, ft)
    if method == "MCC":
        return est.mcc_weight * minimum_class_confusion_loss(logits[n:], est.temperature)
    if method == "DeepJDOT":
        return est.jdot_weight * jdot_loss(
            fs, ft, y, logits[n:], feature_weight=est.feature_weight,
            label_weight=est.label_weight,
        )
    if method == "DANN":
        disc = net.extra_heads["discriminator"]
        disc.reversal.coefficient = dann_schedule(progress)
        return est.domain_weight * domain_adversarial_loss(disc(fs), disc(ft))
    disc = net.extra_heads["conditional_discriminator"]  # CDAN+E
    disc.reversal.coefficient = dann_schedule(progress)
    zs, zt = logits[:n], logits[n:]
    maps = [multilinear_map(f, F.softmax(z, dim=1).detach()) for f, z in ((fs, zs), (ft, zt))]
    return est.domain_weight * conditional_adversarial_loss(
        disc(maps[0]), disc(maps[1]), entropy_weights(zs), entropy_weights(zt)
    )


def bare_loop(method, est, X, y, X_target):
    """Train ``est``'s model by hand; returns the trained network.

    Seeds, initialisation order and batch draws follow the estimator's, so with
    the same ``random_state`` both train the same weights.
    """
    seed = int(check_random_state(est.random_state).randint(np.iinfo(np.int32).max))
    Xs = torch.as_tensor(X, dtype=torch.float32)
    ys = torch.as_tensor(y, dtype=torch.long)
    Xt = torch.as_tensor(X_target, dtype=torch.float32)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        latent = est.hidden_units[-1]
        net = DomainAdaptationNetwork(
            MLPEncoder(Xs.shape[1], est.hidden_units), nn.Linear(latent, 2),
            _extra_heads(method, est, latent, 2),
        )
        opt = est.optimizer(net.parameters(), lr=est.lr)
        source_gen = torch.Generator().manual_seed(seed)
        target_gen = torch.Generator().manual_seed(seed + 1)
        batch, n_rows = est.batch_size, len(Xs)
        n_batches = n_rows // batch + (n_rows % batch > 1)  # a last batch of 1 is dropped
        total, step = est.max_epochs * n_batches, 0
        target_order = torch.empty(0, dtype=torch.long)
        for _ in range(est.max_epochs):
            order = torch.randperm(n_rows, generator=source_gen)
            for b in range(n_batches):
                idx = order[b * batch:(b + 1) * batch]
                n = len(idx)
                if target_order.numel() < n:  # the reshuffled target cycle
                    target_order = torch.cat(
                        [target_order, torch.randperm(len(Xt), generator=target_gen)])
                t_idx, target_order = target_order[:n], target_order[n:]
                features = net.encode(torch.cat([Xs[idx], Xt[t_idx]]))
                logits = net.head(features)
                loss = F.cross_entropy(logits[:n], ys[idx]) + _adaptation_loss(
                    method, est, net, features, logits, n, ys[idx], step / total)
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1
    return net


def _time(function):
    """``function()``, its wall-clock seconds and the CPU seconds of this process."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - start, time.process_time() - cpu


def run(repeats: int, epochs: int, methods=None, log=print) -> pd.DataFrame:
    """Interleaved timings of every method: one row per (method, repeat)."""
    X, y, X_target, _ = make_rotated_moons(1000, rotation=30, random_state=0)
    rows = []
    for method in methods or ESTIMATORS:  # warm-up: imports, allocator, POT
        ESTIMATORS[method](max_epochs=1, random_state=0).fit(X, y, X_target=X_target)
    for repeat in range(repeats):
        for method in methods or ESTIMATORS:
            est = ESTIMATORS[method](max_epochs=epochs, random_state=repeat)

            def ours(est=est):
                return est.fit(X, y, X_target=X_target)

            def bare(method=method, est=est):
                return bare_loop(method, est, X, y, X_target)

            if repeat % 2 == 0:
                fitted, ours_s, ours_cpu = _time(ours)
                net, bare_s, bare_cpu = _time(bare)
            else:
                net, bare_s, bare_cpu = _time(bare)
                fitted, ours_s, ours_cpu = _time(ours)
            with torch.no_grad():
                logits = net(torch.as_tensor(X_target, dtype=torch.float32))
            gap = float(np.abs(fitted.predict_proba(X_target) - logits.softmax(1).numpy()).max())
            rows.append((method, repeat, ours_s, bare_s, ours_s / bare_s,
                         ours_cpu / bare_cpu, gap))
            log(f"{method:10s} repeat {repeat}: skdomain {ours_s:.3f} s, bare {bare_s:.3f} s, "
                f"ratio {ours_s / bare_s:.3f} (CPU {ours_cpu / bare_cpu:.3f}), "
                f"max |proba gap| {gap:.1e}")
    return pd.DataFrame(rows, columns=[
        "method", "repeat", "skdomain s", "bare s", "ratio", "cpu ratio", "max proba gap"
    ])


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Median times and ratio per method, with the ratio's min-max over repeats."""
    g = frame.groupby("method", sort=False)
    return pd.DataFrame({
        "skdomain s (median)": g["skdomain s"].median().round(3),
        "bare loop s (median)": g["bare s"].median().round(3),
        "ratio (median)": g["ratio"].median().round(2),
        "ratio min-max": g["ratio"].min().map("{:.2f}".format) + "-"
        + g["ratio"].max().map("{:.2f}".format),
        "CPU-time ratio (median)": g["cpu ratio"].median().round(2),
        "CPU-time ratio min-max": g["cpu ratio"].min().map("{:.2f}".format) + "-"
        + g["cpu ratio"].max().map("{:.2f}".format),
        "max proba gap": g["max proba gap"].max().map("{:.1e}".format),
    })


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--methods", nargs="*", choices=list(ESTIMATORS), default=None)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--suffix", default="", help="appended to the output file names")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    frame = run(args.repeats, args.epochs, args.methods)
    table = summarize(frame)
    args.output.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.output / f"overhead_runs{args.suffix}.csv", index=False)
    table.to_csv(args.output / f"overhead_summary{args.suffix}.csv")
    (args.output / f"overhead_summary{args.suffix}.md").write_text(table.to_markdown() + "\n")
    print(table.to_string())


if __name__ == "__main__":
    main()
