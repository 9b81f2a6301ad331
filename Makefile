# The project's habits. `make run` serves, `make test` runs everything (what .ci/run calls).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROTO_FILES := $(shell find proto -name '*.proto' | sort)
GOOGLEAPIS = $(shell $(BIN)/python -c 'import google.api, os; print(os.path.dirname(os.path.dirname(google.api.__path__[0])))' 2>/dev/null)
DEVDB := tools/devdb/devdb.sh
GENERATED := src/spaceone src/jobtask_internal

.PHONY: install proto proto-check fmt lint unit integration test run db db-stop demo bench reliability lock clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

lock:  ## re-pin dev/CI dependencies from pyproject.toml
	$(BIN)/pip-compile -q --extra dev --strip-extras -o requirements/dev.txt pyproject.toml

proto: install  ## regenerate the stubs (src/spaceone, src/jobtask_internal) from proto/
	rm -rf $(GENERATED)
	$(BIN)/python -m grpc_tools.protoc -Iproto -I$(GOOGLEAPIS) \
		--python_out=src --grpc_python_out=src --pyi_out=src $(PROTO_FILES)

proto-check: proto  ## fails when the committed stubs differ from proto/
	@git diff --exit-code --stat -- $(GENERATED) || \
		{ echo "generated stubs are stale: run 'make proto' and commit them"; exit 1; }
	@test -z "$$(git status --porcelain -- $(GENERATED))" || \
		{ echo "untracked generated stubs: run 'make proto' and commit them"; exit 1; }

fmt: install
	$(BIN)/ruff format src/jobtask tests tools
	$(BIN)/ruff check --fix src/jobtask tests tools

lint: install proto-check
	$(BIN)/ruff check src/jobtask tests tools
	$(BIN)/ruff format --check src/jobtask tests tools
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: install
	$(BIN)/pytest -m "not integration" tests

integration: install
	$(DEVDB) build
	$(BIN)/pytest -m integration tests

# The real engine (PostgreSQL + DocumentDB behind its MongoDB gateway), beside the clone in CI.
REALDB ?= ../shared/realdb/realdb.sh
# pytest-xdist workers for the engine's tier (every test has a database of its own). Measured on
# 2 cores: the engine's tier 298 s alone, 174 s with 2 workers, 220 s with 4; the emulator's is
# faster alone (98 s against 111 s with 2), so it runs in one process.
REALDB_WORKERS ?= 2

test: lint  ## lint, unit, integration on the in-memory mongo-java-server, then on the real engine
	$(DEVDB) build
	@echo "== unit tests"
	$(BIN)/pytest --cov --cov-report= -m "not integration" tests
	@echo "== integration tests on mongo-java-server (in memory)"
	$(BIN)/pytest --cov --cov-append --cov-report=term-missing:skip-covered -m integration tests
	@$(MAKE) --no-print-directory integration-realdb

.PHONY: integration-realdb
integration-realdb: install  ## integration tests on the real engine ($(REALDB)); fails if it cannot start
	@if [ ! -e "$(REALDB)" ]; then \
		echo "== integration tests on the real engine: SKIPPED, $(REALDB) is not there" \
			"(CI has it beside the clone; elsewhere set REALDB=/path/to/realdb.sh)"; \
		exit 0; \
	fi; \
	out=$$(bash "$(REALDB)" start) || { echo "$$out"; \
		echo "== integration tests on the real engine: FAILED, '$(REALDB) start' failed"; exit 1; }; \
	uri=$$(sed -n 's/^REALDB READY \([^ ]*\).*/\1/p' <<<"$$out" | tail -n 1); \
	[ -n "$$uri" ] || { echo "$$out"; \
		echo "== integration tests on the real engine: FAILED, no 'REALDB READY <uri>'"; exit 1; }; \
	echo "== integration tests on the real engine (PostgreSQL + DocumentDB, $(REALDB))"; \
	JOBTASK_TEST_MONGODB_URI="$$uri" JOBTASK_TEST_DATABASE=documentdb \
		$(BIN)/pytest -m integration -n $(REALDB_WORKERS) tests

db:  ## local MongoDB wire-protocol dev server on 127.0.0.1:27017 (H2 file under .data/)
	$(DEVDB) start

db-stop:
	$(DEVDB) stop

run: install  ## serve on 50051; starts the dev db when MONGODB_URI is unset
	@if [ -z "$$MONGODB_URI" ]; then $(DEVDB) start; fi
	LOG_FORMAT=$${LOG_FORMAT:-text} $(BIN)/python -m jobtask

demo: install  ## drive N demo tasks (default 200) through the running server's writer API
	$(BIN)/python -m jobtask.demo --count $${N:-200}

bench: install
	$(DEVDB) build
	$(BIN)/python tools/bench.py $(BENCH_ARGS)

reliability: install  ## load, SIGTERM under load, database outages and fuzz; prints a table
	$(DEVDB) build
	PYTHONPATH=. $(BIN)/python tools/reliability.py $(RELIABILITY_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tools/devdb/target
