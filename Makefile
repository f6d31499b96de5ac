# ShopGuard: `make run` prepares and serves the demo, `make test` runs every test
# (`make test-fast` the quick subset: docs/testing.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

# pytest-xdist workers: one per CPU (`make test TEST_WORKERS=0` runs without workers).
TEST_WORKERS ?= auto

.PHONY: run test test-fast lint check messages clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet ".[dev]"
	touch $@

.env: | $(BIN)/.installed
	$(BIN)/python shopguard/envfile.py .env

run: $(BIN)/.installed .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@echo
	@echo "ShopGuard is starting on http://127.0.0.1:$(PORT)/admin/"
	@$(BIN)/python manage.py demo_logins
	@echo
	$(BIN)/python manage.py runserver --insecure --noreload 127.0.0.1:$(PORT)

# axe-core for the browser journeys (tests/e2e), pinned in package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

test: $(BIN)/.installed node_modules/.package-lock.json
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# Everything but the browser journeys, the slow tests and the form fuzzers: a minute or two.
test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not e2e and not slow and not fuzz"

# mypy's Django plugin loads the settings, which need keys: it gets fresh throwaway ones,
# never the local .env.
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@lint_env=$$(mktemp -d) && $(BIN)/python shopguard/envfile.py "$$lint_env/lint.env" >/dev/null \
	  && SHOPGUARD_ENV_FILE="$$lint_env/lint.env" $(BIN)/mypy; status=$$?; rm -rf "$$lint_env"; exit $$status

# Collect new UI strings into locale/en/LC_MESSAGES/django.po, then (after translating
# them) compile django.mo. Needs GNU gettext; the compiled catalogue is committed.
messages: $(BIN)/.installed
	$(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache .mypy_cache
