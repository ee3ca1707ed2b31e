"""Which loss weight does each DA scorer pick on rotated moons, and how good is it?

For each seed: a 3-fold DomainAwareGridSearchCV (target_split="whole") over
``mmd_weight`` (MMDClassifier) and ``domain_weight`` (DANNClassifier), default
estimator settings, scored by every unsupervised scorer, by source accuracy (the
default score) and by 10 labeled target samples; then every grid point refitted
on all source + target rows and scored on the target labels (hindsight).

Run: PYTHONPATH=. python benchmarks/model_selection_scorers.py OUTPUT_DIR [--seeds 3]
[--target-split whole|split]
Writes OUTPUT_DIR/grid.csv (one row per seed, method, weight) and
OUTPUT_DIR/picks.md (the table of docs/model_selection.md).
"""

from __future__ import annotations

import argparse
import pathlib
import time

import numpy as np
import pandas as pd
import torch

from skdomain import DANNClassifier, MMDClassifier
from skdomain.datasets import make_rotated_moons
from skdomain.metrics import LabeledTargetScorer, make_unsupervised_scorers
from skdomain.model_selection import DomainAwareGridSearchCV

GRIDS = {
    "MMD": (MMDClassifier, "mmd_weight", [0.0, 1.0, 5.0, 10.0]),
    "DANN": (DANNClassifier, "domain_weight", [0.0, 0.3, 1.0, 3.0]),
}


def run_seed(seed: int, n_samples: int, target_split: str, log) -> list[dict]:
    X, y, X_target, y_target = make_rotated_moons(n_samples, random_state=seed)
    rows = []
    for method, (cls, param, weights) in GRIDS.items():
        scoring = {
            **make_unsupervised_scorers(random_state=seed),
            "source_accuracy": "accuracy",
            "ten_target_labels": LabeledTargetScorer(X_target[:10], y_target[:10]),
        }
        start = time.time()
        search = DomainAwareGridSearchCV(
            cls(random_state=seed), {param: weights}, scoring=scoring, cv=3,
            target_split=target_split, refit=False, random_state=seed,
        ).fit(X, y, X_target=X_target)
        log(f"seed {seed} {method}: search {time.time() - start:.0f} s")
        for i, weight in enumerate(weights):
            start = time.time()
            est = cls(random_state=seed, **{param: weight}).fit(X, y, X_target=X_target)
            row = {
                "seed": seed, "method": method, "param": param, "weight": weight,
                "target_accuracy": est.score(X_target, y_target),
            }
            for name in scoring:
                row[name] = search.cv_results_[f"mean_test_{name}"][i]
            rows.append(row)
            log(f"seed {seed} {method} {param}={weight}: target acc "
                f"{row['target_accuracy']:.3f} ({time.time() - start:.0f} s)")
    return rows


def summarize(grid: pd.DataFrame) -> str:
    scorers = [c for c in grid.columns if c not in
               ("seed", "method", "param", "weight", "target_accuracy")]
    lines = []
    for method, frame in grid.groupby("method", sort=False):
        param = frame["param"].iloc[0]
        lines.append(f"\n**{method}** (`{param}`), target accuracy of the picked weight, "
                     "per seed (picked weight in brackets)\n")
        seeds = sorted(frame["seed"].unique())
        lines.append("| selection | " + " | ".join(f"seed {s}" for s in seeds) + " | mean |")
        lines.append("|---" * (len(seeds) + 2) + "|")

        def line(label, picks):
            cells = [f"{acc:.3f} ({w:g})" for w, acc in picks]
            mean = np.mean([acc for _, acc in picks])
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {mean:.3f} |")

        def pick(column, how, frame=frame, seeds=seeds):
            out = []
            for s in seeds:
                f = frame[frame["seed"] == s].reset_index(drop=True)
                i = how(f[column].to_numpy())
                out.append((f["weight"][i], f["target_accuracy"][i]))
            return out

        line("best in hindsight", pick("target_accuracy", np.argmax))
        line("weight 0 (no adaptation)", pick("weight", np.argmin))
        for name in scorers:
            line(f"scorer `{name}`", pick(name, np.argmax))
        lines.append("\nTarget accuracy of every grid point (mean over seeds):\n")
        means = frame.groupby("weight")["target_accuracy"].agg(["mean", "min", "max"])
        lines.append("| " + param + " | mean | min | max |\n|---|---|---|---|")
        for w, r in means.iterrows():
            lines.append(f"| {w:g} | {r['mean']:.3f} | {r['min']:.3f} | {r['max']:.3f} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output", type=pathlib.Path)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=500)
    parser.add_argument("--target-split", choices=["whole", "split"], default="whole")
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.output.mkdir(parents=True, exist_ok=True)

    def log(message):
        print(time.strftime("%H:%M:%S"), message, flush=True)

    rows = []
    for seed in range(args.seeds):
        rows += run_seed(seed, args.n_samples, args.target_split, log)
        grid = pd.DataFrame(rows)
        grid.to_csv(args.output / "grid.csv", index=False)
        (args.output / "picks.md").write_text(summarize(grid))
    log("done")


if __name__ == "__main__":
    main()
