# Kehu: `make run` serves the demo, `make test` runs the whole suite. Nothing else is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when pyproject.toml changes.
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test

.PHONY: run test test-postgres lint format bench messages check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_INSTALLED): pyproject.toml $(INSTALLED)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(INSTALLED)
	$(BIN)/kehu run

test: $(TEST_INSTALLED)
	$(BIN)/kehu makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(TEST_INSTALLED)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kehu} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TEST_INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The quick benchmark set (docs/benchmarks.md): Kehu's importer and django-import-export on the
# same generated 100k-row CSV, each in a fresh SQLite database under /tmp/kehu-bench/.
BENCH_INSTALLED := $(VENV)/.installed-bench

$(BENCH_INSTALLED): pyproject.toml $(INSTALLED)
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

bench: $(BENCH_INSTALLED)
	$(BIN)/python bench/import_bench.py --rows 100000 --format csv --database sqlite
	$(BIN)/python bench/import_export_baseline.py --rows 100000 --format csv --database sqlite

messages: $(INSTALLED)
	cd src/kehu && ../../$(BIN)/kehu makemessages -l zh_Hans -l en --no-obsolete --ignore 'static/*'
	cd src/kehu && ../../$(BIN)/kehu compilemessages

check: $(INSTALLED)
	$(BIN)/kehu check --deploy

clean:
	rm -rf $(VENV) var
