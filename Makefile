# Two entry points for a fresh clone:
#   make demo   -> sets up .venv and runs the demo, writing a report to skdomain-output/
#   make test   -> sets up .venv and runs the test suite
#   make docs   -> installs the docs extra and builds the HTML (warnings are errors) into docs/_build/html
#
# torch: if the environment already has torch, it is kept. Otherwise TORCH_SPEC is
# installed (the CPU build torch==2.13.0 on our reference machine). Elsewhere pick
# your own, e.g.  make test TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cpu"
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.skdomain-installed
OUTPUT ?= skdomain-output
PYTEST_WORKERS ?= 2
MIN_VENV ?= .venv-min
MIN_PACKAGES := numpy scipy pandas scikit-learn skorch matplotlib

.PHONY: install demo test test-min lint bench docs clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet $(TORCH_SPEC)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/skdomain demo --output $(OUTPUT)

test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --durations=15

# The declared lowest versions of the core dependencies (the ">=" floors of
# pyproject.toml), in a separate venv; torch stays TORCH_SPEC.
test-min:
	test -x $(MIN_VENV)/bin/python || $(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MIN_VENV)/bin/python -c "import torch" 2>/dev/null || $(MIN_VENV)/bin/python -m pip install --quiet $(TORCH_SPEC)
	$(MIN_VENV)/bin/python -c "import re, sys, tomllib; \
	deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
	floors = dict(re.fullmatch(r'([A-Za-z0-9_-]+)>=([0-9.]+)', d).groups() for d in deps); \
	print('\n'.join(f'{n}=={floors[n]}' for n in sys.argv[1:]))" $(MIN_PACKAGES) > $(MIN_VENV)/min-constraints.txt
	cat $(MIN_VENV)/min-constraints.txt
	$(MIN_VENV)/bin/python -m pip install --quiet -c $(MIN_VENV)/min-constraints.txt -e ".[dev]"
	$(MIN_VENV)/bin/python -m pip list 2>/dev/null | grep -i -E "^(numpy|scipy|pandas|scikit-learn|skorch|matplotlib|torch) "
	$(MIN_VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check skdomain tests benchmarks

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_moons.py --seeds 5 --output benchmarks/results

docs: $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	rm -rf docs/_build docs/auto_examples docs/api/generated
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) $(MIN_VENV) $(OUTPUT) .pytest_cache .hypothesis docs/_build docs/auto_examples docs/api/generated
