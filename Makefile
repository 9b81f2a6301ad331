# The project's habits. `make run` serves, `make test` runs everything (what .ci/run calls).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The 1.x line's protos (proto/spaceone, proto/jobtask_internal): generated modules in src/.
PROTO_FILES := $(shell find proto -path proto/v2 -prune -o -name '*.proto' -print | sort)
# The 2.x line's (proto/v2): the same file and type names as 1.x, so no generated modules (they would
# clash with 1.x's in protobuf's default pool) but one FileDescriptorSet with every import, which
# jobtask.lines.v2.wire loads into a pool of its own (docs/spaceone-2x.md).
PROTO_V2_FILES := $(shell find proto/v2 -name '*.proto' | sort)
PROTO_V2_SET := src/jobtask/lines/v2/descriptors.binpb
GOOGLEAPIS = $(shell $(BIN)/python -c 'import google.api, os; print(os.path.dirname(os.path.dirname(google.api.__path__[0])))' 2>/dev/null)
DEVDB := tools/devdb/devdb.sh
# The dev database's port (`make run DEVDB_PORT=27018` when 27017 is taken).
DEVDB_PORT ?= 27017
GENERATED := src/spaceone src/jobtask_internal $(PROTO_V2_SET)
# SpaceONE's own client stacks (spaceone-core, spaceone-api, spacectl), one venv per release line,
# for the real-client tier in tests/e2e/clients (2.0: the 2.x line's, issue #23).
CLIENT_LINES := 1.10 1.12 2.0
CLIENT_VENVS := $(CLIENT_LINES:%=.venv-clients/%/.installed)
# SpaceONE's own identity service (spaceone-identity 1.10 on mongomock), for tests/e2e/identity;
# and identity 2.x (spaceone-identity 2.0.227), for tests/e2e/identity2.
IDENTITY_VENV := .venv-identity
IDENTITY2_VENV := .venv-identity2
# SpaceONE's own inventory server (spaceone-inventory 1.12) for `make bench`'s reference-server rows
# (issue #28; tools/bench_reference.py), on the Python its 1.12 images had (cloudforet/python-core
# 1.12: python:3.8-slim), where protobuf 3.20.3 has its C++ implementation; on 3.11 it has none
# (no wheel) and runs in pure Python, slower than the reference as deployed. requirements/reference/
# 1.12.lock is pip's answer on 3.8 and resolves nowhere else (3.10, 3.11: jwcrypto's pins conflict):
# python3.8 on the PATH, or pyenv's.
REFERENCE_VENV := .venv-reference
REFERENCE_PYTHON ?= $(firstword $(foreach python,python3.8 $(wildcard $(HOME)/.pyenv/versions/3.8*/bin/python3.8),\
	$(shell $(python) -c 'import sys; print(sys.executable)' 2>/dev/null)))
# The image's runtime, built as the Dockerfile builds it (`make image-check`).
IMAGE_VENV := .venv-image
# A Python 3.11 that a non-root user can run, as the image's /usr/local/bin/python (one under a
# private /root, e.g. pyenv's, cannot serve the test's unprivileged user).
IMAGE_PYTHON ?= $(firstword $(wildcard /usr/local/bin/python3.11 /usr/bin/python3.11) $(PYTHON))
PACKAGE_FILES := pyproject.toml README.md $(shell find src -name '*.py' -o -name '*.pyi' -o -name py.typed -o -name '*.binpb')
# Tools that are not Python packages, built from the Go module proxy into a project-local GOBIN.
TOOLS := $(CURDIR)/.tools/bin
GRPCURL_VERSION := v1.9.3
GRPCURL := $(TOOLS)/grpcurl
GRPC_FLOOR := $(TOOLS)/grpc-floor
# jq for the examples of the README and docs/: the machine's, or else gojq (a jq in Go) linked
# as .tools/bin/jq.
GOJQ_VERSION := v0.12.17
JQ := $(if $(shell command -v jq),,$(TOOLS)/jq)

.PHONY: clients clients-lock identity identity-lock identity2-lock reference reference-lock install tools image-venv image-check proto proto-check fmt lint unit contract integration e2e test run db db-stop demo bench reliability lock clean

install: $(VENV)/.installed $(VENV)/.checkout-on-path

tools: $(GRPCURL) $(JQ) $(GRPC_FLOOR)  ## grpcurl, grpc-floor (and jq if missing), pinned, from the Go module proxy into .tools/bin

$(GRPCURL):
	GOBIN=$(TOOLS) go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

# grpc-go answering pre-serialized bytes, for `tools/stat_phases.py --floor` (tools/floor).
$(GRPC_FLOOR): tools/floor/main.go tools/floor/go.mod tools/floor/go.sum
	cd tools/floor && go build -trimpath -o $@ .

$(TOOLS)/jq:
	GOBIN=$(TOOLS) go install github.com/itchyny/gojq/cmd/gojq@$(GOJQ_VERSION)
	ln -sf gojq $@

# The chart's tools (make chart-tools), pinned and built once from the Go module proxy into .tools/.
# helm: as helm's own Makefile builds it, with its Kubernetes version defaults (its client-go's
# v0.36 -> 1.36) and its version set by ldflags; without them `helm version` says nothing useful and
# the default Capabilities.KubeVersion is v1.20.
HELM_VERSION := v3.21.4
HELM_K8S_MAJOR := 1
HELM_K8S_MINOR := 36
HELM := $(TOOLS)/helm-$(HELM_VERSION)
KUBECONFORM_VERSION := v0.7.0
KUBECONFORM := $(TOOLS)/kubeconform-$(KUBECONFORM_VERSION)
# kube-apiserver and kubectl (tools/kube/apiserver/go.mod), etcd (tools/kube/etcd/go.mod): the API
# server tier's. Building k8s.io/kubernetes takes about 12 minutes on 2 idle cores (48 measured on
# a busy one), once; a fresh clone rebuilds them from Go's build cache in about a minute.
KUBE_VERSION := v1.33.13
ETCD_VERSION := v3.5.24
KUBE_DIR := $(CURDIR)/.tools/kube-$(KUBE_VERSION)
ETCD_DIR := $(CURDIR)/.tools/etcd-$(ETCD_VERSION)
KUBE_PKG := k8s.io/component-base/version
KUBE_CLIENT_PKG := k8s.io/client-go/pkg/version
KUBE_LDFLAGS := $(foreach p,$(KUBE_PKG) $(KUBE_CLIENT_PKG),-X $(p).gitVersion=$(KUBE_VERSION) \
	-X $(p).gitMajor=1 -X $(p).gitMinor=33 -X $(p).gitTreeState=clean -X $(p).buildDate=1970-01-01T00:00:00Z)

# kubeconform's schemas, made from packages (tools/chart/schemas.py), never fetched at run time:
# Kubernetes' from the kubernetes-validate PyPI package, the CRDs' from their own Go modules.
K8S_SCHEMA_VERSION := v1.33.0
GATEWAY_API_VERSION := v1.3.0
ISTIO_API_VERSION := v1.27.0
PROMETHEUS_OPERATOR_VERSION := v0.85.0
SCHEMA_DIR := $(CURDIR)/.tools/schemas-$(K8S_SCHEMA_VERSION)-gw$(GATEWAY_API_VERSION)-istio$(ISTIO_API_VERSION)-po$(PROMETHEUS_OPERATOR_VERSION)
module_dir = $$(go mod download -json $(1) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p')

.PHONY: chart-tools kube-tools chart-schemas chart-check
chart-tools: $(HELM) $(KUBECONFORM)  ## helm and kubeconform, pinned, from the Go module proxy into .tools/bin
kube-tools: $(KUBE_DIR)/kube-apiserver $(KUBE_DIR)/kubectl $(ETCD_DIR)/etcd  ## kube-apiserver, kubectl, etcd (slow, once)
chart-schemas: $(SCHEMA_DIR)/.made

$(SCHEMA_DIR)/.made: tools/chart/schemas.py requirements/dev.txt | $(VENV)/.installed
	rm -rf $(SCHEMA_DIR) && mkdir -p $(SCHEMA_DIR)/crds
	cp $(call module_dir,sigs.k8s.io/gateway-api@$(GATEWAY_API_VERSION))/config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml \
		$(call module_dir,istio.io/api@$(ISTIO_API_VERSION))/kubernetes/customresourcedefinitions.gen.yaml \
		$(call module_dir,github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION))/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml \
		$(SCHEMA_DIR)/crds/
	chmod u+w $(SCHEMA_DIR)/crds/*
	$(BIN)/python tools/chart/schemas.py kubernetes $(SCHEMA_DIR)/kubernetes $(K8S_SCHEMA_VERSION)
	$(BIN)/python tools/chart/schemas.py crds $(SCHEMA_DIR)/from-crds $(SCHEMA_DIR)/crds/*.yaml
	touch $@

chart-check: install chart-tools kube-tools chart-schemas  ## the Helm chart: lint, render, kubeconform -strict, install on a real kube-apiserver (docs/deployment-helm.md)
	HELM=$(HELM) KUBECONFORM=$(KUBECONFORM) KUBE_DIR=$(KUBE_DIR) ETCD_DIR=$(ETCD_DIR) \
		K8S_SCHEMAS=$(SCHEMA_DIR)/kubernetes CRD_SCHEMAS=$(SCHEMA_DIR)/from-crds CRDS=$(SCHEMA_DIR)/crds \
		bash tools/chart/check.sh

$(HELM):
	mkdir -p $(TOOLS) && tmp=$$(mktemp -d) && \
	GOBIN=$$tmp go install -ldflags "-X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
		-X helm.sh/helm/v3/internal/version.metadata= -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
		-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$(HELM_K8S_MAJOR) \
		-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(HELM_K8S_MINOR) \
		-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$(HELM_K8S_MAJOR) \
		-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_K8S_MINOR)" \
		helm.sh/helm/v3/cmd/helm@$(HELM_VERSION) && mv $$tmp/helm $@ && rmdir $$tmp

$(KUBECONFORM):
	mkdir -p $(TOOLS) && tmp=$$(mktemp -d) && \
	GOBIN=$$tmp go install github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION) && \
	mv $$tmp/kubeconform $@ && rmdir $$tmp

$(KUBE_DIR)/kube-apiserver $(KUBE_DIR)/kubectl &: tools/kube/apiserver/go.mod tools/kube/apiserver/go.sum
	cd tools/kube/apiserver && go build -trimpath -ldflags "-s -w $(KUBE_LDFLAGS)" -o $(KUBE_DIR).tmp/ \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
	rm -rf $(KUBE_DIR) && mv $(KUBE_DIR).tmp $(KUBE_DIR)

$(ETCD_DIR)/etcd: tools/kube/etcd/go.mod tools/kube/etcd/go.sum
	cd tools/kube/etcd && go build -trimpath -ldflags "-s -w" -o $(ETCD_DIR).tmp/etcd go.etcd.io/etcd/server/v3
	rm -rf $(ETCD_DIR) && mv $(ETCD_DIR).tmp $(ETCD_DIR)

$(VENV)/.installed: pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# The checkout on the venv's path (a .pth beside the editable install's), so that `tests` is a
# package wherever the venv's python runs: tools/ import the test suite's helpers as
# tests.support.* without PYTHONPATH, and the image (a wheel of src/ only) never sees them.
$(VENV)/.checkout-on-path: $(VENV)/.installed
	echo "$(CURDIR)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/jobtask-checkout.pth"
	touch $@

clients: $(CLIENT_VENVS)  ## SpaceONE's client venvs (.venv-clients/1.10, 1.12, 2.0) for tests/e2e/clients

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

identity: $(IDENTITY_VENV)/.installed $(IDENTITY2_VENV)/.installed  ## SpaceONE identity's venvs (.venv-identity: 1.10, .venv-identity2: 2.0) for tests/e2e/identity, identity2

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

$(IDENTITY2_VENV)/.installed: requirements/identity/2.0.txt requirements/identity/2.0.lock
	rm -rf $(IDENTITY2_VENV)
	$(PYTHON) -m venv $(IDENTITY2_VENV)
	$(IDENTITY2_VENV)/bin/pip install -q --disable-pip-version-check \
		-c requirements/identity/2.0.lock -r requirements/identity/2.0.txt
	touch $@

identity2-lock:  ## re-resolve identity 2.x's stack and pin everything it installs into requirements/identity/2.0.lock
	rm -rf $(IDENTITY2_VENV) && $(PYTHON) -m venv $(IDENTITY2_VENV) && \
	$(IDENTITY2_VENV)/bin/pip install -q -r requirements/identity/2.0.txt && \
	{ echo "# pip freeze of .venv-identity2 after 'make identity2-lock'"; $(IDENTITY2_VENV)/bin/pip freeze; } \
		> requirements/identity/2.0.lock && touch $(IDENTITY2_VENV)/.installed

reference: $(REFERENCE_VENV)/.installed  ## SpaceONE's inventory server 1.12 (.venv-reference) for make bench's reference-server rows

$(REFERENCE_VENV)/.installed: requirements/reference/1.12.txt requirements/reference/1.12.lock requirements/clients/constraints.txt
	@test -n "$(REFERENCE_PYTHON)" || { echo "make reference needs Python 3.8 (python3.8 on the PATH or pyenv's; or REFERENCE_PYTHON=...)"; exit 1; }
	rm -rf $(REFERENCE_VENV)
	$(REFERENCE_PYTHON) -m venv $(REFERENCE_VENV)
	$(REFERENCE_VENV)/bin/pip install -q --disable-pip-version-check -c requirements/clients/constraints.txt \
		-c requirements/reference/1.12.lock -r requirements/reference/1.12.txt
	touch $@

reference-lock:  ## re-resolve the reference server's stack and pin everything it installs into requirements/reference/1.12.lock
	@test -n "$(REFERENCE_PYTHON)" || { echo "make reference-lock needs Python 3.8 (REFERENCE_PYTHON=...)"; exit 1; }
	rm -rf $(REFERENCE_VENV) && $(REFERENCE_PYTHON) -m venv $(REFERENCE_VENV) && \
	$(REFERENCE_VENV)/bin/pip install -q -c requirements/clients/constraints.txt -r requirements/reference/1.12.txt && \
	{ echo "# pip freeze of .venv-reference after 'make reference-lock'"; $(REFERENCE_VENV)/bin/pip freeze; } \
		> requirements/reference/1.12.lock && touch $(REFERENCE_VENV)/.installed

# --no-emit-find-links: a machine's own wheel directory (PIP_FIND_LINKS) never lands in the pins.
# The runtime pins (the image's) are the dev pins' versions of the runtime dependencies: what was tested.
lock:  ## re-pin dev/CI dependencies and the image's runtime dependencies from pyproject.toml
	$(BIN)/pip-compile -q --no-emit-find-links --extra dev --strip-extras -o requirements/dev.txt pyproject.toml
	$(BIN)/pip-compile -q --no-emit-find-links --extra otel --strip-extras -c requirements/dev.txt \
		-o requirements/runtime.txt pyproject.toml

# As the Dockerfile: the runtime pins, then the package without dependencies, from the index alone
# (no PIP_FIND_LINKS); unlike the image, pip's cache is used and the venv is kept between runs.
image-venv: $(IMAGE_VENV)/.installed

$(IMAGE_VENV)/.runtime: requirements/runtime.txt
	rm -rf $(IMAGE_VENV)
	$(IMAGE_PYTHON) -m venv $(IMAGE_VENV)
	PIP_FIND_LINKS= $(IMAGE_VENV)/bin/pip install -q -r requirements/runtime.txt
	touch $@

# After the dev venv's editable install: both build from src/ (its egg-info), never at once.
$(IMAGE_VENV)/.installed: $(IMAGE_VENV)/.runtime $(PACKAGE_FILES) | $(VENV)/.installed
	PIP_FIND_LINKS= $(IMAGE_VENV)/bin/pip install -q --no-deps --force-reinstall .
	touch $@

image-check: install image-venv  ## the image's install, run as a non-root user against the dev database
	$(DEVDB) build
	$(BIN)/pytest -q tests/e2e/test_image.py

proto: install  ## regenerate the stubs (src/spaceone, src/jobtask_internal) and the 2.x descriptor set from proto/
	rm -rf $(GENERATED)
	$(BIN)/python -m grpc_tools.protoc -Iproto -I$(GOOGLEAPIS) \
		--python_out=src --grpc_python_out=src --pyi_out=src $(PROTO_FILES)
	$(BIN)/python -m grpc_tools.protoc -Iproto/v2 -I$(GOOGLEAPIS) \
		--include_imports --descriptor_set_out=$(PROTO_V2_SET) $(PROTO_V2_FILES)

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
	$(BIN)/python tools/check_sizes.py src/jobtask
	@test -z "$$(git ls-files -i -c --exclude-standard)" || { git ls-files -i -c --exclude-standard; \
		echo "these tracked files match .gitignore: narrow the pattern"; exit 1; }
	$(BIN)/hadolint --no-color Dockerfile
	@# tools/schemas/compose-spec.json: compose-spec/compose-spec schema/compose-spec.json at 170098b
	$(BIN)/check-jsonschema --schemafile tools/schemas/compose-spec.json compose.yaml

# The tiers are folders of tests/ (tests/conftest.py). The unit and contract tiers use neither
# hypothesis's nor schemathesis's pytest plugin (test_injection calls hypothesis itself): left
# out, they cost those tiers no start-up.
NO_FUZZ_PLUGINS := -p no:hypothesispytest -p no:schemathesis

unit: install  ## the unit tier (tests/unit): no socket, no process, no database; seconds
	$(BIN)/pytest $(NO_FUZZ_PLUGINS) tests/unit

contract: install  ## the wire contract (tests/contract)
	$(BIN)/pytest $(NO_FUZZ_PLUGINS) tests/contract

integration: install  ## tests/integration on mongo-java-server: a database, or a server on port 0
	$(DEVDB) build
	$(BIN)/pytest tests/integration

e2e: install clients identity tools image-venv  ## tests/e2e on mongo-java-server: processes, SpaceONE's clients and identity, the README, the image
	$(DEVDB) build
	$(BIN)/pytest tests/e2e

# The real engine (PostgreSQL + DocumentDB behind its MongoDB gateway), beside the clone in CI.
REALDB ?= ../shared/realdb/realdb.sh
# pytest-xdist workers for the engine's tier (every test has a database of its own): on 2 cores,
# 2 workers were the quickest; the emulator's tier runs in one process (measured:
# docs/performance.md). Not `--dist loadgroup`/`loadscope`: their queue is keyed by node id, and
# schemathesis gives the operations of one fuzz test the same id, so all but one of them would not
# run (measured: 11 of 1,192 lost).
REALDB_WORKERS ?= 2
# Branch coverage of src/jobtask is judged once, on the unit, contract, integration and e2e
# tiers together (the floor: pyproject's [tool.coverage.report] fail_under), so the first run
# judges none (--cov-fail-under=0). The server's subprocesses are not counted.
#
# What the tiers need is built first, side by side: the venvs (pip waits mostly on the network
# and the disk), grpcurl and the emulator's jar; each one's output is shown when it is done.
test:  ## lint; the Helm chart; the unit and contract tiers; integration and e2e (SpaceONE's clients and identity, the README's examples, the image's install) on mongo-java-server, then on the real engine; the sharded tier; the benchmark briefly
	@$(MAKE) --no-print-directory -j 5 --output-sync=target install clients identity tools chart-tools image-venv devdb-jar
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory chart-check
	@echo "== unit and contract tests"
	$(BIN)/pytest $(NO_FUZZ_PLUGINS) --cov --cov-report= --cov-fail-under=0 tests/unit tests/contract
	@echo "== integration and e2e tests on mongo-java-server (in memory)"
	$(BIN)/pytest --cov --cov-append --cov-report=term-missing:skip-covered tests/integration tests/e2e
	@$(MAKE) --no-print-directory integration-realdb
	@$(MAKE) --no-print-directory integration-sharded
	@$(MAKE) --no-print-directory bench-smoke

# Shell lines that start an engine's script ($(2), idempotent) and set $uri from the last
# '$(3) READY <uri>' line it prints, or fail naming the run ($(1)) and why.
engine_uri = out=$$(bash "$(2)" start) || { echo "$$out"; \
		echo "== $(1): FAILED, '$(2) start' failed"; exit 1; }; \
	uri=$$(sed -n 's/^$(3) READY \([^ ]*\).*/\1/p' <<<"$$out" | tail -n 1); \
	[ -n "$$uri" ] || { echo "$$out"; echo "== $(1): FAILED, no '$(3) READY <uri>'"; exit 1; }
# The same for the real engine ($(REALDB), 'REALDB READY <uri>').
realdb_uri = $(call engine_uri,$(1),$(REALDB),REALDB)

# On the real engine, the tests that use the database under test (marked `database` by
# tests/conftest.py); the others start their own emulator, or none, and the emulator's run has them.
.PHONY: integration-realdb
integration-realdb: install clients identity tools  ## integration and e2e tests that use the database, on the real engine ($(REALDB)); fails if it cannot start
	@if [ ! -e "$(REALDB)" ]; then \
		echo "== integration tests on the real engine: SKIPPED, $(REALDB) is not there" \
			"(CI has it beside the clone; elsewhere set REALDB=/path/to/realdb.sh)"; \
		exit 0; \
	fi; \
	$(call realdb_uri,integration tests on the real engine); \
	echo "== integration and e2e tests on the real engine (PostgreSQL + DocumentDB, $(REALDB))"; \
	JOBTASK_TEST_MONGODB_URI="$$uri" JOBTASK_TEST_DATABASE=documentdb \
		$(BIN)/pytest -m database -n $(REALDB_WORKERS) tests/integration tests/e2e

.PHONY: devdb-jar
devdb-jar:  ## the emulator's jar (tools/devdb/target/devdb.jar), if missing or stale
	$(DEVDB) build

# The sharded engine (DocumentDB distributed by Citus over 8 shards on two workers), beside the
# clone in CI. Its tier covers what sharding changes, each test's collection sharded by
# {domain_id: "hashed"} (JOBTASK_TEST_SHARDED=1): storage, indexes, every rpc, the collector,
# retention and hostile input at the storage boundary. Each test database costs ~3 s of
# distributed index creation, hence a chosen few files (docs/scale-out.md: what it costs).
SHARDEDDB ?= $(dir $(REALDB))shardeddb.sh
# Of the hostile tests, those at the storage boundary: stored documents of any shape, and writes.
SHARDED_HOSTILE := $(addprefix tests/integration/test_hostile_data.py::test_, \
	a_report_that_would_overflow_a_counter_is_refused_and_stores_nothing \
	a_stored_document_of_wrong_types_everywhere_still_renders a_stored_string_that_is_not_utf8_still_renders \
	an_additional_key_mongodb_cannot_store_unambiguously_is_invalid_argument \
	a_huge_job_task_id_is_not_found_with_a_bounded_message \
	create_with_an_id_taken_in_another_domain_answers_as_a_taken_id_of_ones_own \
	a_report_onto_a_stored_counter_that_is_not_a_number_stores_nothing)
SHARDED_TESTS := tests/integration/test_sharded.py tests/integration/test_sharded_indexes.py \
	tests/integration/test_get_delete.py tests/integration/test_writer.py \
	tests/integration/test_storage_compat.py tests/integration/test_workspaces.py $(SHARDED_HOSTILE)

.PHONY: integration-sharded
integration-sharded: install  ## the sharded tier on $(SHARDEDDB); fails if it cannot start
	@if [ ! -e "$(SHARDEDDB)" ]; then \
		echo "== integration tests on the sharded engine: SKIPPED, $(SHARDEDDB) is not there"; \
		exit 0; \
	fi; \
	$(call engine_uri,integration tests on the sharded engine,$(SHARDEDDB),SHARDEDDB); \
	echo "== integration tests on the sharded engine (Citus + DocumentDB, $(SHARDEDDB))"; \
	JOBTASK_TEST_MONGODB_URI="$$uri" JOBTASK_TEST_DATABASE=documentdb JOBTASK_TEST_SHARDED=1 \
		$(BIN)/pytest -m integration -n $(REALDB_WORKERS) $(SHARDED_TESTS)

db:  ## local MongoDB wire-protocol dev server on 127.0.0.1:$(DEVDB_PORT) (H2 file under .data/)
	$(DEVDB) start --port $(DEVDB_PORT)

db-stop:
	$(DEVDB) stop

run: install  ## serve on 50051; without MONGODB_URI: starts the dev db (or uses the one running)
	@if [ -z "$$MONGODB_URI" ]; then \
		$(DEVDB) start --port $(DEVDB_PORT) && export MONGODB_URI="$$($(DEVDB) uri)" || exit 1; \
		echo "jobtask: using the dev database at $$MONGODB_URI"; \
	fi; \
	LOG_FORMAT=$${LOG_FORMAT:-text} exec $(BIN)/python -m jobtask

demo: install  ## drive N demo tasks (default 200) through the running server's writer API (SPACEONE_API=2: in workspaces)
	$(BIN)/python -m jobtask.demo --count $${N:-200}

bench: install
	$(DEVDB) build
	$(BIN)/python tools/bench.py $(BENCH_ARGS)

# make test runs the benchmark briefly on the real engine: every scenario, every path, both edges
# of the comparison, so a change that breaks the bench (or a call it makes) fails CI. It asserts
# no figures; it fails only when the run does or when a call in it failed.
# --reference off: SpaceONE's reference server (make reference) is left out of make test: its
# failures are not ours (once, a connection reset by the shared engine failed 3 of its gets).
BENCH_SMOKE_ARGS := --count 2000 --seconds 0.3 --rounds 1 --clients 1,4 --label smoke --reference off
# And where a stat call's time goes (tools/stat_phases.py), briefly: it fails when it cannot time
# every phase (grpcio's internals it wraps moved).
STAT_PHASES_SMOKE_ARGS := --database bench_stat_phases_smoke --count 2000 --calls 20

.PHONY: bench-smoke
bench-smoke: install $(GRPC_FLOOR)  ## the benchmark for a few seconds on the real engine ($(REALDB))
	@if [ ! -e "$(REALDB)" ]; then \
		echo "== benchmark smoke run on the real engine: SKIPPED, $(REALDB) is not there"; exit 0; \
	fi; \
	$(call realdb_uri,benchmark smoke run on the real engine); \
	echo "== benchmark smoke run on the real engine (no figures asserted)"; \
	$(BIN)/python tools/bench.py --uri "$$uri" $(BENCH_SMOKE_ARGS) && \
	$(BIN)/python tools/stat_phases.py --uri "$$uri" $(STAT_PHASES_SMOKE_ARGS) && \
	$(BIN)/python tools/stat_phases.py --floor --calls 20 --go-floor $(GRPC_FLOOR)

reliability: install  ## load, SIGTERM under load, outages, fuzz and hostile callers; prints a table
	$(DEVDB) build
	$(BIN)/python tools/reliability.py $(RELIABILITY_ARGS)

clean:
	rm -rf $(VENV) $(IMAGE_VENV) .venv-clients $(IDENTITY_VENV) $(IDENTITY2_VENV) $(REFERENCE_VENV) .tools .pytest_cache .mypy_cache .ruff_cache tools/devdb/target
