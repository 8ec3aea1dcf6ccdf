# The two commands that are the contract: `make demo` and `make test`. Each creates .venv
# from nothing with python3 and installs what it needs: the demo only the runtime
# dependencies (a newcomer's first run), everything else the dev tools on top of them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-stamp
STAMP := $(VENV)/.installed-stamp
PACKAGES := settlement pos_simulator

.PHONY: test lint typecheck architecture unit demo lesson bench clean

# --no-compile: byte-compiling every installed module (botocore, moto, Faker...) was half of
# the install's CPU time (measured 54 s -> 26 s); Python compiles what the demo imports, once.
$(RUNTIME_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile -e .
	touch $(RUNTIME_STAMP)

# The dev tools (pytest, hypothesis, mypy, ruff, cfn-lint, selenium...) on top of the runtime.
$(STAMP): $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check $(PACKAGES) tests bench migrations
	$(BIN)/ruff format --check $(PACKAGES) tests bench migrations

typecheck: $(STAMP)
	$(BIN)/mypy --strict $(PACKAGES)

architecture: $(STAMP)  # the layers, as import-linter contracts in pyproject.toml
	$(BIN)/lint-imports

test: lint typecheck architecture
	$(BIN)/pytest

# The pure tier for the edit loop (tests/unit: no database, moto, subprocess, network or
# browser; its conftest fails a test that opens one), property tests at a tenth of their
# examples (tests/support/example_budget.py). `make test` is the contract: everything, in full.
unit: $(STAMP)
	$(BIN)/pytest -q --hypothesis-profile=unit tests/unit

demo: $(RUNTIME_STAMP)
	$(BIN)/settlement demo

# The demo's day screened for fraud both ways, async on arrival and batch at the cutoff.
lesson: $(RUNTIME_STAMP)
	$(BIN)/settlement lesson

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) cardsettle.db cardsettle.db-* reports .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
