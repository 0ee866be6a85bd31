# signing-gateway — two commands: `make run` and `make test`.
SWIFT ?= swift
PKGS  := libcurl4-openssl-dev libsqlite3-dev pkg-config openssl

.PHONY: run test build deps test-deps lint format bench bench-events clean validate-deploy fuzz

# Installs the system packages the build needs when they are missing (fresh Debian, as root).
deps:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The Python suites' libraries, from PyPI when the interpreter lacks them; nginx for the deploy test (it fails
# without it; Debian's `nginx`, `nginx-light` is only a transitional package for it on bookworm).
test-deps: deps
	@python3 -c "import pytest" 2>/dev/null || python3 -m pip install -q pytest
	@python3 -c "import yaml, jsonschema" 2>/dev/null || python3 -m pip install -q pyyaml jsonschema
	@python3 -c "import standardwebhooks, cloudevents" 2>/dev/null || python3 -m pip install -q standardwebhooks cloudevents
	@python3 -c "import schemathesis" 2>/dev/null || python3 -m pip install -q schemathesis
	@python3 -c "import kubernetes_validate" 2>/dev/null || python3 -m pip install -q 'kubernetes-validate==1.37.0'
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "installing: nginx"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
	@python3 -c "import selenium" 2>/dev/null || python3 -m pip install -q selenium
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
	  echo "installing: chromium chromium-driver (Tests/console: the console in a real browser)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@missing=""; for t in promtool:prometheus sqlite3:sqlite3 jq:jq systemd-analyze:systemd strace:strace; do command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing (Tests/deploy/test_operations.py: promtool, the runbook's backup commands)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi

build: deps
	$(SWIFT) build

run: build
	$(SWIFT) run signing-gateway serve $(ARGS)

# The storage conformance suite needs a real PostgreSQL: a throw-away server is started after the build and
# always stopped afterwards (the trap), and the recipe exits with the tests' status. Then one pytest run over the
# Python suites (Tests/conftest.py has the fixtures).
test: test-deps
	$(SWIFT) build --build-tests
	@trap 'bash scripts/test-postgres.sh stop' EXIT INT TERM; \
	bash scripts/test-postgres.sh start && set -a && . ./.build-pg/env && set +a && \
	$(SWIFT) test --skip-build && \
	python3 -m pytest -p no:cacheprovider -v Tests/contract Tests/resilience Tests/deploy Tests/console

# deploy/: Dockerfile and compose parsed, Kubernetes manifests checked against offline schemas
# (kubernetes-validate --strict), systemd unit verified, compose's nginx.conf through `nginx -t`; offline, a
# few seconds. Part of `make test`; this target runs it alone (nginx and kubernetes-validate from test-deps).
validate-deploy: test-deps build
	python3 -m pytest -p no:cacheprovider -v Tests/deploy

# The larger property-based run: schemathesis with many more cases per operation (several minutes).
fuzz: test-deps
	$(SWIFT) build
	SCHEMATHESIS_MAX_EXAMPLES=$${FUZZ_EXAMPLES:-500} python3 -m pytest -p no:cacheprovider -v Tests/contract/test_clients.py

lint:
	$(SWIFT) format lint -r Sources Tests

format:
	$(SWIFT) format -i -r Sources Tests

bench: deps
	bash bench/run.sh

# Outbox drain rate: a pre-filled backlog delivered to a local nginx answering 204, on SQLite and PostgreSQL.
bench-events: build
	bash bench/events.sh

clean:
	rm -rf .build
