# The two commands users need: `make demo` (set up, generate demo data, build)
# and `make test` (set up, then every test and lint). Everything else is a step
# of those or a benchmark; `make` alone (or `make help`) lists them all.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt

# Where raw data and the warehouse live; both may be overridden from the environment.
RAW_DATA_DIR ?= data/raw
TRUTH_DIR ?= data/truth
DOC_COVERAGE_REPORT ?= $(abspath data/doc_coverage.txt)
# pytest-xdist workers for `make pytest`: one per core (auto), or a number; 0 runs the suite in one process
PYTEST_WORKERS ?= auto
# OpenMP threads of each pytest worker (xgboost, scikit-learn): the workers already fill the cores, and the
# OpenMP threads of two workers training at once spin against each other on them (two concurrent demo
# builds: about 4% less time with 1 thread; in one such pair the predictive training took 44 s instead of 8)
PYTEST_OMP_THREADS ?= 1
DUCKDB_PATH ?= data/warehouse.duckdb
# Demo data size and shape.
CONTACTS ?= 5000
DAYS ?= 365
SEED ?= 42
END_DATE ?=
# Extra dbt vars, e.g. DBT_VARS='{"as_of_date": "2026-06-01"}'
DBT_VARS ?= {}

export RAW_DATA_DIR := $(abspath $(RAW_DATA_DIR))
export DUCKDB_PATH := $(abspath $(DUCKDB_PATH))
# The copy readers (BI tools, notebooks, the preview) open: a build never locks it.
DUCKDB_PUBLISHED_PATH ?= data/warehouse.published.duckdb
export DUCKDB_PUBLISHED_PATH := $(abspath $(DUCKDB_PUBLISHED_PATH))
MODEL_DIR ?= data/models
export MODEL_DIR := $(abspath $(MODEL_DIR))
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.DEFAULT_GOAL := help
.PHONY: help setup setup-dev setup-spark test-spark demo data build freshness test lint lint-sql lint-python semantic pytest bench bench-experiments bench-activation bench-scale bench-memory-limits bench-ml bench-cdnow bench-ml100k bench-completejourney bench-recs bench-serve preview serve api-key publish report setup-browser docs clean

## help: list the targets and what they do (the default goal)
help:
	@awk '/^## [A-Za-z0-9_-]+: / { sub(/^## /, ""); n = index($$0, ":"); \
		printf "  %-24s %s\n", substr($$0, 1, n - 1), substr($$0, n + 2) }' $(firstword $(MAKEFILE_LIST))

PIP_FLAGS ?= --quiet --disable-pip-version-check

# Stamps: each install reruns when a file it installs from changes.
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -r requirements.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install $(PIP_FLAGS) -r requirements-dev.txt
	touch $@

## setup: create the virtual environment: runtime requirements and the project's package (python_udfs)
setup: $(VENV)/.installed

## setup-dev: setup, plus the lint and test tools of requirements-dev.txt (pytest, ruff, sqlfluff, pre-commit)
setup-dev: $(VENV)/.installed-dev

## demo: set up, generate the demo raw data, run dbt build on embedded DuckDB
demo: setup data build

## data: generate the demo raw data (CONTACTS, DAYS, SEED, END_DATE)
data: setup
	$(BIN)/python scripts/generate_demo_data.py --contacts $(CONTACTS) --days $(DAYS) --seed $(SEED) \
		$(if $(END_DATE),--end-date $(END_DATE)) --out $(RAW_DATA_DIR) --truth-out $(TRUTH_DIR)

## build: dbt build (seeds, models, data tests) against whatever raw data is configured.
## Unit tests check the project's logic on its own fixtures: `make test` runs them, not builds.
## After a successful build the warehouse is published to DUCKDB_PUBLISHED_PATH for readers.
build: setup
	@mkdir -p $(dir $(DUCKDB_PATH))
	$(DBT) build --exclude-resource-type unit_test --vars '$(DBT_VARS)'
	$(BIN)/python scripts/publish_warehouse.py

## freshness: is every raw table with a time fresh? (dbt source freshness; non-zero exit when a loader stopped)
freshness: setup
	$(DBT) source freshness --select "source:*" --vars '$(DBT_VARS)'

## publish: copy the warehouse to DUCKDB_PUBLISHED_PATH, where readers connect while builds run
publish: setup
	$(BIN)/python scripts/publish_warehouse.py

## test: set up, then lint (ruff, sqlfluff) and every test (pytest: unit + end-to-end dbt builds)
test: setup-dev setup-browser lint pytest

# The report's browser test renders every page in headless Chromium (Debian's package, installed as root
# or through sudo). The stamp lives in the venv, so a new venv checks again.
$(VENV)/.browser: | $(VENV)/.installed
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }
	chromium --version
	touch $@

## setup-browser: install headless Chromium (Debian's chromium package) for the report's browser test
setup-browser: $(VENV)/.browser

# Apache Spark for test-spark: dbt-spark and pyspark (requirements-spark.txt), and a Java 17 runtime
# (Debian's default-jre-headless, as root or through sudo) when none is on the PATH.
$(VENV)/.installed-spark: $(VENV)/.installed requirements-spark.txt
	$(BIN)/pip install $(PIP_FLAGS) -r requirements-spark.txt
	@command -v java >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq default-jre-headless; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq default-jre-headless; fi; }
	java -version
	touch $@

## setup-spark: setup, plus dbt-spark, pyspark (requirements-spark.txt) and a Java runtime if missing
setup-spark: $(VENV)/.installed-spark

## test-spark: the SQL layer on a real local Spark (Spark Connect), compared row by row with DuckDB (scripts/test_spark.py)
test-spark: setup-spark
	$(BIN)/python scripts/test_spark.py

## lint: ruff, sqlfluff and the semantic layer's static validation, as CI runs them
lint: lint-python lint-sql semantic

## lint-python: ruff check and ruff format --check
lint-python: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## lint-sql: sqlfluff (dbt templater) over models, tests and analyses
lint-sql: setup-dev
	DUCKDB_PATH=$$(mktemp -d)/lint.duckdb $(BIN)/sqlfluff lint models tests analyses --processes 2

## semantic: validate the semantic layer (models/marts/semantic): dbt parse, then MetricFlow's mf validate-configs
## Static checks only (--skip-dw): tests/python/test_semantic_layer.py queries the metrics on a demo build.
## mf reads target/semantic_manifest.json, which dbt parse writes; the throwaway warehouse keeps the real one free.
semantic: setup
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		DUCKDB_PATH=$$tmp/semantic.duckdb $(DBT) parse --quiet && \
		DUCKDB_PATH=$$tmp/semantic.duckdb $(BIN)/mf validate-configs --skip-dw --show-all

## pytest: every Python test (unit + end-to-end dbt builds), then the marts' documentation coverage (dbt-coverage)
pytest: setup-dev
	@mkdir -p $(dir $(DOC_COVERAGE_REPORT)) && rm -f $(DOC_COVERAGE_REPORT)
	DOC_COVERAGE_REPORT=$(DOC_COVERAGE_REPORT) OMP_NUM_THREADS=$(PYTEST_OMP_THREADS) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=25
	@if [ -f $(DOC_COVERAGE_REPORT) ]; then echo "Documentation coverage of the marts (dbt-coverage):"; cat $(DOC_COVERAGE_REPORT); fi

# Benchmarks live in benchmarks/ (their helpers and peers beside them); the demo-data generator they use is in scripts/.
BENCH_PYTHON := PYTHONPATH=$(CURDIR)/scripts $(BIN)/python

## bench: generate CONTACTS contacts, build, print per-model time, wall time and peak memory
bench: setup
	$(BENCH_PYTHON) benchmarks/bench.py --contacts $(CONTACTS) --days $(DAYS) --seed $(SEED) --vars '$(DBT_VARS)'

## bench-experiments: time the experiment layer on ASSIGNMENTS assignments (default one million) with three metrics
ASSIGNMENTS ?= 1000000
bench-experiments: setup
	$(BENCH_PYTHON) benchmarks/bench_experiments.py --assignments $(ASSIGNMENTS)

## bench-activation: time the activation and export layer for CONTACTS contacts (default 100000)
bench-activation: setup
	$(BENCH_PYTHON) benchmarks/bench_activation.py --contacts $(if $(filter 5000,$(CONTACTS)),100000,$(CONTACTS))

## bench-scale: CONTACTS (default 1,000,000) contacts: generate, full build, one new hour of events, the refresh selector;
## per stage wall time, peak memory and the 15 slowest nodes (~30 min at 1 M; CONTACTS=10000 for a quick run)
bench-scale: setup
	$(BENCH_PYTHON) benchmarks/bench_scale.py --contacts $(if $(filter 5000,$(CONTACTS)),1000000,$(CONTACTS))

## bench-memory-limits: after bench-scale, its heaviest SQL models each alone at DuckDB memory limits from 500MB to 3GB
bench-memory-limits: setup
	$(BENCH_PYTHON) benchmarks/bench_memory_limits.py --work data/bench/scale/$(if $(filter 5000,$(CONTACTS)),1000000,$(CONTACTS))

## bench-ml: time training + scoring, then scoring only, for CONTACTS contacts (default 100000)
bench-ml: setup
	$(BENCH_PYTHON) benchmarks/bench_ml.py --contacts $(if $(filter 5000,$(CONTACTS)),100000,$(CONTACTS))

## bench-cdnow: real purchases (CDNOW): the project's propensity against BG/NBD and recency
bench-cdnow: setup
	$(BENCH_PYTHON) benchmarks/bench_cdnow.py

## bench-ml100k: MovieLens 100k: the project's recommendations against popularity, item-kNN and EASE
bench-ml100k: setup
	$(BENCH_PYTHON) benchmarks/bench_ml100k.py

## bench-completejourney: real grocery purchases (The Complete Journey): the project's recommendations and scores against peers
bench-completejourney: setup
	$(BENCH_PYTHON) benchmarks/bench_completejourney.py

## bench-recs: CONTACTS (default 100000) contacts, PRODUCTS products (default 5,000): time and memory of recommending for everyone
PRODUCTS ?=
bench-recs: setup
	$(BENCH_PYTHON) benchmarks/bench_recs.py --contacts $(or $(filter-out 5000,$(CONTACTS)),100000) \
		$(if $(PRODUCTS),--products $(PRODUCTS))

## bench-serve: the API on CONTACTS (default 100000) contacts: req/s, p50/p95/p99 latency, peak memory, and while a build publishes
## SERVE_WORKERS server processes (default 1); BENCH_SERVE_ARGS passes more options (e.g. --reuse, --phase2 publish)
BENCH_SERVE_ARGS ?=
bench-serve: setup
	$(BENCH_PYTHON) benchmarks/bench_serve.py --contacts $(if $(filter 5000,$(CONTACTS)),100000,$(CONTACTS)) \
		--workers $(SERVE_WORKERS) $(BENCH_SERVE_ARGS)

## preview: render a sample personalised email for EMAIL (default: the first member) to data/preview.html
## EMAIL reaches the script through the environment, never through the shell: an address such as
## o'brien@example.com works, and `EMAIL='x; rm -rf ~'` is only an address that matches nobody.
EMAIL ?=
PREVIEW_OUT ?= data/preview.html
# make would expand EMAIL when exporting it to recipes; only its literal text travels, as PREVIEW_EMAIL
unexport EMAIL
preview: export PREVIEW_EMAIL := $(value EMAIL)
preview: setup
	$(BIN)/python scripts/preview_email.py --out $(PREVIEW_OUT)

## serve: serve the published build over HTTP on SERVE_HOST:SERVE_PORT (docs/api.md): what ESPs fetch per recipient
## It reloads each newly published build without a restart. Keys: `make api-key NAME=...`; EXPOSURE_DIR turns on
## the exposure log the next build reads (docs/api.md).
SERVE_HOST ?= 127.0.0.1
SERVE_PORT ?= 8000
SERVE_WORKERS ?= 1
API_KEYS_FILE ?= data/api_keys.json
export API_KEYS_FILE := $(abspath $(API_KEYS_FILE))
serve: setup
	$(BIN)/python -m personalization_api serve --host $(SERVE_HOST) --port $(SERVE_PORT) --workers $(SERVE_WORKERS) \
		$(if $(EXPOSURE_DIR),--exposure-dir $(EXPOSURE_DIR))

## api-key: create the API key NAME in API_KEYS_FILE and print it once (`python -m personalization_api keys --help`)
NAME ?=
# like EMAIL for preview: only NAME's literal text reaches the command, through the environment
unexport NAME
api-key: export API_KEY_NAME := $(value NAME)
api-key: setup
	@test -n "$$API_KEY_NAME" || { echo "usage: make api-key NAME=braze" >&2; exit 2; }
	@$(BIN)/python -m personalization_api keys add "$$API_KEY_NAME"

## report: the static HTML report of the published build to REPORT_DIR (default data/report/index.html), after `make build`
REPORT_DIR ?= data/report
report: setup
	$(BIN)/python -m reporting --warehouse $(DUCKDB_PUBLISHED_PATH) --out $(REPORT_DIR)

## docs: dbt docs generate (columns, lineage, exposures)
docs: setup
	$(DBT) docs generate --vars '$(DBT_VARS)'

## clean: remove dbt's output, the warehouses and the demo data (not .venv)
clean:
	rm -rf target dbt_packages logs data/warehouse.duckdb data/warehouse.published.duckdb data/raw data/truth
