# One Makefile: CI runs the same targets a person runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit golden sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/salesmetrics validate --config sample_data/report.yaml --max-reject-rate 0.01

lint: $(STAMP)
	$(BIN)/ruff check salesmetrics tests sample_data
	$(BIN)/ruff format --check salesmetrics tests sample_data
	$(BIN)/mypy salesmetrics

unit: $(STAMP)
	$(BIN)/pytest

test: lint unit

# Rewrite the golden files from the current code; review `git diff tests/golden` before committing.
golden: $(STAMP)
	SALESMETRICS_UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/test_pipeline.py -k golden

sample: $(STAMP)
	$(BIN)/python sample_data/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
