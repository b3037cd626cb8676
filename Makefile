# Steady — the two commands you need are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: run test test-all demo lint typecheck unit unit-all migrate clean fuzz bench bench-startup bench-throughput bench-lateness bench-faults bench-crashes bench-limits bench-relay

# A stamp per install flavour, rebuilt when the dependency list changes.
$(VENV)/.run-installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e '.[dev]'
	@touch $@ $(VENV)/.run-installed

## Start the bot (polling, SQLite in ./data/steady.db); needs TELEGRAM_BOT_TOKEN in .env
run: $(VENV)/.run-installed
	$(PY) -m bot run

## Apply database migrations only
migrate: $(VENV)/.run-installed
	$(PY) -m bot migrate

# Tests run in parallel, one worker per core.
PYTEST := $(PY) -m pytest -n auto

## Lint, type-check and run the suite, but for the slow tests (real processes, rates, seconds)
test: $(VENV)/.dev-installed lint typecheck unit

## The same with the slow tests too (what CI runs, on SQLite and on PostgreSQL)
test-all: $(VENV)/.dev-installed lint typecheck unit-all

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check bot jobs migrations tests bench

typecheck: $(VENV)/.dev-installed
	$(VENV)/bin/mypy

unit: $(VENV)/.dev-installed
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

unit-all: $(VENV)/.dev-installed
	$(PYTEST) $(PYTEST_ARGS)

## Play a scripted conversation between two partners against the local Telegram emulator
demo: $(VENV)/.dev-installed
	$(PY) -m tests.demo

## Property-based fuzzing at length: 10,000 examples of any input in every state
fuzz: $(VENV)/.dev-installed
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/test_properties.py -q

## Benchmarks (run by hand; they print their figures — see docs/performance.md, reliability.md)
bench: bench-startup bench-throughput bench-lateness

bench-startup: $(VENV)/.dev-installed
	$(PY) -m bench.startup 100000

bench-throughput: $(VENV)/.dev-installed
	$(PY) -m bench.throughput 4000 5

bench-lateness: $(VENV)/.dev-installed
	$(PY) -m bench.lateness 200 60

bench-faults: $(VENV)/.dev-installed
	$(PY) -m bench.faults 1000 0.1

bench-crashes: $(VENV)/.dev-installed
	$(PY) -m bench.crashes 2000 20

bench-limits: $(VENV)/.dev-installed
	$(PY) -m bench.limits 10000 2500

bench-relay: $(VENV)/.dev-installed
	$(PY) -m bench.relay 50 5

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
