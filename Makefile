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

# The whole suite on SQLite; then, when SURVEY_TEST_POSTGRES_URL names a PostgreSQL database (CI
# starts one with .ci/postgres.sh), tests/survey again on it. Only tests/survey touches a database
# (the forms and analysis tests never do), so this runs every test that has a database on both.
test: lint
	env -u SURVEY_TEST_DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$$SURVEY_TEST_POSTGRES_URL" ]; then \
		echo "== tests/survey on PostgreSQL"; \
		SURVEY_TEST_DATABASE_URL="$$SURVEY_TEST_POSTGRES_URL" $(BIN)/python -m pytest tests/survey; \
	fi

.PHONY: demo
# The demo database is its own SQLite file, so a real SURVEY_DATABASE_URL is never touched.
demo: install
	$(BIN)/survey demo --db sqlite:///tanfang-demo.sqlite3
