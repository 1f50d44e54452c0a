# The two commands the README starts with: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench bench-ssb bench-ssb-peer clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

run: install
	$(BIN)/crmwh demo init
	$(BIN)/crmwh load
	$(BIN)/crmwh status
	$(BIN)/crmwh sql "SELECT schema_name, table_name, estimated_size AS rows FROM duckdb_tables() WHERE schema_name = 'core' ORDER BY 2"
	@echo "Query it:  $(BIN)/crmwh sql \"SELECT * FROM core.fact_sales_line LIMIT 5\""
	@echo "Dagster UI: DAGSTER_HOME=\$$($(BIN)/crmwh home)/dagster $(BIN)/dagster dev -m pipelines.definitions"

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench: install
	$(BIN)/python -m bench.full_load

BSL_VENV ?= .venv-bsl

bench-ssb: install
	$(BIN)/python -m bench.ssb --sf 1

# The peer semantic layer for the SSB bench, in its own venv (it pins ibis 11 and more).
bench-ssb-peer:
	$(PYTHON) -m venv $(BSL_VENV)
	$(BSL_VENV)/bin/pip install -q --disable-pip-version-check -r bench/ssb/requirements-bsl.txt

clean:
	rm -rf .crmwh
