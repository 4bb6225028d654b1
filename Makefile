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
# starts one with .ci/postgres.sh), tests/survey and tests/browser again on it. Only those two touch
# a database (the forms, analysis and client-parity tests never do), so this runs every test that
# has a database on both.
test: lint
	env -u SURVEY_TEST_DATABASE_URL $(BIN)/python -m pytest
	@if [ -n "$$SURVEY_TEST_POSTGRES_URL" ]; then \
		echo "== tests/survey and tests/browser on PostgreSQL"; \
		SURVEY_TEST_DATABASE_URL="$$SURVEY_TEST_POSTGRES_URL" $(BIN)/python -m pytest tests/survey tests/browser; \
	fi

.PHONY: demo
# The demo database is its own SQLite file, so a real SURVEY_DATABASE_URL is never touched.
demo: install
	$(BIN)/survey demo --db sqlite:///tanfang-demo.sqlite3

.PHONY: messages
# Refresh the translations after adding or changing text (docs/i18n.md): pull every _(), ngettext()
# and N_() into survey/locale/messages.pot, then merge it into each language's messages.po, where new
# and changed messages wait (empty or fuzzy) for a translator. tests/survey/test_i18n.py fails until
# they are translated.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -o survey/locale/messages.pot --project=Tanfang \
		--copyright-holder=Tanfang --add-comments=Translators: --sort-by-file --width=110 .
	$(BIN)/pybabel update -i survey/locale/messages.pot -d survey/locale -D messages --width=110
