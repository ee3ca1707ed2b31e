"""The ``skdomain`` command: the demo and the seed experiments.

Settings and the output folder are checked before any model trains; an error
ends the command with one line on stderr and exit status 1 (``--verbose``
shows the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .experiments import EXPERIMENTS, get_experiment

DEMO_PARTS = ["demo", *[name for name in EXPERIMENTS if name != "demo"]]

#: What each experiment does, in plain words (``skdomain list``, ``--help``).
DESCRIPTIONS = {
    "demo": "two moons whose target is rotated: no adaptation vs MMD vs DANN (about a minute)",
    "mergers": "galaxy-merger images, simulated to observed and across noise levels: "
    "MMD and DANN vs no adaptation",
    "clusters": "galaxy-cluster masses on generated data whose observations differ from the "
    "simulations: scaling relations vs neural networks",
    "morphology": "galaxy morphologies from one survey to another, whose images include a "
    "class never seen in training (strong lenses)",
    "hubble": "real galaxies of the Hubble Deep Field as the unlabeled target of a "
    "morphology model trained on generated images: shift, adaptation, predictions",
    "robustness": "how galaxy-morphology classifiers degrade under noise, blur, compression "
    "and one-pixel attacks, with and without adaptation",
}


class CommandError(Exception):
    """A problem with the command line, reported as one line."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _describe(name: str) -> str:
    return DESCRIPTIONS.get(name, name)


def _version() -> str:
    from importlib.metadata import version

    return version("skdomain")


def _parser() -> argparse.ArgumentParser:
    formatter = _Defaults
    parser = argparse.ArgumentParser(
        prog="skdomain",
        description="Domain adaptation for science: a demo and the seed experiments.",
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub):
        sub.add_argument(
            "--seeds", type=_positive_int, default=None,
            help="number of repetitions with new data and weights (default: the "
            "experiment's own number)",
        )
        sub.add_argument(
            "--device", default="cpu",
            help='torch device of every network, e.g. "cuda" or "auto"',
        )
        sub.add_argument(
            "--verbose", action="store_true", help="show the full traceback of an error"
        )

    parts = "\n".join(f"  {name}: {_describe(name)}" for name in DEMO_PARTS)
    demo = commands.add_parser(
        "demo",
        help="run the moons demo and every experiment in quick mode, with an index report",
        description="Run these parts in quick mode on synthetic data:\n" + parts,
        formatter_class=_RawDefaults,
    )
    demo.add_argument("--output", default="skdomain-output", help="output folder")
    demo.add_argument(
        "--only", nargs="+", choices=DEMO_PARTS, default=None,
        help="run only these parts (default: all)",
    )
    common(demo)

    experiments = "\n".join(f"  {name}: {_describe(name)}" for name in sorted(EXPERIMENTS))
    experiment = commands.add_parser(
        "experiment", help="run one experiment",
        description="Run one experiment and write its report:\n" + experiments,
        formatter_class=_RawDefaults,
    )
    experiment.add_argument("name", choices=sorted(EXPERIMENTS), help="the experiment")
    experiment.add_argument("--quick", action="store_true", help="small, fast version")
    experiment.add_argument(
        "--output", default=None, help="output folder (default: skdomain-output/NAME)"
    )
    common(experiment)

    commands.add_parser(
        "list", help="list the experiments", formatter_class=formatter,
    )
    return parser


class _Defaults(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except ``None`` (its help says what it means)."""

    def _get_help_string(self, action):
        if action.default is None or isinstance(action.default, bool):
            return action.help
        return super()._get_help_string(action)


class _RawDefaults(argparse.RawDescriptionHelpFormatter, _Defaults):
    """Descriptions kept as written (one line per experiment), defaults shown."""


def _check_output(path: Path) -> None:
    """Fail now, not after training, if ``path`` cannot become a writable folder."""
    for parent in [path, *path.parents]:
        if parent.exists():
            if not parent.is_dir():
                what = "is a file" if parent == path else f"is under the file {parent}"
                raise CommandError(f"--output {path} {what}; choose a folder.")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise CommandError(f"--output {path}: {parent} is not writable.")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise CommandError(f"--output {path} cannot be written: {error.strerror}.") from None


def _check_device(device: str) -> None:
    from .base import _resolve_device

    try:
        _resolve_device(device)
    except ValueError as error:
        raise CommandError(f"--device: {error}") from None


def _run_demo(args) -> int:
    output = Path(args.output)
    parts = args.only or DEMO_PARTS
    modules = {}
    failures = []
    for part in parts:
        try:
            modules[part] = get_experiment(part)
        except ModuleNotFoundError as error:
            print(f"skipped {part}: {error}", file=sys.stderr)
            failures.append(part)
    index = ["# skdomain demo", "", "Each part ran in quick mode on synthetic data.", ""]
    for part, module in modules.items():
        print(f"== {part} ==", flush=True)
        start = time.perf_counter()
        report = module.run(
            output / part, quick=True, n_seeds=args.seeds, verbose=True, device=args.device
        )
        minutes = (time.perf_counter() - start) / 60
        index.append(f"- [{part}]({report.relative_to(output)}) ({minutes:.1f} min)")
    (output / "index.md").write_text("\n".join(index) + "\n")
    print(f"Report index: {output / 'index.md'}")
    return 1 if failures else 0


def _run(args) -> int:
    if args.command == "list":
        for name in sorted(EXPERIMENTS):
            print(f"{name:12s} {_describe(name)}")
        return 0
    _check_device(args.device)
    output = Path(
        args.output if args.output is not None else f"skdomain-output/{args.name}"
    )
    _check_output(output)
    # The command writes PNG files and shows nothing: a non-interactive backend
    # for this process only (the library itself never selects one).
    import matplotlib

    matplotlib.use("Agg")
    if args.command == "demo":
        return _run_demo(args)
    report = get_experiment(args.name).run(
        output, quick=args.quick, n_seeds=args.seeds, verbose=True, device=args.device
    )
    print(f"Report: {report}")
    return 0


def main(argv=None) -> int:
    """Entry point of the ``skdomain`` console script.

    Returns the exit status: 0 on success, 1 on an error (reported as one line
    on stderr; ``--verbose`` adds the traceback), 2 for a bad command line.
    """
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("skdomain: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - every error becomes one line
        if getattr(args, "verbose", False):
            traceback.print_exc()
        message = str(error).strip().splitlines()
        detail = message[0] if message else ""
        kind = "" if isinstance(error, CommandError) else f"{type(error).__name__}: "
        print(f"skdomain: error: {kind}{detail}", file=sys.stderr)
        if not getattr(args, "verbose", False) and not isinstance(error, CommandError):
            print("(run again with --verbose for the full traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
