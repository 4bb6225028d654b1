# Two commands for a fresh machine: `make demo` runs Tanfang, `make test` runs the tests.
# Both create .venv and install the project into it first (once; again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/survey: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@

.PHONY: install test lint
install: $(BIN)/survey

lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

.PHONY: demo
demo: install
	@echo "The demo arrives with the server (survey demo). For now: $(BIN)/survey forms check forms/library/*.toml"
	@exit 1
