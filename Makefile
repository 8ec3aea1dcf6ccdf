# The two commands that are the contract: `make demo` and `make test`. Each creates .venv
# from nothing with python3 and installs what it needs: the demo only the runtime
# dependencies (a newcomer's first run), everything else the dev tools on top of them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-stamp
STAMP := $(VENV)/.installed-stamp
PACKAGES := settlement pos_simulator

.PHONY: test lint typecheck architecture unit demo lesson bench bench-day bench-day-growth clean

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

# Every benchmark; the whole day among them at 100,000 transactions on SQLite (bench/README.md).
bench: $(STAMP)
	$(BIN)/python -m bench

# The whole day at another size or backend: make bench-day SIZE=1000000 BACKEND=postgresql
SIZE ?= 100000
BACKEND ?= sqlite
bench-day: $(STAMP)
	$(BIN)/python -m bench day --transactions $(SIZE) --backend $(BACKEND) \
		--json bench/results/day-$(BACKEND)-$(SIZE).json

# How each stage's cost grows on PostgreSQL: 100k, 1M and 3M (the 3M day takes a while).
bench-day-growth: $(STAMP)
	for size in 100000 1000000 3000000; do \
		$(BIN)/python -m bench day --transactions $$size --backend postgresql \
			--json bench/results/day-postgresql-$$size.json || exit 1; \
	done
	$(BIN)/python -m bench day --growth bench/results/day-postgresql-100000.json \
		bench/results/day-postgresql-1000000.json bench/results/day-postgresql-3000000.json

clean:
	rm -rf $(VENV) cardsettle.db cardsettle.db-* reports .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
