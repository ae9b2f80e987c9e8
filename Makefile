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

.PHONY: install run demo test unit integration e2e services lint bench clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/rps run

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

unit: install
	$(BIN)/pytest -q tests/unit

integration: install services
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_AMQP_URI=$(TEST_AMQP_URI) $(BIN)/pytest -q tests/integration

e2e: install services
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_AMQP_URI=$(TEST_AMQP_URI) $(BIN)/pytest -q tests/e2e

test: install services
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_AMQP_URI=$(TEST_AMQP_URI) \
	  $(BIN)/pytest -q -p no:cacheprovider tests/unit tests/integration tests/e2e

clean:
	rm -rf $(VENV) var .pytest_cache
