# The two commands that are the contract: `make demo` and `make test`. Each creates .venv
# from nothing with python3 and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := settlement pos_simulator

.PHONY: test lint typecheck architecture unit demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
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

demo: $(STAMP)
	$(BIN)/settlement demo

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) cardsettle.db cardsettle.db-* reports .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
