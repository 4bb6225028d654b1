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

# The whole suite on SQLite; and, when SURVEY_TEST_POSTGRES_URL names a PostgreSQL database (CI
# starts one with .ci/postgres.sh), tests/survey and tests/browser on it too. Only those two touch
# a database (the forms, analysis and client-parity tests never do), so every test that has a
# database runs on both. The PostgreSQL run goes beside the SQLite one (a machine has two cores or
# more; each run is mostly one), with its own temporary folder and screenshots; its output is
# printed after the SQLite run's, and either failing fails the target.
test: lint
	@pg_dir=""; \
	if [ -n "$$SURVEY_TEST_POSTGRES_URL" ]; then \
		pg_dir=$$(mktemp -d); \
		echo "== tests/survey and tests/browser on PostgreSQL, beside the SQLite run (output after it)"; \
		( SURVEY_TEST_DATABASE_URL="$$SURVEY_TEST_POSTGRES_URL" TANFANG_SCREENSHOTS="$$pg_dir/screenshots" \
			$(BIN)/python -m pytest tests/survey tests/browser -p no:cacheprovider --basetemp="$$pg_dir/tmp" \
			--durations=10 > "$$pg_dir/log" 2>&1; echo $$? > "$$pg_dir/rc" ) & \
	fi; \
	env -u SURVEY_TEST_DATABASE_URL $(BIN)/python -m pytest --durations=10; sqlite=$$?; \
	wait; pg=0; \
	if [ -n "$$pg_dir" ]; then \
		echo "== tests/survey and tests/browser on PostgreSQL"; cat "$$pg_dir/log"; pg=$$(cat "$$pg_dir/rc"); \
	fi; \
	test "$$sqlite" -eq 0 && test "$$pg" -eq 0

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
