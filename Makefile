# signing-gateway — two commands: `make run` and `make test`.
#
# Needs Swift 6.2 or newer (checked below) on Debian 12. Missing Debian packages are installed with apt-get, which
# needs root: as root it runs directly, otherwise through sudo when there is one; else the recipe stops and names
# the packages. The Python test tools live in a virtual environment under .build/venv (Debian's system Python is
# externally managed, so pip cannot install into it).
SWIFT ?= swift
PKGS  := libcurl4-openssl-dev libsqlite3-dev pkg-config openssl curl jq
VENV  := .build/venv
PY    := $(VENV)/bin/python

.PHONY: run test build deps test-deps swift-version lint format bench bench-pg bench-events clean validate-deploy fuzz

# `apt_install <packages…>`: apt-get update once, then install; as root, with sudo, or a clear stop.
define APT_INSTALL
apt_install() { \
  if [ "$$(id -u)" -eq 0 ]; then as=""; elif command -v sudo >/dev/null 2>&1; then as="sudo"; else \
    echo "missing Debian packages: $$*; run make as root, or install them: apt-get install $$*" >&2; exit 1; fi; \
  echo "installing: $$*"; \
  if [ -z "$${APT_UPDATED:-}" ]; then $$as apt-get update -qq && APT_UPDATED=1; fi; \
  $$as env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$$@" >/dev/null; }
endef

swift-version:
	@v=$$($(SWIFT) --version 2>/dev/null | sed -n 's/.*Swift version \([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p' | head -1); \
	if [ -z "$$v" ]; then echo "Swift not found: install Swift 6.2 or newer (https://www.swift.org/install/linux/) and put it on PATH" >&2; exit 1; fi; \
	set -- $$v; if [ "$$1" -lt 6 ] || { [ "$$1" -eq 6 ] && [ "$$2" -lt 2 ]; }; then \
	  echo "Swift $$1.$$2 is too old: signing-gateway needs Swift 6.2 or newer (swift-tools-version 6.2)" >&2; exit 1; fi

# The system packages the build needs (and curl and jq, which the README walkthrough uses).
deps: swift-version
	@$(APT_INSTALL); missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt_install $$missing; fi

# What the test suites need beyond the build: Python tools in $(VENV) (from PyPI; it sees the system's packages,
# so what is already installed is not fetched again), nginx (Tests/deploy, bench), Chromium and its driver
# (Tests/console: the console in a real browser), promtool, sqlite3, jq, systemd-analyze and strace
# (Tests/deploy/test_operations.py: the alert rules and the runbook's backup commands).
test-deps: deps
	@$(APT_INSTALL); missing=""; \
	python3 -c "import ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	for t in nginx:nginx chromium:chromium chromedriver:chromium-driver promtool:prometheus sqlite3:sqlite3 \
	  systemd-analyze:systemd strace:strace; do \
	  command -v $${t%%:*} >/dev/null 2>&1 || [ -x /usr/sbin/$${t%%:*} ] || missing="$$missing $${t#*:}"; done; \
	if [ -n "$$missing" ]; then apt_install $$missing; fi
	@[ -x $(PY) ] || python3 -m venv --system-site-packages $(VENV)
	@$(PY) -c "import pytest, yaml, jsonschema, standardwebhooks, cloudevents, schemathesis, kubernetes_validate, selenium" 2>/dev/null || \
	  $(PY) -m pip install -q -r Tests/requirements.txt

build: deps
	$(SWIFT) build

run: build
	$(SWIFT) run signing-gateway serve $(ARGS)

# The storage conformance suite needs a real PostgreSQL: a throw-away server is started after the build and
# always stopped afterwards (the trap), and the recipe exits with the tests' status. Then one pytest run over the
# Python suites (Tests/conftest.py has the fixtures). The Swift suites take about 3 minutes; a test that hangs
# (a `.timeLimit` records it but cannot end a task that never resumes) fails the run at 15 instead of holding CI.
test: test-deps
	$(SWIFT) build --build-tests
	@trap 'bash scripts/test-postgres.sh stop' EXIT INT TERM; \
	bash scripts/test-postgres.sh start && set -a && . ./.build-pg/env && set +a && \
	timeout --kill-after=10s 15m $(SWIFT) test --skip-build && \
	$(PY) -m pytest -p no:cacheprovider -v Tests/contract Tests/resilience Tests/deploy Tests/console

# deploy/: Dockerfile and compose parsed, Kubernetes manifests checked against offline schemas
# (kubernetes-validate --strict), systemd unit verified, compose's nginx.conf through `nginx -t`; offline, a
# few seconds. Part of `make test`; this target runs it alone (nginx and kubernetes-validate from test-deps).
validate-deploy: test-deps build
	$(PY) -m pytest -p no:cacheprovider -v Tests/deploy

# The larger property-based run: schemathesis with many more cases per operation (several minutes).
fuzz: test-deps
	$(SWIFT) build
	SCHEMATHESIS_MAX_EXAMPLES=$${FUZZ_EXAMPLES:-500} $(PY) -m pytest -p no:cacheprovider -v Tests/contract/test_clients.py

lint:
	$(SWIFT) format lint -r Sources Tests

format:
	$(SWIFT) format -i -r Sources Tests

bench: deps
	bash bench/run.sh

# Only the PostgreSQL / SQLite sign path ratio, three rounds (bench/pg-sign.sh).
bench-pg: deps
	bash bench/pg-sign.sh

# Outbox drain rate: a pre-filled backlog delivered to a local nginx answering 204, on SQLite and PostgreSQL.
bench-events: build
	bash bench/events.sh

clean:
	rm -rf .build
