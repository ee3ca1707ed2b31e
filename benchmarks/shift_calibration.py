"""Calibration and power study of the tests in ``skdomain.shift``.

For every test (MMD permutation test, classifier two-sample test, per-feature
KS tests with the Benjamini-Hochberg correction, all read from one
:func:`skdomain.shift.shift_report`), and for n = 30 and n = 500 samples per
domain (3 features): the rejection rate at alpha = 0.05 over ``--repeats``
pairs drawn from the same N(0, I) distribution, the KS-uniformity p-value of
the null p-values, the coverage of 0.5 by the classifier test's AUC interval,
and the power against mean shifts of known size (delta in every feature, in
units of the standard deviation) and a variance shift. The block MMD test
(:func:`skdomain.shift.block_mmd_test`, when present) is studied at n = 2000
and n = 20000.

Run from the repository root (a few minutes on one core)::

    PYTHONPATH=. python benchmarks/shift_calibration.py          # table + figure
    PYTHONPATH=. python benchmarks/shift_calibration.py --quick  # fewer repeats

Writes ``benchmarks/results/shift_calibration.csv`` and
``docs/images/shift_calibration.png`` (skipped with ``--no-figure``).
"""

from __future__ import annotations

import argparse
import inspect
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import stats
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

import skdomain.shift as shift

ROOT = Path(__file__).resolve().parents[1]
ALPHA = 0.05
SCENARIOS = {  # name -> (mean shift per feature, standard deviation of the target)
    "null": (0.0, 1.0),
    "mean 0.1": (0.1, 1.0),
    "mean 0.3": (0.3, 1.0),
    "mean 0.6": (0.6, 1.0),
    "scale 1.5": (0.0, 1.5),
}


# The code before issue 14 bootstrapped the classifier test (n_bootstrap); now ignored.
_OLD = inspect.signature(shift.shift_report).parameters["n_bootstrap"].default is not None


def _report(a, b, seed):
    extra = dict(n_bootstrap=199) if _OLD else {}
    return shift.shift_report(a, b, n_permutations=199, classifier=LinearDiscriminantAnalysis(),
                              cv=2, random_state=seed, **extra)


def study(n: int, scenario: str, repeats: int, dim: int = 3) -> list[dict]:
    mean, sd = SCENARIOS[scenario]
    rng = np.random.default_rng(1000 * n + sum(map(ord, scenario)))
    rows = {"MMD": [], "classifier AUC": [], "KS (BH)": []}
    covered = []
    for i in range(repeats):
        a = rng.normal(size=(n, dim))
        b = rng.normal(mean, sd, size=(n, dim))
        table = _report(a, b, i).set_index("feature")
        joint = table.loc["all"].set_index("test")
        rows["MMD"].append(joint.loc["MMD", "p_value"])
        rows["classifier AUC"].append(joint.loc["classifier AUC", "p_value"])
        rows["KS (BH)"].append(table.loc[table.index != "all", "p_adjusted"].min())
        ci = joint.loc["classifier AUC", ["ci_low", "ci_high"]].to_numpy(float)
        covered.append(ci[0] <= 0.5 <= ci[1])
    out = []
    for test, p in rows.items():
        p = np.asarray(p, float)
        out.append(dict(test=test, n=n, scenario=scenario, repeats=repeats,
                        rejection_rate=float(np.mean(p < ALPHA)),
                        ks_uniform_p=float(stats.kstest(p, "uniform").pvalue),
                        auc_ci_covers_half=float(np.mean(covered)) if test == "classifier AUC"
                        else np.nan))
    return out


def block_study(n: int, scenario: str, repeats: int, dim: int = 3) -> list[dict]:
    if not hasattr(shift, "block_mmd_test"):
        return []
    mean, sd = SCENARIOS[scenario]
    rng = np.random.default_rng(7 * n + sum(map(ord, scenario)))
    p = []
    for i in range(repeats):
        a, b = rng.normal(size=(n, dim)), rng.normal(mean, sd, size=(n, dim))
        p.append(shift.block_mmd_test(a, b, random_state=i).p_value)
    p = np.asarray(p)
    return [dict(test="block MMD", n=n, scenario=scenario, repeats=repeats,
                 rejection_rate=float(np.mean(p < ALPHA)),
                 ks_uniform_p=float(stats.kstest(p, "uniform").pvalue),
                 auc_ci_covers_half=np.nan)]


def binomial_interval(repeats: int, level: float = 0.99) -> tuple[float, float]:
    low, high = stats.binom.interval(level, repeats, ALPHA)
    return low / repeats, high / repeats


def figure(table: pd.DataFrame, path: Path) -> None:
    import matplotlib.pyplot as plt

    tests = list(dict.fromkeys(table["test"]))
    scenarios = list(SCENARIOS)
    sizes = sorted(table["n"].unique())
    fig, axes = plt.subplots(1, len(tests), figsize=(3.2 * len(tests), 3.2), sharey=True)
    for ax, test in zip(np.atleast_1d(axes), tests, strict=True):
        sub = table[table.test == test]
        for size in sorted(sub["n"].unique()):
            rates = sub[sub.n == size].set_index("scenario")["rejection_rate"]
            ax.plot(range(len(scenarios)), [rates.get(s, np.nan) for s in scenarios],
                    "o-", label=f"n = {size}", color=plt.cm.viridis(sizes.index(size) / 3))
        ax.axhline(ALPHA, color="k", lw=0.8, ls="--")
        ax.set_xticks(range(len(scenarios)), scenarios, rotation=45, ha="right")
        ax.set_title(test)
        ax.set_yscale("log")
        ax.set_ylim(0.005, 1.1)
        ax.legend(fontsize=7)
    np.atleast_1d(axes)[0].set_ylabel("rejection rate at alpha = 0.05")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=500)
    parser.add_argument("--power-repeats", type=int, default=100)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-figure", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/shift_calibration.csv"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    repeats, power = (100, 40) if args.quick else (args.repeats, args.power_repeats)
    start, rows = time.perf_counter(), []
    for n in (30, 500):
        for scenario in SCENARIOS:
            rows += study(n, scenario, repeats if scenario == "null" else power)
    for n in (2000, 20000):
        for scenario in SCENARIOS:
            rows += block_study(n, scenario, repeats if scenario == "null" else power)
    table = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    low, high = binomial_interval(repeats)
    print(f"skdomain from {shift.__file__}")
    print(f"binomial 99% interval of the null rejection rate over {repeats} repeats: "
          f"[{low:.3f}, {high:.3f}]; {time.perf_counter() - start:.0f} s")
    print(table.to_string(index=False, float_format="%.3f"))
    if not args.no_figure:
        figure(table, ROOT / "docs/images/shift_calibration.png")
    return table


if __name__ == "__main__":
    main()
