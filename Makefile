# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
# Everything else (virtual environment, pinned install, dbt manifest) is prepared on the way.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
DBT_SOURCES := $(shell find dbt_project -name '*.sql' -o -name '*.yml' -not -path '*/target/*' 2>/dev/null)
# A deployment (SCORECARD_HOME, an absolute path) keeps its Dagster instance in its own data/.
export DAGSTER_HOME ?= $(or $(SCORECARD_HOME),$(CURDIR))/data/dagster_home

.PHONY: install manifest demo test lint dagster bench-run bench-attribution bench-backfill bench-validation bench-landing bench-scale lock clean

install: $(VENV)/.installed

# --compile-bytecode: machines (and CI) that set PYTHONDONTWRITEBYTECODE would otherwise compile
# every imported module from source in every process (dbt, Dagster and great-expectations: seconds each).
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

manifest: dbt_project/target/manifest.json

dbt_project/target/manifest.json: $(VENV)/.installed $(DBT_SOURCES) pipelines/scoring/kpi_catalogue.yaml
	$(BIN)/python -m assets.dbt_project

demo: install manifest
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/scorecard demo

test: install manifest
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Runs launched from the UI record one planned event per asset for a range, and the instance
# uses the project's event log, as CLI runs do (assets/runner.py: dagster_instance).
dagster: install manifest
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/python -c "from assets.runner import dagster_instance; dagster_instance().dispose()"
	DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=true $(BIN)/dagster dev -w workspace.yaml

bench-run: install manifest
	$(BIN)/python -m benchmarks.run

bench-attribution: install manifest
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock -e '.[bench]'
	$(BIN)/python -m benchmarks.attribution

bench-backfill: install manifest
	$(BIN)/python -m benchmarks.backfill

bench-validation: install
	$(BIN)/python -m benchmarks.validation

bench-landing: install
	$(BIN)/python -m benchmarks.landing

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) data dbt_project/target

bench-scale: install manifest
	$(BIN)/python -m benchmarks.scale
