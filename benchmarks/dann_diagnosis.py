"""Why DANN collapses: discriminator activity, final domain loss and accuracy per variant.

Run: ``python benchmarks/dann_diagnosis.py [--seeds 3]``; prints one line per fit.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import LRScheduler

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
from _tasks import make_task  # noqa: E402

from skdomain import DANNClassifier  # noqa: E402


def annealing(n_source, batch_size, epochs):
    steps = epochs * math.ceil(n_source / batch_size)
    return LRScheduler(policy=torch.optim.lr_scheduler.LambdaLR, step_every="batch",
                       lr_lambda=lambda s: (1 + 10 * min(s / steps, 1)) ** -0.75)


def active_fraction(model, X):
    disc = model.net_.module_.extra_heads["discriminator"]
    fractions, logits = disc.active_fractions(torch.as_tensor(model.transform(X)))
    return fractions, float(logits.std())


class LeakyDANN(DANNClassifier):
    def _build_extra_heads(self, latent_dim, sample_shape, n_outputs):
        from skdomain.nn import DomainDiscriminator

        return {"discriminator": DomainDiscriminator(latent_dim, (64, 64), negative_slope=0.2)}


VARIANTS = {
    "old: adam 1e-2": dict(lr=1e-2),
    "adam 1e-3": dict(lr=1e-3),
    "adam 1e-3 annealed": dict(lr=1e-3, anneal=True),
    "adam 1e-3 leaky": dict(lr=1e-3, leaky=True),
    "adam 1e-2 leaky": dict(lr=1e-2, leaky=True),
    "adam 1e-3 weight 0.3": dict(lr=1e-3, domain_weight=0.3),
}


def main(seeds, tasks, variants):
    torch.set_num_threads(1)
    for name in tasks:
        task = make_task(name)
        for variant in variants:
            params = dict(VARIANTS[variant])
            anneal = params.pop("anneal", False)
            cls = LeakyDANN if params.pop("leaky", False) else DANNClassifier
            accs = []
            for seed in range(seeds):
                cb = [annealing(len(task.X), 64, 100)] if anneal else None
                model = cls(random_state=seed, callbacks=cb, **params)
                model.fit(task.X, task.y, X_target=task.X_target)
                acc = model.score(task.X_target, task.y_target)
                accs.append(acc)
                fr, out_std = active_fraction(model, np.vstack([task.X, task.X_target]))
                print(f"{name} | {variant} | seed {seed} | acc {acc:.3f} | domain_loss "
                      f"{model.history_[-1]['domain_loss']:.4f} | active {fr} | "
                      f"disc out std {out_std:.3g}", flush=True)
            print(f"== {name} | {variant} | {np.mean(accs):.3f} ± {np.std(accs):.3f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tasks", default="moons-origin-30,moons-origin-50")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    main(args.seeds, args.tasks.split(","), args.variants.split(","))
