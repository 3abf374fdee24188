# One Makefile: CI runs the same targets a person runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit golden sample clean bench wheel-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The sample company's report for October 2026, its last full month: the terminal view, then
# the same report as an Excel workbook in build/.
demo: $(STAMP)
	$(BIN)/salesmetrics report --config sample_data/report.yaml --period 2026-10 --as-of 2026-11-01
	mkdir -p build
	$(BIN)/salesmetrics report --config sample_data/report.yaml --period 2026-10 --as-of 2026-11-01 \
		--trend 12 --format xlsx --output build/northwind-{period}.xlsx

lint: $(STAMP)
	$(BIN)/ruff check salesmetrics tests sample_data
	$(BIN)/ruff format --check salesmetrics tests sample_data
	$(BIN)/mypy salesmetrics

# The tests on every core (pytest-xdist): each test is independent, and the suite is CPU-bound.
unit: $(STAMP)
	$(BIN)/pytest -n auto

test: lint unit

# Install from a wheel into a fresh virtual environment, as a user does, and run it from a folder
# outside the checkout: presets listed, each preset's fixture recognised with no mapping.
wheel-check:
	bash .ci/wheel_check.sh

# Rewrite the golden files from the current code; review `git diff tests/golden` before committing.
golden: $(STAMP)
	SALESMETRICS_UPDATE_GOLDEN=1 $(BIN)/pytest -q tests -k golden

sample: $(STAMP)
	$(BIN)/python sample_data/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info

# Benchmarks against a DuckDB baseline (issue 7); never part of `make test`. Generates the data
# under benchmarks/data/ (git-ignored, cached), times the reports, checks them against the SQL
# reference and writes benchmarks/RESULTS.md. BENCH_SIZES=small for a quick run.
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_SIZES ?= small,large

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	BENCH_SIZES=$(BENCH_SIZES) $(BIN)/python benchmarks/run.py
