"""Stamps per second of streamed predictions from an HDF5 file (estimator, TorchScript, ONNX).

Fits a small DeepMerge classifier on 3 x 75 x 75 stamps, exports it, writes
``--n-stamps`` stamps to an HDF5 file and times ``skdomain.export.predict_hdf5``
through the estimator, the TorchScript file and an onnxruntime session.
Writes ``benchmarks/results/serving.json``.

    python benchmarks/bench_serving.py --n-stamps 2048
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import onnxruntime
import torch
from _cli import parse_and_set_threads, throughput_parser, write_report

from skdomain import MMDClassifier
from skdomain.datasets import make_galaxy_mergers
from skdomain.export import export_onnx, export_torchscript, predict_hdf5


def main(argv=None):
    parser = throughput_parser(__doc__, "serving.json", n_stamps=2048, batch_size=256)
    args = parse_and_set_threads(parser, argv)
    X, y = make_galaxy_mergers(64, random_state=0)
    clf = MMDClassifier(module="deepmerge", max_epochs=1, random_state=0).fit(X, y, X_target=X)
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        stamps = np.random.default_rng(0).normal(size=(args.n_stamps, 3, 75, 75))
        with h5py.File(folder / "stamps.h5", "w") as handle:
            handle.create_dataset("images", data=stamps.astype(np.float32), chunks=(64, 3, 75, 75))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = args.threads
        models = {
            "estimator": clf,
            "torchscript": torch.jit.load(str(export_torchscript(clf, folder / "m.pt"))),
            "onnxruntime": onnxruntime.InferenceSession(
                str(export_onnx(clf, folder / "m.onnx")), options,
                providers=["CPUExecutionProvider"]),
        }
        for name, model in models.items():
            start = time.perf_counter()
            predict_hdf5(model, folder / "stamps.h5", batch_size=args.batch_size,
                         output=folder / f"{name}.h5")
            rows[name] = round(args.n_stamps / (time.perf_counter() - start), 1)
            print(f"{name:12s} {rows[name]:10.1f} stamps/s", flush=True)
    report = {"n_stamps": args.n_stamps, "batch_size": args.batch_size,
              "threads": args.threads, "stamps_per_s": rows}
    write_report(args.output, report)


if __name__ == "__main__":
    main()
