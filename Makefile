# kinfold: `make run` builds the demo workspace and serves the team's web app on
# http://127.0.0.1:8000/ (it prints the demo's sign-ins); `make test` checks it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO ?= demo-workspace

.PHONY: install run test lint bench bench-allocate bench-resolved clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml package-lock.json scripts/install-system.sh scripts/build-web.sh
	bash scripts/install-system.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	bash scripts/build-web.sh
	touch $@

run: install
	rm -rf $(DEMO)
	$(BIN)/kinfold demo --out $(DEMO) --load
	$(BIN)/kinfold resolve --workspace $(DEMO)
	$(BIN)/kinfold status --workspace $(DEMO)
	$(BIN)/kinfold serve --workspace $(DEMO)

lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: lint
	bash scripts/test.sh

bench: install
	$(BIN)/python -m bench.import_speed
	$(BIN)/python -m bench.accuracy
	$(BIN)/python -m bench.febrl
	$(BIN)/python -m bench.heldout --items 100000
	$(BIN)/python -m bench.heldout --items 1000000 --runs 1 --plain-limit 900
	$(BIN)/python -m bench.priority --items 100000
	$(BIN)/python -m bench.fold --items 100000
	$(BIN)/python -m bench.incremental
	$(BIN)/python -m bench.fold --items 1000000 --runs 1
	$(MAKE) bench-allocate
	$(MAKE) bench-resolved
	$(BIN)/python -m bench.web
	$(BIN)/python -m bench.load
	PYSPARK_SUBMIT_ARGS="--driver-memory 12g pyspark-shell" $(BIN)/python -m bench.spark

bench-allocate: install  # get next on SQLite and on a throwaway PostgreSQL
	bash -c 'source scripts/postgres.sh && trap pg_stop EXIT && $(BIN)/python -m bench.allocate'

bench-resolved: install  # 1,000,000 rows into a resolved workspace, SQLite and PostgreSQL
	bash -c 'source scripts/postgres.sh && trap pg_stop EXIT && $(BIN)/python -m bench.resolved_import'

clean:
	rm -rf $(VENV) $(DEMO) node_modules src/kinfold/web/static/vendor .pytest_cache .mypy_cache .ruff_cache
