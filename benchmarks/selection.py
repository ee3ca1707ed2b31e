"""Label-free selection of the adaptation weight on every moons and tabular task.

For each task (``benchmarks/_tasks.py``, fixed data seed 0), method and
training seed, a :class:`skdomain.model_selection.LabelFreeGridSearch` fits
every weight of the grid once on 80% of the source rows and all unlabeled
target rows, and computes every criterion on those same fitted candidates:
the target-only scorers (entropy, SND, MixVal, the ensemble EnsV), the
scorers that use the held-out 20% of the source (importance-weighted, DEV,
reverse validation, plain source accuracy), and, for hindsight only, the
accuracy on the target labels (the training target, transductive) and on a
held-out target sample.

Run (about 20-25 min of one core at the defaults)::

    python benchmarks/selection.py
    python benchmarks/selection.py --tasks moons-origin-30 --seeds 1 --epochs 10   # smoke

Writes ``benchmarks/results/selection/grid.csv`` (one row per task, method,
seed and weight) and ``summary.md`` (the tables of ``docs/model_selection.md``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
from _tasks import make_task  # noqa: E402

from skdomain import DANNClassifier, MMDClassifier  # noqa: E402
from skdomain.metrics import make_unsupervised_scorers  # noqa: E402
from skdomain.model_selection import LabelFreeGridSearch  # noqa: E402

TASKS = [
    "moons-origin-20", "moons-origin-30", "moons-origin-50", "moons-origin-70",
    "moons-center-30", "moons-center-50", "moons-center-70", "moons-origin-30-label-shift",
    "affine-noise-10d", "skada-covariate", "skada-target", "skada-conditional", "skada-subspace",
]
#: method -> (class, weight parameter, grid, default weight)
METHODS = {
    "MMD": (MMDClassifier, "mmd_weight", [0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0], 5.0),
    "DANN": (DANNClassifier, "domain_weight", [0.0, 0.1, 0.3, 1.0, 3.0, 10.0], 1.0),
}
SCORERS = ["entropy", "snd", "mixval", "ensemble", "iwv", "dev", "reverse", "source_accuracy"]
NEAR = 0.03  # "within 3 points of the best in hindsight"


def run_one(task_name, method, seed, n, epochs):
    task = make_task(task_name, n=n)
    cls, param, grid, _ = METHODS[method]
    scoring = {**make_unsupervised_scorers(random_state=seed), "ensemble": "ensemble",
               "source_accuracy": "accuracy"}
    search = LabelFreeGridSearch(
        cls(max_epochs=epochs, random_state=seed), {param: grid}, scoring=scoring,
        selection="ensemble", source_holdout=0.2, random_state=seed,
    ).fit(task.X, task.y, X_target=task.X_target)
    rows = []
    for i, est in enumerate(search.candidates_):
        row = {"task": task_name, "method": method, "seed": seed,
               "weight": search.results_["params"][i][param],
               "target_accuracy": est.score(task.X_target, task.y_target),
               "heldout_target_accuracy": est.score(task.X_test, task.y_test),
               "fit_time": search.results_["fit_time"][i]}
        row.update({name: search.results_[f"score_{name}"][i] for name in SCORERS})
        rows.append(row)
    return rows


def summarize(grid: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per scorer: rank correlation, accuracy of its pick, share of near-hindsight picks."""
    runs = []
    for (task, method, seed), frame in grid.groupby(["task", "method", "seed"], sort=False):
        default = METHODS[method][3]
        acc = frame["target_accuracy"].to_numpy()
        base = {"task": task, "method": method, "seed": seed, "hindsight": acc.max(),
                "default": acc[np.isclose(frame["weight"], default)][0],
                "no_adaptation": acc[frame["weight"].to_numpy() == 0][0]}
        for name in SCORERS:
            scores = frame[name].to_numpy()
            rho = spearmanr(scores, acc).statistic if np.ptp(scores) > 0 and np.ptp(acc) > 0 \
                else np.nan
            runs.append({**base, "scorer": name, "spearman": rho,
                         "pick": acc[int(np.argmax(scores))],
                         "picked_weight": frame["weight"].to_numpy()[int(np.argmax(scores))]})
    runs = pd.DataFrame(runs)
    per_task = runs.groupby(["scorer", "method", "task"], sort=False).mean(numeric_only=True)
    per_task["near"] = per_task["pick"] >= per_task["hindsight"] - NEAR
    table = []
    for (scorer, method), frame in per_task.groupby(level=["scorer", "method"], sort=False):
        table.append({
            "scorer": scorer, "method": method,
            "spearman": frame["spearman"].mean(),
            "pick": frame["pick"].mean(), "hindsight": frame["hindsight"].mean(),
            "default": frame["default"].mean(), "no_adaptation": frame["no_adaptation"].mean(),
            "within_3_points": frame["near"].mean(), "n_tasks": len(frame),
        })
    return pd.DataFrame(table), per_task.reset_index()


def markdown(table: pd.DataFrame, per_task: pd.DataFrame, grid: pd.DataFrame, args) -> str:
    seeds = grid.groupby(["task", "method"])["seed"].nunique()
    seeds = f"{seeds.min()}" if seeds.min() == seeds.max() else f"{seeds.min()}-{seeds.max()}"
    lines = [
        "# Label-free selection of the adaptation weight",
        "",
        f"`python benchmarks/selection.py --n {args.n} --epochs {args.epochs} --seeds "
        f"{grid['seed'].nunique()}`: {args.n} rows per domain (80% of the source for "
        "training, 20% "
        f"held out for the source-label scorers), {args.epochs} epochs, {seeds} training "
        "seeds per task, one CPU thread. Grids: "
        + "; ".join(f"{m} `{p}` in {g} (default {d:g})" for m, (_, p, g, d) in METHODS.items())
        + ". Accuracy on the unlabeled training target (transductive), mean over tasks of "
        "the mean over seeds. `spearman`: rank correlation of the score with target accuracy "
        "over the grid (mean over tasks and seeds; runs where either is constant are skipped). "
        "`within 3`: fraction of tasks where the mean accuracy of the pick is within 3 points "
        "of the mean best in hindsight.",
        "",
    ]
    for method, frame in table.groupby("method", sort=False):
        first = frame.iloc[0]
        lines += [
            f"## {method} (hindsight {first['hindsight']:.3f}, default weight "
            f"{first['default']:.3f}, weight 0 {first['no_adaptation']:.3f}, "
            f"{int(first['n_tasks'])} tasks)", "",
            "| scorer | spearman | accuracy of pick | pick - hindsight | pick - default "
            "| within 3 points |",
            "|---|---|---|---|---|---|",
        ]
        for _, r in frame.sort_values("pick", ascending=False).iterrows():
            lines.append(
                f"| {r['scorer']} | {r['spearman']:.2f} | {r['pick']:.3f} | "
                f"{r['pick'] - r['hindsight']:+.3f} | {r['pick'] - r['default']:+.3f} | "
                f"{r['within_3_points']:.2f} |")
        lines.append("")
    lines += ["## Per task (mean over seeds): best in hindsight, default, and each scorer's pick",
              ""]
    for method, frame in per_task.groupby("method", sort=False):
        wide = frame.pivot(index="task", columns="scorer", values="pick")
        ref = frame.drop_duplicates("task").set_index("task")
        cols = [s for s in SCORERS if s in wide.columns]
        lines += [f"### {method}", "",
                  "| task | hindsight | default | weight 0 | " + " | ".join(cols) + " |",
                  "|---" * (len(cols) + 4) + "|"]
        for task in ref.index:
            cells = [f"{wide.loc[task, c]:.3f}" for c in cols]
            lines.append(f"| {task} | {ref.loc[task, 'hindsight']:.3f} | "
                         f"{ref.loc[task, 'default']:.3f} | {ref.loc[task, 'no_adaptation']:.3f} | "
                         + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n", type=int, default=500, help="rows per domain")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/selection"))
    parser.add_argument("--summarize-only", action="store_true",
                        help="rebuild summary.md from an existing grid.csv")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    args.output.mkdir(parents=True, exist_ok=True)
    csv = args.output / "grid.csv"
    if not args.summarize_only:
        rows, start = [], time.time()
        # seeds outermost: an interrupted run still covers every task
        for seed in range(args.seeds):
            for task in args.tasks.split(","):
                for method in args.methods.split(","):
                    try:
                        rows += run_one(task, method, seed, args.n, args.epochs)
                        status = "ok"
                    except Exception as error:  # a diverged candidate: report, go on
                        status = f"FAILED: {type(error).__name__}: {error}"
                    print(f"{time.time() - start:6.0f} s  {task} {method} seed {seed} {status}",
                          flush=True)
                    pd.DataFrame(rows).to_csv(csv, index=False)  # partial results survive
    grid = pd.read_csv(csv)
    table, per_task = summarize(grid)
    table.to_csv(args.output / "summary.csv", index=False)
    (args.output / "summary.md").write_text(markdown(table, per_task, grid, args))
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
