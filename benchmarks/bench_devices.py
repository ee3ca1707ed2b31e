"""Images per second of the DeepMerge CNN at 3 x 75 x 75 on the devices present.

Measures training steps (forward + backward + Adam, batch 64, source and
target batches through the encoder as in DANN/MMD fitting) and inference, per
device and precision, and writes ``benchmarks/results/devices.json``. With
``--merger-experiment`` and a GPU, also times the full-size merger experiment
(``python -m skdomain mergers`` at its defaults on CUDA).

    python benchmarks/bench_devices.py --steps 5
    python benchmarks/bench_devices.py --steps 50 --merger-experiment   # on a GPU node
"""

from __future__ import annotations

import subprocess
import sys
import time

import torch
from _cli import parse_and_set_threads, throughput_parser, write_report
from torch import nn

from skdomain.nn import DeepMergeEncoder, latent_dimension

SHAPE = (3, 75, 75)
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast(device: str, precision: str):
    if precision == "32":
        return torch.autocast(torch.device(device).type, enabled=False)
    return torch.autocast(torch.device(device).type, dtype=DTYPES[precision])


def throughput(device: str, precision: str, steps: int, batch: int) -> dict:
    encoder = DeepMergeEncoder(SHAPE)
    head = nn.Linear(latent_dimension(encoder, SHAPE), 2)
    model = nn.Sequential(encoder, head).to(device)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.randn(2 * batch, *SHAPE, device=device)  # source + target rows
    y = torch.randint(0, 2, (2 * batch,), device=device)

    def sync():
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    def train_step():
        optimizer.zero_grad()
        with autocast(device, precision):
            loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    def infer_step():
        with torch.no_grad(), autocast(device, precision):
            model(x)

    out = {"device": device, "precision": precision, "batch": batch}
    for name, step in (("train", train_step), ("inference", infer_step)):
        step()  # warm-up
        sync()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        out[f"{name}_images_per_s"] = round(steps * 2 * batch / (time.perf_counter() - start), 1)
    return out


def main(argv=None):
    parser = throughput_parser(__doc__, "devices.json", steps=5, batch=64)
    parser.add_argument("--merger-experiment", action="store_true")
    args = parse_and_set_threads(parser, argv)
    runs = [("cpu", "32"), ("cpu", "bf16")]
    if torch.cuda.is_available():
        runs += [("cuda", "32"), ("cuda", "bf16"), ("cuda", "fp16")]
    rows = []
    for device, precision in runs:
        rows.append(throughput(device, precision, args.steps, args.batch))
        print(rows[-1], flush=True)
    report = {"torch": torch.__version__, "threads": args.threads, "runs": rows,
              "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None}
    if args.merger_experiment and torch.cuda.is_available():
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "skdomain", "mergers", "--device", "cuda",
                        "--output", "benchmarks/results/mergers-full"], check=True)
        report["merger_experiment_wall_s"] = round(time.perf_counter() - start, 1)
    write_report(args.output, report)


if __name__ == "__main__":
    main()
