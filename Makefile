# One gate for people and CI: `make test`. `make demo` runs the whole job locally.
# Every target installs what it needs into .venv from the repo's own requirement files.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REQS := $(wildcard requirements/*.txt) functions/phase_ai_call/requirements.txt
STAMP := $(VENV)/.installed-$(shell cat $(REQS) | sha1sum | cut -c1-10)

.DEFAULT_GOAL := help
.PHONY: help setup test lint typecheck pytest unit integration demo api bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(STAMP): $(REQS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP) ## Create .venv and install the dependencies

lint: setup ## ruff
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: setup ## mypy (pydantic plugin)
	$(PY) -m mypy shared functions local_stack scripts bench

pytest: setup ## All tests, with coverage
	$(PY) -m pytest -q --cov --cov-report=term

unit: setup ## Unit tests only
	$(PY) -m pytest -q tests/unit

integration: setup ## Integration tests (real state machine on the local stack)
	$(PY) -m pytest -q tests/integration

test: lint typecheck pytest ## The CI gate: lint, types, template checks, tests

demo: setup ## Cluster the sample keywords -> ideas -> articles on the local stack; writes out/
	$(PY) scripts/demo.py

api: setup ## Serve the HTTP API on 127.0.0.1:3000 over the local stack
	$(PY) scripts/serve_api.py

bench: setup ## Benchmarks: cold-start import times, clustering quality
	$(PY) bench/cold_start.py
	$(PY) bench/clustering_quality.py

clean: ## Remove build and run outputs
	rm -rf .aws-sam out .coverage .mypy_cache .ruff_cache
