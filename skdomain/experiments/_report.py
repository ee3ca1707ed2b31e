"""Small helpers shared by the experiments: tables, figures and the Markdown report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["Report", "mean_std_table"]


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

    def __init__(self, output_dir, title: str):
        self.output_dir = Path(output_dir)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.lines = [f"# {title}", ""]

    def text(self, markdown: str) -> None:
        self.lines += [markdown.strip(), ""]

    def table(
        self, name: str, frame: pd.DataFrame, caption: str | None = None, index: bool = True
    ) -> None:
        frame.to_csv(self.output_dir / f"{name}.csv", index=index)
        if caption:
            self.lines += [f"**{caption}** (`{name}.csv`)", ""]
        self.lines += [_markdown_table(frame, index=index), ""]

    def figure(self, name: str, fig, caption: str) -> None:
        import matplotlib.pyplot as plt  # only once there is a figure to close

        fig.savefig(self.output_dir / f"{name}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.lines += [f"![{caption}]({name}.png)", "", f"*{caption}*", ""]

    def write(self) -> Path:
        path = self.output_dir / "report.md"
        path.write_text("\n".join(self.lines))
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
