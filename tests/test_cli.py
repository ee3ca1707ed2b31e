"""End to end: the ``skdomain`` command writes a report with tables and figures."""

import subprocess
import sys

import pandas as pd

from skdomain.cli import DESCRIPTIONS, main
from skdomain.experiments import EXPERIMENTS


def test_demo_command_writes_report_table_and_figure(tmp_path, capsys):
    assert main(["demo", "--only", "demo", "--seeds", "1", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "[3/3]" in out and "index.md" in out
    report = (tmp_path / "demo" / "report.md").read_text()
    assert "target accuracy" in report and "decision_boundaries.png" in report
    table = pd.read_csv(tmp_path / "demo" / "accuracy_per_seed.csv")
    assert set(table["method"]) == {"source only", "MMD", "DANN"}
    assert table["target accuracy"].between(0, 1).all()
    assert (tmp_path / "demo" / "decision_boundaries.png").stat().st_size > 10_000
    assert "demo/report.md" in (tmp_path / "index.md").read_text()


def test_module_entry_point_lists_experiments():
    result = subprocess.run(
        [sys.executable, "-m", "skdomain", "list"], capture_output=True, text=True, check=True
    )
    assert "demo" in result.stdout


def test_unknown_experiment_is_rejected(capsys):
    try:
        main(["experiment", "no-such-thing"])
    except SystemExit as exit_:
        assert exit_.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_errors_are_one_line_unless_verbose(tmp_path, capsys):
    bad = tmp_path / "a-file"
    bad.write_text("x")
    assert main(["experiment", "demo", "--quick", "--output", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--output" in err and len(err.strip().splitlines()) == 1
    # an error from inside a run: one line, and the traceback with --verbose
    argv = ["experiment", "demo", "--quick", "--output", str(tmp_path / "out"),
            "--device", "nonsense"]
    assert main(argv) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert main([*argv, "--verbose"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_help_shows_defaults_and_plain_descriptions(capsys):
    for argv in (["experiment", "--help"], ["demo", "--help"]):
        try:
            main(argv)
        except SystemExit as exit_:
            assert exit_.code == 0
        out = capsys.readouterr().out
        assert "(default: cpu)" in out and "galaxy-cluster masses" in out
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "seed 0" not in listing
    assert len(listing.strip().splitlines()) == len(EXPERIMENTS)
    assert set(DESCRIPTIONS) == set(EXPERIMENTS)  # every experiment described
    assert all(DESCRIPTIONS[name] in listing for name in EXPERIMENTS)


def test_device_reaches_every_experiment_configuration():
    from skdomain.experiments import EXPERIMENTS, get_experiment

    for name in EXPERIMENTS:
        module = get_experiment(name)
        config = next(
            getattr(module, attr) for attr in dir(module)
            if attr.endswith("Config") and attr != "Config"
        )
        assert config().device == "cpu", name
