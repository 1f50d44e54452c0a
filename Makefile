# The two commands the README starts with: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench clean

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

clean:
	rm -rf .crmwh
