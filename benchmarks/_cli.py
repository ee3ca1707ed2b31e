"""Command-line plumbing shared by the throughput benchmarks (devices, serving)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch


def throughput_parser(doc: str, output_name: str, **int_options: int) -> argparse.ArgumentParser:
    """Parser with the benchmark's integer options, ``--threads`` and ``--output``.

    ``int_options`` maps option names (underscores become dashes) to their
    defaults; ``--output`` defaults to ``benchmarks/results/<output_name>``.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in int_options.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results") / output_name)
    return parser


def parse_and_set_threads(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse ``argv`` and limit torch to ``--threads`` CPU threads."""
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    return args


def write_report(path: Path, report: dict) -> None:
    """Write ``report`` as indented JSON to ``path``, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
