# The project's habits. `make run` serves, `make test` runs everything (what .ci/run calls).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROTO_FILES := $(shell find proto -name '*.proto' | sort)
GOOGLEAPIS = $(shell $(BIN)/python -c 'import google.api, os; print(os.path.dirname(os.path.dirname(google.api.__path__[0])))' 2>/dev/null)
DEVDB := tools/devdb/devdb.sh
GENERATED := src/spaceone src/jobtask_internal
# SpaceONE's own client stacks (spaceone-core, spaceone-api, spacectl), one venv per release line,
# for the real-client tier in tests/clients.
CLIENT_LINES := 1.10 1.12
CLIENT_VENVS := $(CLIENT_LINES:%=.venv-clients/%/.installed)
# SpaceONE's own identity service (spaceone-identity 1.10 on mongomock), for tests/identity.
IDENTITY_VENV := .venv-identity

.PHONY: clients clients-lock identity identity-lock install proto proto-check fmt lint unit integration test run db db-stop demo bench reliability lock clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

clients: $(CLIENT_VENVS)  ## SpaceONE's client venvs (.venv-clients/1.10, 1.12) for tests/clients

.venv-clients/%/.installed: requirements/clients/%.txt requirements/clients/%.lock requirements/clients/constraints.txt
	rm -rf .venv-clients/$*
	$(PYTHON) -m venv .venv-clients/$*
	.venv-clients/$*/bin/pip install -q --disable-pip-version-check -c requirements/clients/constraints.txt \
		-c requirements/clients/$*.lock -r requirements/clients/$*.txt
	touch $@

clients-lock:  ## re-resolve the client stacks and pin everything they install into requirements/clients/*.lock
	for line in $(CLIENT_LINES); do \
		rm -rf .venv-clients/$$line && $(PYTHON) -m venv .venv-clients/$$line && \
		.venv-clients/$$line/bin/pip install -q -c requirements/clients/constraints.txt -r requirements/clients/$$line.txt && \
		{ echo "# pip freeze of .venv-clients/$$line after 'make clients-lock'"; .venv-clients/$$line/bin/pip freeze; } \
			> requirements/clients/$$line.lock && touch .venv-clients/$$line/.installed || exit 1; \
	done

identity: $(IDENTITY_VENV)/.installed  ## SpaceONE identity's venv (.venv-identity) for tests/identity

$(IDENTITY_VENV)/.installed: requirements/identity/identity.txt requirements/identity/identity.lock requirements/clients/constraints.txt
	rm -rf $(IDENTITY_VENV)
	$(PYTHON) -m venv $(IDENTITY_VENV)
	$(IDENTITY_VENV)/bin/pip install -q --disable-pip-version-check -c requirements/clients/constraints.txt \
		-c requirements/identity/identity.lock -r requirements/identity/identity.txt
	touch $@

identity-lock:  ## re-resolve identity's stack and pin everything it installs into requirements/identity/identity.lock
	rm -rf $(IDENTITY_VENV) && $(PYTHON) -m venv $(IDENTITY_VENV) && \
	$(IDENTITY_VENV)/bin/pip install -q -c requirements/clients/constraints.txt -r requirements/identity/identity.txt && \
	{ echo "# pip freeze of .venv-identity after 'make identity-lock'"; $(IDENTITY_VENV)/bin/pip freeze; } \
		> requirements/identity/identity.lock && touch $(IDENTITY_VENV)/.installed

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

integration: install clients identity
	$(DEVDB) build
	$(BIN)/pytest -m integration tests

test: lint clients identity  ## lint, unit, then integration (and SpaceONE's own clients and identity) against the in-memory database
	$(DEVDB) build
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered tests

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
	rm -rf $(VENV) .venv-clients $(IDENTITY_VENV) .pytest_cache .mypy_cache .ruff_cache tools/devdb/target
