# One gate for people and CI: `make test`. `make demo` runs the whole job locally.
# Every target installs what it needs into .venv from the repo's own requirement files.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REQS := $(wildcard requirements/*.txt) functions/phase_ai_call/requirements.txt
STAMP := $(VENV)/.installed-$(shell cat $(REQS) | sha1sum | cut -c1-10)

.DEFAULT_GOAL := help
.PHONY: help setup test lint typecheck pytest coverage unit integration demo api bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(STAMP): $(REQS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

# The `igny8` command: this checkout installed in editable mode (its dependencies are the pins above).
$(VENV)/bin/igny8: pyproject.toml $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@rm -rf igny8_serverless.egg-info
	@touch $@

setup: $(STAMP) $(VENV)/bin/igny8 ## Create .venv, install the dependencies and the igny8 command

lint: setup ## ruff, and the layer contracts of pyproject.toml (import-linter)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: setup ## mypy (pydantic plugin)
	$(PY) -m mypy shared functions local_stack scripts bench igny8_cli

pytest: setup ## All tests (the CI gate; `make coverage` measures coverage, about twice as slow)
	$(PY) -m pytest -q

coverage: setup ## All tests with line coverage
	$(PY) -m pytest -q --cov --cov-report=term

unit: setup ## Unit tests only
	$(PY) -m pytest -q tests/unit

integration: setup ## Integration tests (real state machine on the local stack)
	$(PY) -m pytest -q tests/integration

test: lint typecheck check-template pytest ## The CI gate: lint, types, template checks, tests

demo: setup ## igny8 run on the sample keywords: clusters -> ideas -> articles, exports, report in out/
	$(VENV)/bin/igny8 run data/sample_keywords.csv --out out

api: setup ## Serve the HTTP API on 127.0.0.1:3000 over the local stack
	$(PY) scripts/serve_api.py

BENCH_VENV := .venv-bench

bench: setup ## Benchmarks: cold start, clustering quality (MiniLM, own venv), clustering and job scale
	$(PY) bench/cold_start.py
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements/bench.txt
	$(BENCH_VENV)/bin/python bench/clustering_quality.py
	$(PY) bench/cluster_algorithm_scale.py
	$(PY) bench/cluster_scale.py --sizes 1000,10000,50000
	$(PY) bench/api_latency.py --keywords 50000

clean: ## Remove build and run outputs
	rm -rf .aws-sam out .coverage .mypy_cache .ruff_cache

# ---------------------------------------------------------------- AWS: template checks, sam build
# The SAM CLI and cfn-lint live in their own venv (their boto3 pins differ from the runtime's);
# asl-validator comes from package-lock.json. Both are reinstalled only when their pins change.
TOOLS_VENV := .venv-tools
TOOLS_PY := $(TOOLS_VENV)/bin/python
TOOLS_STAMP := $(TOOLS_VENV)/.installed-$(shell cat requirements/tools.txt | sha1sum | cut -c1-10)
NODE_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json | sha1sum | cut -c1-10)
SAM := SAM_CLI_TELEMETRY=0 $(TOOLS_VENV)/bin/sam

.PHONY: check-template build

$(TOOLS_STAMP): requirements/tools.txt
	@test -x $(TOOLS_PY) || $(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(TOOLS_PY) -m pip install -q --disable-pip-version-check -r requirements/tools.txt
	@rm -f $(TOOLS_VENV)/.installed-*
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

check-template: $(TOOLS_STAMP) $(NODE_STAMP) ## Template checks: sam validate --lint, cfn-lint + serverless rules, ASL validator
	scripts/check_template.sh

# Lambda allows 250 MB unzipped per function with its layers: the build fails above half of it.
ARTIFACT_BUDGET_MB := 125

build: $(TOOLS_STAMP) ## sam build without Docker (arm64, python3.12 wheels cross-installed); prints artifact sizes
	$(SAM) build --template template.yaml
	@echo "Built artifacts (unzipped; Lambda allows 250 MB per function including its layers):"
	@du -sh .aws-sam/build/*/
	@layer=$$(du -sm .aws-sam/build/SharedLayer | cut -f1); max=0; for dir in .aws-sam/build/*Function; do \
	  total=$$(( $$(du -sm $$dir | cut -f1) + layer )); test $$total -le $$max || max=$$total; \
	  test $$total -le $(ARTIFACT_BUDGET_MB) || { echo "$$dir with the layer: $$total MB, over $(ARTIFACT_BUDGET_MB) MB" >&2; exit 1; }; \
	done; echo "Largest function with the layer: $$max MB unzipped (budget $(ARTIFACT_BUDGET_MB) MB)"

# `sam build` runs `make build-<LogicalId>` here (template Metadata: BuildMethod makefile,
# ContextPath and WorkingDirectory "."), with ARTIFACTS_DIR set, for the layer and each function.
build-%: $(TOOLS_STAMP)
	@test -n "$(ARTIFACTS_DIR)" || { echo "build-$*: run by sam build (make build), which sets ARTIFACTS_DIR" >&2; exit 1; }
	$(TOOLS_PY) scripts/build_lambda.py $* --out "$(ARTIFACTS_DIR)"
