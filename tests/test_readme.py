"""The README's first example runs and prints the numbers its comments show."""

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def first_example():
    text = README.read_text()
    start = text.index("## A first example")
    return re.search(r"```python\n(.*?)```", text[start:], re.S).group(1)


def test_readme_example_prints_what_it_says():
    code = first_example()
    claimed = [float(v) for v in re.findall(r"print\(.*\)\s+#\s*([0-9.]+)", code)]
    assert len(claimed) == 2, "the example should print the baseline and the adapted score"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})
    printed = [float(v) for v in out.getvalue().split()]
    assert printed == pytest.approx(claimed, abs=0.006)
