"""Small helpers shared by the experiments: tables, figures and the Markdown report."""

from __future__ import annotations

import os
import platform
import shlex
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["Report", "mean_std_table", "provenance"]

#: Packages whose versions every report records.
_PACKAGES = ("skdomain", "torch", "skorch", "scikit-learn", "numpy", "scipy", "pandas",
             "matplotlib")


def provenance(device: str = "cpu") -> dict:
    """What produced a report: command line, package versions, device, platform.

    Parameters
    ----------
    device : str, default="cpu"
        Torch device the experiment's networks ran on.

    Returns
    -------
    dict
        ``command``, ``python``, ``platform``, ``device`` and ``packages``
        (name -> version, ``"not installed"`` when missing).

    Examples
    --------
    >>> info = provenance()
    >>> sorted(info)
    ['command', 'device', 'packages', 'platform', 'python']
    >>> "torch" in info["packages"]
    True
    """
    packages = {}
    for name in _PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    argv = getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]
    return {
        "command": shlex.join(argv),
        "python": platform.python_version(),
        "platform": f"{platform.platform()}, {os.cpu_count()} CPU cores",
        "device": _describe_device(device),
        "packages": packages,
    }


def _describe_device(device: str) -> str:
    import torch

    text = f"{device} (torch threads: {torch.get_num_threads()})"
    if str(device).startswith("cuda") and torch.cuda.is_available():
        text += f", GPU: {torch.cuda.get_device_name(torch.device(device))}"
    return text


def mean_std_table(
    frame: pd.DataFrame, by, columns, decimals: int = 3, ddof: int = 1
) -> pd.DataFrame:
    """``mean ± std`` strings of ``columns`` grouped by ``by`` (std over seeds).

    ``ddof=1`` (default) gives the sample standard deviation over the seeds,
    ``ddof=0`` the population one; a group of one row gets a std of 0.

    Examples
    --------
    >>> df = pd.DataFrame({"method": ["a", "a"], "acc": [0.5, 0.7]})
    >>> mean_std_table(df, "method", ["acc"]).loc["a", "acc"]
    '0.600 ± 0.141'
    """
    grouped = frame.groupby(by, sort=False)[list(columns)]
    means, stds = grouped.mean(), grouped.std(ddof=ddof).fillna(0.0)
    table = pd.DataFrame(index=means.index)
    for column in columns:
        table[column] = [
            f"{m:.{decimals}f} ± {s:.{decimals}f}"
            for m, s in zip(means[column], stds[column], strict=True)
        ]
    return table


class Report:
    """Collects sections, tables (also written as CSV) and figures (PNG) into report.md.

    The written report ends with its provenance (:func:`provenance`): the exact
    command line, the package versions and the device.

    Parameters
    ----------
    output_dir : str or path-like
        Folder of ``report.md`` and its tables and figures (created).
    title : str
        First heading of the report.
    device : str, default="cpu"
        Torch device of the experiment, recorded in the provenance.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     r = Report(d, "Demo")
    ...     r.text("Hello.")
    ...     r.table("scores", pd.DataFrame({"acc": [0.9]}))
    ...     path = r.write()
    ...     print(path.name, sorted(p.name for p in Path(d).iterdir()))
    report.md ['report.md', 'scores.csv']
    """

    def __init__(self, output_dir: str | os.PathLike, title: str, device: str = "cpu") -> None:
        self.device = device
        self.output_dir = Path(output_dir)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.lines = [f"# {title}", ""]

    def text(self, markdown: str) -> None:
        """Append a Markdown paragraph or section."""
        self.lines += [markdown.strip(), ""]

    def table(
        self, name: str, frame: pd.DataFrame, caption: str | None = None, index: bool = True
    ) -> None:
        """Append ``frame`` as a Markdown table and write it to ``name.csv``."""
        frame.to_csv(self.output_dir / f"{name}.csv", index=index)
        if caption:
            self.lines += [f"**{caption}** (`{name}.csv`)", ""]
        self.lines += [_markdown_table(frame, index=index), ""]

    def figure(self, name: str, fig, caption: str) -> None:
        """Save ``fig`` as ``name.png``, close it and append it with its caption."""
        import matplotlib.pyplot as plt  # only once there is a figure to close

        fig.savefig(self.output_dir / f"{name}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.lines += [f"![{caption}]({name}.png)", "", f"*{caption}*", ""]

    def write(self) -> Path:
        """Write ``report.md``, ending with the provenance, and return its path."""
        info = provenance(self.device)
        footer = [
            "## Provenance",
            "",
            f"- command: `{info['command']}`",
            f"- device: {info['device']}",
            f"- Python {info['python']} on {info['platform']}",
            "- packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()),
            "",
        ]
        path = self.output_dir / "report.md"
        path.write_text("\n".join([*self.lines, *footer]))
        return path


def _markdown_table(frame: pd.DataFrame, index: bool = True) -> str:
    frame = frame.reset_index() if index else frame

    def cell(value):
        if isinstance(value, float | np.floating):
            return f"{value:.4g}"
        return str(value)

    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])
