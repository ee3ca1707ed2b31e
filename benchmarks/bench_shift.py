"""Speed and memory of the MMD tests and of ``mmd2``, side by side, one thread.

Cases (each in a fresh subprocess, so that its peak RSS is its own):

- ``mmd_test`` 2000 vs 2000, 64-D, 500 permutations, and 10,000 vs 10,000,
  16-D, 1000 permutations, against two float32 floors written here: ``floor``,
  one kernel matrix with a single bandwidth, and ``floor5``, the same
  five-bandwidth kernel as ``mmd_test`` (the fair floor: same statistic), each
  with the permutation statistics as one matrix product ``S K``;
- ``mmd2`` forward + backward at 1024 and 4096 per domain (32-D) against a
  naive three-block torch implementation (same kernel, same estimator);
- ``block_mmd_test`` at 10^6 vs 10^6, 16 features.

Run from the repository root::

    python benchmarks/bench_shift.py            # all cases (~10 min on one core)
    python benchmarks/bench_shift.py --small    # skip the 10,000 and 10^6 cases

Writes ``benchmarks/results/shift_bench.csv``: ``peak_rss_mb`` is the peak RSS
above the process's baseline once the data exist, ``peak_rss_total_mb`` the
process's whole peak (interpreter, torch and the data included).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _permutation_statistic(kernel, n, m, n_permutations, seed):
    """All permutations' statistics as one product ``S K``; returns the first."""
    rng = np.random.default_rng(seed)
    labels = np.full((n_permutations + 1, n + m), -1.0 / m, dtype=np.float32)
    for row in labels:
        row[rng.permutation(n + m)[:n]] = 1.0 / n
    labels = torch.as_tensor(labels)
    statistics = ((labels @ kernel) * labels).sum(1)
    return float(statistics[0])


def floor_mmd_test(a, b, n_permutations, seed=0):
    """The floor: float32 kernel (one bandwidth) and one product for all permutations."""
    pooled = torch.as_tensor(np.concatenate([a, b]), dtype=torch.float32)
    n, m = len(a), len(b)
    d2 = torch.cdist(pooled, pooled).pow_(2)
    kernel = torch.exp_(d2.mul_(-0.5 / float(d2[:256, :256].median())))
    return _permutation_statistic(kernel, n, m, n_permutations, seed)


def floor5_mmd_test(a, b, n_permutations, seed=0, multipliers=(0.25, 0.5, 1.0, 2.0, 4.0)):
    """The fair floor: the same five-bandwidth kernel, whole-matrix in-place ops, one product.

    One ``cdist``, one ``exp`` at the widest bandwidth and four in-place squarings
    (multipliers are powers of two), then all permutations as one product ``S K``.
    """
    pooled = torch.as_tensor(np.concatenate([a, b]), dtype=torch.float32)
    n, m = len(a), len(b)
    d2 = torch.cdist(pooled, pooled).pow_(2)
    sigma2 = float(d2[:256, :256].median()) / 2 * max(multipliers)
    current = d2.mul_(-0.5 / sigma2).exp_()
    kernel = current.clone()
    for _ in range(len(multipliers) - 1):
        kernel.add_(current.mul_(current))
    kernel.div_(len(multipliers))
    return _permutation_statistic(kernel, n, m, n_permutations, seed)


def naive_mmd2(x, y, multipliers=(0.25, 0.5, 1.0, 2.0, 4.0)):
    """Three kernel blocks, median bandwidth of the pooled sample, unbiased estimator."""
    with torch.no_grad():
        pooled = torch.cat([x, y])
        sigma2 = torch.cdist(pooled, pooled).pow(2).median() / 2

    def k(a, b):
        d2 = torch.cdist(a, b).pow(2)
        return sum(torch.exp(-d2 / (2 * sigma2 * s)) for s in multipliers) / len(multipliers)

    n, m = len(x), len(y)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    return ((kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
            + (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1)) - 2 * kxy.mean())


def run_case(name: str) -> dict:
    from skdomain.nn import mmd2
    from skdomain.shift import block_mmd_test, mmd_test

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    base = _rss_mb()
    kind, size = name.split(":")
    size = int(size)
    start = time.perf_counter()
    if kind in ("mmd_test", "floor", "floor5"):
        dim, perms = (64, 500) if size <= 2000 else (16, 1000)
        a, b = rng.normal(size=(size, dim)), rng.normal(size=(size, dim))
        base = _rss_mb()
        start = time.perf_counter()
        if kind == "floor":
            floor_mmd_test(a, b, perms)
        elif kind == "floor5":
            floor5_mmd_test(a, b, perms)
        else:
            mmd_test(a, b, n_permutations=perms, random_state=0)
    elif kind in ("mmd2", "naive"):
        x = torch.randn(size, 32, requires_grad=True)
        y = torch.randn(size, 32) + 0.1
        fn = mmd2 if kind == "mmd2" else naive_mmd2
        fn(x[:64], y[:64]).backward()  # warm-up
        base = _rss_mb()
        start = time.perf_counter()
        for _ in range(3):
            fn(x, y).backward()
        elapsed = (time.perf_counter() - start) / 3
        return dict(case=name, seconds=elapsed, peak_rss_mb=_rss_mb() - base)
    elif kind == "block":
        a = rng.normal(size=(size, 16)).astype(np.float32)
        b = rng.normal(size=(size, 16)).astype(np.float32)
        base = _rss_mb()
        start = time.perf_counter()
        block_mmd_test(a, b, random_state=0)
    return dict(case=name, seconds=time.perf_counter() - start, peak_rss_mb=_rss_mb() - base,
                peak_rss_total_mb=_rss_mb())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case")
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--cases", help="comma-separated subset, e.g. floor:2000,mmd_test:2000")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/shift_bench.csv"))
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args.case)))
        return None
    cases = ["floor:2000", "floor5:2000", "mmd_test:2000",
             "naive:1024", "mmd2:1024", "naive:4096", "mmd2:4096"]
    if not args.small:
        cases += ["floor:10000", "floor5:10000", "mmd_test:10000", "block:1000000"]
    if args.cases:
        cases = args.cases.split(",")
    rows = []
    for case in cases:
        out = subprocess.run([sys.executable, __file__, "--case", case], capture_output=True,
                             text=True, check=True, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    import pandas as pd

    table = pd.DataFrame(rows)
    reference = {"mmd_test": "floor", "mmd2": "naive"}
    for i, row in table.iterrows():
        kind, size = row.case.split(":")
        if kind in reference:
            ref = table[table.case == f"{reference[kind]}:{size}"].iloc[0]
            table.loc[i, "time_ratio"] = row.seconds / ref.seconds
            table.loc[i, "memory_ratio"] = row.peak_rss_mb / max(ref.peak_rss_mb, 1.0)
        fair = table[table.case == f"floor5:{size}"]
        if kind == "mmd_test" and len(fair):
            table.loc[i, "time_ratio_floor5"] = row.seconds / fair.iloc[0].seconds
            table.loc[i, "memory_ratio_floor5"] = row.peak_rss_mb / max(
                fair.iloc[0].peak_rss_mb, 1.0)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(table.to_string(index=False, float_format="%.2f"))
    return table


if __name__ == "__main__":
    main()
