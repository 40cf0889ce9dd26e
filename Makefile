# Enable: `make demo` runs the site with demo content; `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
DEMO_DATA ?= instance
PORT ?= 5000
EXTRAS ?= dev,multilingual,postgres,redis,production

.PHONY: install demo test test-postgres typecheck serve translations translations-update lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed translations node_modules/.installed

# axe-core for the accessibility tests (tests/a11y), pinned in package-lock.json; skipped when npm is absent.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund && touch $@; \
	else echo "npm not found: the accessibility tests will be skipped"; fi

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d enable/translations

translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o enable/translations/messages.pot .
	$(BIN)/pybabel update -i enable/translations/messages.pot -d enable/translations

demo: install
	ENABLE_DATA_DIR=$(DEMO_DATA) $(FLASK) db upgrade
	ENABLE_DATA_DIR=$(DEMO_DATA) $(FLASK) content load
	ENABLE_DATA_DIR=$(DEMO_DATA) $(FLASK) demo load
	ENABLE_DATA_DIR=$(DEMO_DATA) MAIL_BACKEND=folder $(FLASK) serve --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The whole suite again with every test app on PostgreSQL (ENABLE_TEST_DATABASE_URL's server; CI runs it after
# `make test`). The tests that load the speech model (marker `slow`) exercise audio, not the database: skipped.
test-postgres: install
	ENABLE_TEST_ENGINE=postgresql $(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

typecheck: install
	$(BIN)/mypy

lint: install
	$(BIN)/ruff check enable tests bench

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) instance test-artifacts .pytest_cache node_modules
