"""Streaming fit from HDF5 vs the in-memory path, and peak memory of a streamed fit.

1. Throughput: the DeepMerge CNN (``DANNClassifier(module="deepmerge")``) on
   3x75x75 stamps, fitted once from in-memory arrays and once from
   ``h5py.Dataset`` objects on local disk (source and target), alternating,
   ``--repeats`` times; images per second (source images seen per second of
   ``fit``) and their ratio. The two fits train the same model: we also report
   the largest difference of their predicted probabilities.
2. Peak resident memory (``VmHWM``) of one fresh process that fits from an
   HDF5 file of ``n`` stamps, for each ``n`` of ``--rss-sizes`` (and, for the
   largest, of a process that reads the same file into memory first).

Run: ``python benchmarks/bench_streaming.py [--n-throughput 1024] [--rss-sizes 4000 16000]``
(one torch thread; the HDF5 files go to ``--workdir``, default a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import torch

SHAPE = (3, 75, 75)
CHUNK = 2000


def write_stamps(path: Path, n: int, seed: int = 0) -> None:
    """``n`` random stamps (two classes that differ in brightness) as /X and /y."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        X = f.create_dataset("X", (n, *SHAPE), dtype="float32", chunks=(1, *SHAPE))
        y = f.create_dataset("y", (n,), dtype="int64")
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            labels = rng.integers(0, 2, stop - start)
            X[start:stop] = rng.normal(size=(stop - start, *SHAPE)).astype(np.float32) + (
                0.3 * labels[:, None, None, None]
            )
            y[start:stop] = labels


def model(epochs=1):
    from skdomain import DANNClassifier

    return DANNClassifier(module="deepmerge", max_epochs=epochs, batch_size=64, random_state=0)


def throughput(workdir: Path, n: int, repeats: int) -> dict:
    write_stamps(workdir / "source.h5", n, seed=0)
    write_stamps(workdir / "target.h5", n, seed=1)
    with h5py.File(workdir / "source.h5", "r") as fs, h5py.File(workdir / "target.h5", "r") as ft:
        y = fs["y"][:]
        rates = {"in-memory": [], "hdf5 stream": []}
        probas = {}
        for _ in range(repeats):
            for name in rates:
                start = time.perf_counter()
                if name == "in-memory":  # reading the files is part of this path's cost
                    X, Xt = fs["X"][:], ft["X"][:]
                else:
                    X, Xt = fs["X"], ft["X"]
                fitted = model().fit(X, y, X_target=Xt)
                rates[name].append(n / (time.perf_counter() - start))
                probas[name] = fitted.predict_proba(fs["X"][:256])
                del X, Xt
    medians = {name: float(np.median(r)) for name, r in rates.items()}
    return {
        "n": n,
        "images_per_s": medians,
        "all_runs": rates,
        "ratio_stream_over_memory": medians["hdf5 stream"] / medians["in-memory"],
        "max_abs_proba_difference": float(
            np.abs(probas["in-memory"] - probas["hdf5 stream"]).max()
        ),
    }


def rss_worker(path: str, in_memory: bool) -> None:
    torch.set_num_threads(1)
    with h5py.File(path, "r") as f:
        X, y = f["X"], f["y"][:]
        if in_memory:
            X = X[:]
        start = time.perf_counter()
        model().fit(X, y)
        seconds = time.perf_counter() - start
    print(json.dumps({"peak_rss_mb": _peak_rss_mb(), "fit_s": seconds}))


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ``ru_maxrss`` would include the
    parent's peak, which Linux carries over a fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss(workdir: Path, sizes, compare_in_memory: bool) -> list[dict]:
    rows = []
    for i, n in enumerate(sizes):
        path = workdir / f"rss_{n}.h5"
        write_stamps(path, n)
        modes = [False, True] if compare_in_memory and i == len(sizes) - 1 else [False]
        for in_memory in modes:
            out = subprocess.run(
                [sys.executable, __file__, "--rss-worker", str(path)]
                + (["--in-memory"] if in_memory else []),
                capture_output=True, text=True, check=True,
            ).stdout.strip().splitlines()[-1]
            rows.append({"n": n, "file_gb": path.stat().st_size / 1e9,
                         "path": "in-memory" if in_memory else "hdf5 stream", **json.loads(out)})
            print(rows[-1], flush=True)
        path.unlink()
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-throughput", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--rss-sizes", type=int, nargs="*", default=[4000, 16000])
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--output", default=None, help="write the results as JSON here")
    parser.add_argument("--rss-worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--in-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_worker:
        rss_worker(args.rss_worker, args.in_memory)
        return
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        workdir = Path(tmp)
        results = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
            "throughput": throughput(workdir, args.n_throughput, args.repeats),
        }
        print(json.dumps(results["throughput"], indent=1), flush=True)
        if args.rss_sizes:
            results["peak_rss"] = peak_rss(workdir, args.rss_sizes, compare_in_memory=True)
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
