"""Rotated moons, side by side in one run: skdomain vs a plain torch loop vs skada.

Every contender trains the same network (2 -> 64 -> 64 ReLU encoder, linear
head) for the same number of epochs with Adam and batches of 64 source (+ 64
target) samples. We report target accuracy (mean ± std over seeds) and fit time,
and the ratio of each fit time to the plain torch loop of the same method.

Run: ``python benchmarks/bench_moons.py [--seeds 5] [--output benchmarks/results]``
(needs ``pip install -e .[bench]`` for skada; skipped if it is missing).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from skdomain import DANNClassifier, MMDClassifier, SourceOnlyClassifier
from skdomain.datasets import make_rotated_moons
from skdomain.nn import DomainDiscriminator, dann_schedule, domain_adversarial_loss, mmd2

EPOCHS, BATCH = 100, 64


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.head = nn.Linear(64, 2)

    def forward(self, x, sample_weight=None):  # skada passes sample_weight
        return self.head(self.encoder(x))


def plain_torch(method, X, y, X_target, seed, lr, weight):
    """The same training as our estimators, written as a bare loop."""
    torch.manual_seed(seed)
    net = Net()
    disc = DomainDiscriminator(64) if method == "DANN" else None
    params = list(net.parameters()) + (list(disc.parameters()) if disc else [])
    opt = torch.optim.Adam(params, lr=lr)
    Xs = torch.as_tensor(X, dtype=torch.float32)
    ys = torch.as_tensor(y)
    Xt = torch.as_tensor(X_target, dtype=torch.float32)
    n_batches = len(Xs) // BATCH + (len(Xs) % BATCH > 1)
    total, step = EPOCHS * n_batches, 0
    for _ in range(EPOCHS):
        order, target_order = torch.randperm(len(Xs)), torch.randperm(len(Xt))
        for b in range(n_batches):
            idx = order[b * BATCH:(b + 1) * BATCH]
            xs, xt = Xs[idx], Xt[target_order[b * BATCH:(b + 1) * BATCH][: len(idx)]]
            features = net.encoder(torch.cat([xs, xt]))
            fs, ft = features[: len(xs)], features[len(xs):]
            loss = nn.functional.cross_entropy(net.head(fs), ys[idx])
            if method == "MMD":
                loss = loss + weight * mmd2(fs, ft)
            elif method == "DANN":
                disc.reversal.coefficient = dann_schedule(step / total)
                loss = loss + weight * domain_adversarial_loss(disc(fs), disc(ft))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    with torch.no_grad():
        return lambda A: net(torch.as_tensor(A, dtype=torch.float32)).argmax(1).numpy()


def skada_model(method, seed):
    from skada.deep import DAN, DANN, SourceOnly

    torch.manual_seed(seed)
    common = dict(max_epochs=EPOCHS, batch_size=BATCH, train_split=None, lr=1e-3,
                  optimizer=torch.optim.Adam, verbose=0)
    if method == "source only":
        return SourceOnly(Net(), layer_name="encoder", **common)
    if method == "MMD":
        return DAN(Net(), layer_name="encoder", reg=1, **common)
    return DANN(Net(), layer_name="encoder", reg=1, num_features=64, **common)


def run(seeds: int):
    rows = []
    ours = {"source only": SourceOnlyClassifier, "MMD": MMDClassifier, "DANN": DANNClassifier}
    try:
        import skada  # noqa: F401
        have_skada = True
    except ImportError:
        have_skada = False
    for seed in range(seeds):
        X, y, X_target, y_target = make_rotated_moons(500, random_state=seed)
        for method, cls in ours.items():
            model = cls(module=Net().encoder, random_state=seed, max_epochs=EPOCHS)
            start = time.perf_counter()
            model.fit(X, y, X_target=X_target)
            rows.append((method, "skdomain", seed, model.score(X_target, y_target),
                         time.perf_counter() - start))
            lr = model.lr
            weight = {"MMD": getattr(model, "mmd_weight", 0),
                      "DANN": getattr(model, "domain_weight", 0)}.get(method, 0)
            start = time.perf_counter()
            predict = plain_torch(method, X, y, X_target, seed, lr, weight)
            rows.append((method, "plain torch", seed, float((predict(X_target) == y_target).mean()),
                         time.perf_counter() - start))
            if have_skada:
                est = skada_model(method, seed)
                Xall = np.vstack([X, X_target]).astype(np.float32)
                yall = np.concatenate([y, -np.ones_like(y_target)])
                domain = np.concatenate([np.ones(len(X)), -2 * np.ones(len(X_target))]).astype(int)
                start = time.perf_counter()
                est.fit(Xall, yall, sample_domain=domain)
                seconds = time.perf_counter() - start
                pred = est.predict(X_target.astype(np.float32),
                                   sample_domain=-2 * np.ones(len(X_target), dtype=int))
                rows.append((method, "skada", seed, float((pred == y_target).mean()), seconds))
            print(rows[-1], flush=True)
    return pd.DataFrame(rows, columns=["method", "library", "seed", "target accuracy", "fit s"])


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    g = frame.groupby(["method", "library"], sort=False)
    table = pd.DataFrame({
        "target accuracy": g["target accuracy"].mean().map("{:.3f}".format) + " ± "
        + g["target accuracy"].std(ddof=0).map("{:.3f}".format),
        "fit s (median)": g["fit s"].median().round(2),
    })
    plain = frame[frame.library == "plain torch"].groupby("method")["fit s"].median()
    table["time / plain torch"] = [
        round(t / plain[m], 2) for (m, _), t in g["fit s"].median().items()
    ]
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--output", default="benchmarks/results")
    args = parser.parse_args()
    torch.set_num_threads(1)
    frame = run(args.seeds)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "moons_runs.csv", index=False)
    table = summarize(frame)
    table.to_csv(out / "moons_summary.csv")
    print(table.to_string())
