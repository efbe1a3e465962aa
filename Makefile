# Two entry points for a fresh machine with only python3 (see README.md):
#   make demo   set up .venv and run `missionbase demo` in ./demo-org
#   make test   set up .venv and run the suite on SQLite, then on PostgreSQL
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml tests/thirdparty/missionbase-housing/pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: demo test test-sqlite test-postgres lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]' -e tests/thirdparty/missionbase-housing
	rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: $(STAMP)
	mkdir -p demo-org && cd demo-org && ../$(BIN)/missionbase demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

# Starts a throwaway PostgreSQL cluster on localhost (installing it with apt-get if needed).
test-postgres: $(STAMP)
	url=$$(.ci/postgres.sh start) && \
	MISSIONBASE_TEST_DATABASE_URL=$$url $(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS); \
	status=$$?; .ci/postgres.sh stop; exit $$status

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) demo-org
