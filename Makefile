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

# The contract test's Python libraries, from PyPI when the interpreter lacks them.
test-deps: deps
	@python3 -c "import yaml, jsonschema" 2>/dev/null || python3 -m pip install -q pyyaml jsonschema
	@python3 -c "import standardwebhooks, cloudevents" 2>/dev/null || python3 -m pip install -q standardwebhooks cloudevents
	@python3 -c "import schemathesis" 2>/dev/null || python3 -m pip install -q schemathesis

build: deps
	$(SWIFT) build

run: build
	$(SWIFT) run signing-gateway serve $(ARGS)

# The storage conformance suite needs a real PostgreSQL: a throw-away server is started after the build and
# always stopped afterwards (the trap), and the recipe exits with the tests' status.
test: test-deps
	$(SWIFT) build --build-tests
	@trap 'bash scripts/test-postgres.sh stop' EXIT INT TERM; \
	bash scripts/test-postgres.sh start && set -a && . ./.build-pg/env && set +a && \
	$(SWIFT) test --skip-build && python3 Tests/contract/run_contract.py && \
	python3 Tests/contract/crash_test.py && python3 Tests/contract/replicas_test.py && \
	python3 Tests/contract/clients_test.py && python3 Tests/contract/sigterm_test.py && \
	python3 Tests/contract/events_test.py && python3 Tests/contract/events_crash_test.py && \
	python3 Tests/contract/events_isolation_test.py && python3 Tests/contract/audit_checkpoint_test.py && \
	SIGNING_GATEWAY_EVENTS_POSTGRES=1 python3 Tests/contract/events_test.py
	$(MAKE) validate-deploy

# deploy/: Dockerfile and compose parsed, Kubernetes manifests checked against offline schemas
# (kubernetes-validate --strict), systemd unit verified, compose's nginx.conf through `nginx -t`; offline, a
# few seconds. nginx (Debian's `nginx`; `nginx-light` is only a transitional package for it on bookworm) is
# installed when missing: the validator fails without it.
validate-deploy:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "installing: nginx"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
	@python3 -c "import yaml" 2>/dev/null || python3 -m pip install -q pyyaml
	@python3 -c "import kubernetes_validate" 2>/dev/null || python3 -m pip install -q 'kubernetes-validate==1.37.0'
	python3 Tests/deploy/validate_deploy.py

# The larger property-based run: schemathesis with many more cases per operation (several minutes).
fuzz: test-deps
	$(SWIFT) build
	SCHEMATHESIS_MAX_EXAMPLES=$${FUZZ_EXAMPLES:-500} python3 Tests/contract/clients_test.py

lint:
	$(SWIFT) format lint -r Sources Tests

format:
	$(SWIFT) format -i -r Sources Tests

bench: build
	bash bench/run.sh

# Outbox drain rate: a pre-filled backlog delivered to a local nginx answering 204, on SQLite and PostgreSQL.
bench-events: build
	bash bench/events.sh

clean:
	rm -rf .build
