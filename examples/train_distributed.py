"""Data-parallel training of an MMD and a DANN classifier with ``torchrun``.

Run on two CPU processes (gloo backend)::

    torchrun --standalone --nproc_per_node=2 examples/train_distributed.py

or on the four GPUs of one node (NCCL backend, one GPU per process)::

    torchrun --standalone --nproc_per_node=4 examples/train_distributed.py --device cuda

Every process builds the same data and calls ``fit`` inside
``skdomain.distributed.data_parallel()``; each trains on its own shard of the
source and of the target, gradients are averaged. Rank 0 then checks that the
shards were disjoint and the weights identical on all ranks, refits each model
in one process for comparison, checks that the fitted estimator saves and
loads, and writes ``--output`` (JSON). Plain ``python examples/train_distributed.py``
runs the same code in one process.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from skdomain import DANNClassifier, MMDClassifier
from skdomain.datasets import make_galaxy_mergers, make_rotated_moons
from skdomain.distributed import data_parallel, is_main_process
from skdomain.persistence import load_estimator, save_estimator


def problems(args):
    """(name, X, y, X_target, y_target, estimator parameters) of each problem."""
    X, y, X_t, y_t = make_rotated_moons(args.n_moons, rotation=35.0, random_state=0)
    yield "moons", X, y, X_t, y_t, {"max_epochs": args.moons_epochs, "batch_size": 32}
    X, y = make_galaxy_mergers(args.n_images, image_size=args.image_size, random_state=0)
    X_t, y_t = make_galaxy_mergers(
        args.n_images, domain="noisy", image_size=args.image_size, random_state=1
    )
    yield "images", X, y, X_t, y_t, {
        "module": "deepmerge", "max_epochs": args.image_epochs, "batch_size": 32, "lr": 3e-3,
    }


def estimators(params, device):
    common = {"random_state": 0, "device": device, **params}
    return {
        "MMD": MMDClassifier(mmd_weight=1.0, **common),
        "DANN": DANNClassifier(domain_weight=0.3, **{**common, "lr": common.get("lr", 1e-2)}),
    }


def weights(estimator) -> list[np.ndarray]:
    state = [*estimator.module_.parameters(), *estimator.net_.criterion_.parameters()]
    return [t.detach().cpu().numpy() for t in state]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("distributed.json"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n-moons", type=int, default=400)
    parser.add_argument("--moons-epochs", type=int, default=40)
    parser.add_argument("--n-images", type=int, default=200)
    parser.add_argument("--image-size", type=int, default=16)
    parser.add_argument("--image-epochs", type=int, default=10)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    results, fitted = {}, {}
    with data_parallel() as context:
        for name, X, y, X_t, y_t, params in problems(args):
            for method, estimator in estimators(params, args.device).items():
                key = f"{method} {name}"
                estimator.fit(X, y, X_target=X_t)
                shards = context.shards[-1] if context.shards else None
                gathered = [None] * context.world_size
                if context.world_size > 1:
                    dist.all_gather_object(gathered, (shards, weights(estimator)))
                else:
                    gathered = [(shards, weights(estimator))]
                if context.rank == 0:
                    results[key] = summarize(gathered, len(X), len(X_t))
                    results[key]["accuracy"] = float(estimator.score(X_t, y_t))
                    fitted[key] = (estimator, X, y, X_t, y_t, params)
        world = context.world_size
    if not is_main_process():
        return
    for key, (estimator, X, y, X_t, y_t, params) in fitted.items():
        method = key.split()[0]
        single = estimators(params, args.device)[method].fit(X, y, X_target=X_t)
        results[key]["single_process_accuracy"] = float(single.score(X_t, y_t))
        with tempfile.TemporaryDirectory() as folder:
            save_estimator(estimator, Path(folder) / "model")
            loaded = load_estimator(Path(folder) / "model")
        results[key]["save_load_same_proba"] = bool(
            np.allclose(loaded.predict_proba(X_t), estimator.predict_proba(X_t), atol=1e-6)
        )
        results[key]["ordinary_net"] = not any(
            name == "data_parallel" for name, _ in estimator.net_.callbacks_
        ) and estimator.net_.batch_size == estimator.batch_size
    report = {"world_size": world, "results": results}
    args.output.write_text(json.dumps(report, indent=2))
    for key, row in results.items():
        print(f"{key:12s} data-parallel {row['accuracy']:.3f}  one process "
              f"{row['single_process_accuracy']:.3f}  max weight gap {row['max_weight_gap']:.2e}")


def summarize(gathered, n_source, n_target) -> dict:
    """Shard disjointness and the largest weight difference between ranks."""
    row = {"max_weight_gap": 0.0}
    reference = gathered[0][1]
    for _, other in gathered[1:]:
        gap = max(float(np.max(np.abs(a - b))) if a.size else 0.0
                  for a, b in zip(reference, other, strict=True))
        row["max_weight_gap"] = max(row["max_weight_gap"], gap)
    shards = [s for s, _ in gathered]
    if shards[0] is None:
        return row
    for domain, n in (("source", n_source), ("target", n_target)):
        sets = [set(s[domain].tolist()) for s in shards]
        row[f"{domain}_shard_sizes"] = [len(s) for s in sets]
        row[f"{domain}_disjoint"] = sum(len(s) for s in sets) == len(set().union(*sets))
        row[f"{domain}_covered"] = len(set().union(*sets)) / n
    return row


if __name__ == "__main__":
    main()
