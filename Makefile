# opsbook: `make run` runs the example, `make test` runs the whole suite, `make unit` its
# fast in-process tier (tests/tiers.py), `make lint` ruff and mypy. Each sets up what it
# needs first; nothing has to be installed by hand.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNBOOK := examples/tinyweb/RUNBOOK.md

.PHONY: setup run test unit lint bench clean system-deps

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Real programs the tests talk to (sshd, chromium...), from Debian's packages.
system-deps:
	@sh scripts/system-deps.sh

# The dashboard on the example system (SQLite beside the runbook); prints the URL and a
# fresh admin token to sign in with. PORT=9000 make run picks another port.
PORT ?= 8080
run: setup
	$(BIN)/opsbook check $(RUNBOOK)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/opsbook serve $(RUNBOOK) --port $(PORT) --bootstrap-admin make-run

test: setup system-deps
	$(BIN)/python -m pytest -q

# The tests that stay inside the Python process: no child processes, sockets, PostgreSQL
# or browsers, and no fuzzing; the system dependencies are not needed.
unit: setup
	$(BIN)/python -m pytest -q -m unit

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# Each benchmark prints its figures; add --write where a script offers it to update
# docs/benchmarks.md.
bench: setup
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
