# Starlane developer tasks. `make run` and `make test` are the README's two set-up commands:
# each creates the virtual environment in .venv and installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# `make run ARGS="--port 9000"` adds to these defaults; a flag given in ARGS wins over its default
RUN_DEFAULTS := --bots 5
ARGS ?=

.PHONY: run test lint format bench install install-dev clean fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $@ $(VENV)/.installed

# openapi-python-client in a virtual environment of its own: it pins httpx and typer below the
# versions Starlane runs on. tests/api/test_generated_client.py generates a client with it.
OPENAPI_CLIENT := $(VENV)/tools/bin/openapi-python-client
$(OPENAPI_CLIENT): | $(BIN)/python
	$(PYTHON) -m venv $(VENV)/tools
	$(VENV)/tools/bin/python -m pip install --quiet 'openapi-python-client>=0.29'

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, then start the server (embedded SQLite under ./data) with 5 bots
run: install
	$(BIN)/starlane serve $(RUN_DEFAULTS) $(ARGS)

## test: install with the dev extras, then lint, type-check and run the whole suite
test: install-dev lint $(OPENAPI_CLIENT)
	STARLANE_OPENAPI_PYTHON_CLIENT=$(abspath $(OPENAPI_CLIENT)) $(BIN)/python -m pytest -q -n 2

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

format: install-dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

## bench: run every benchmark in benchmarks/ (prints figures and ratios to baselines)
bench: install-dev
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info

## fuzz: schemathesis with every check over every operation, 5,000 cases at least
fuzz: install-dev
	STARLANE_FUZZ_EXAMPLES=150 STARLANE_FUZZ_MIN_CASES=5000 \
		$(BIN)/python -m pytest -q -s tests/api/test_schemathesis.py
