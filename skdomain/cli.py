"""The ``skdomain`` command: the demo and the seed experiments."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .experiments import EXPERIMENTS, get_experiment

DEMO_PARTS = ["demo", *[name for name in EXPERIMENTS if name != "demo"]]


def _version() -> str:
    from importlib.metadata import version

    return version("skdomain")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skdomain",
        description="Domain adaptation for science: demo and seed experiments.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo",
        help="run the moons demo and every seed experiment in quick mode, with an index report",
    )
    demo.add_argument("--output", default="skdomain-output", help="output folder")
    demo.add_argument(
        "--only", nargs="+", choices=DEMO_PARTS, default=None,
        help="run only these parts (default: all)",
    )
    demo.add_argument("--seeds", type=int, default=None, help="number of seeds")

    experiment = commands.add_parser("experiment", help="run one experiment")
    experiment.add_argument("name", choices=sorted(EXPERIMENTS))
    experiment.add_argument("--quick", action="store_true", help="small, fast version")
    experiment.add_argument("--seeds", type=int, default=None, help="number of seeds")
    experiment.add_argument("--output", default=None, help="output folder")

    commands.add_parser("list", help="list the experiments")
    return parser


def _run_demo(args) -> int:
    output = Path(args.output)
    parts = args.only or DEMO_PARTS
    index = ["# skdomain demo", "", "Each part ran in quick mode on synthetic data.", ""]
    failures = []
    for part in parts:
        print(f"== {part} ==", flush=True)
        start = time.perf_counter()
        try:
            module = get_experiment(part)
        except ModuleNotFoundError as error:
            print(f"skipped {part}: {error}", file=sys.stderr)
            failures.append(part)
            continue
        report = module.run(output / part, quick=True, n_seeds=args.seeds, verbose=True)
        minutes = (time.perf_counter() - start) / 60
        index.append(f"- [{part}]({report.relative_to(output)}) ({minutes:.1f} min)")
    (output / "index.md").write_text("\n".join(index) + "\n")
    print(f"Report index: {output / 'index.md'}")
    return 1 if failures else 0


def main(argv=None) -> int:
    """Entry point of the ``skdomain`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "list":
        for name in sorted(EXPERIMENTS):
            try:
                doc = (get_experiment(name).__doc__ or "").strip().splitlines()
            except ModuleNotFoundError:
                doc = ["(not available in this installation)"]
            print(f"{name:12s} {doc[0] if doc else ''}")
        return 0
    # The command writes PNG files and shows nothing: a non-interactive backend
    # for this process only (the library itself never selects one).
    import matplotlib

    matplotlib.use("Agg")
    if args.command == "demo":
        return _run_demo(args)
    output = Path(args.output or f"skdomain-output/{args.name}")
    report = get_experiment(args.name).run(
        output, quick=args.quick, n_seeds=args.seeds, verbose=True
    )
    print(f"Report: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
