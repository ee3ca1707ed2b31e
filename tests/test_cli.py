"""End to end: the ``skdomain`` command writes a report with tables and figures."""

import subprocess
import sys

import pandas as pd

from skdomain.cli import main


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
