# make venv | run | test | bench | api-docs | clean
# run/test/bench install and start what is missing (RabbitMQ with its management plugin,
# PostgreSQL, for the browser tests Chromium, for the CSV-in-a-spreadsheet tests LibreOffice
# Calc, for the check of deploy/compose.yaml docker-compose) through scripts/ensure_*.sh,
# which say what they did.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
PYTEST_ARGS ?=

.PHONY: venv run test bench api-docs clean

venv: $(STAMP)

# Reinstalls only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

run: venv
	@bash scripts/ensure_rabbitmq.sh
	@if env | grep -qE '^[A-Z0-9_]*DATABASE_URL=postgres'; then bash scripts/ensure_postgres.sh; fi
	$(VENV)/bin/python scripts/system.py run

test: venv
	@bash scripts/ensure_rabbitmq.sh
	@bash scripts/ensure_postgres.sh
	@bash scripts/ensure_package.sh $${CLEP_CHROMIUM:-/usr/bin/chromium} chromium
	@bash scripts/ensure_package.sh $${CLEP_LIBREOFFICE:-/usr/bin/libreoffice} libreoffice-calc
	@bash scripts/ensure_package.sh /usr/bin/docker-compose docker-compose
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

# the bench extras on top of the venv (gunicorn, for bench/order_history.py)
$(BENCH_STAMP): $(STAMP)
	$(VENV)/bin/python -m pip install -q -e '.[test,bench]'
	@touch $(BENCH_STAMP)

bench: venv $(BENCH_STAMP)
	@bash scripts/ensure_rabbitmq.sh
	@bash scripts/ensure_postgres.sh
	@bash scripts/ensure_package.sh /usr/bin/wrk wrk
	$(VENV)/bin/python -m bench

# docs/API.md, generated from the gateway's OpenAPI document (no system needs to run)
api-docs: venv
	$(VENV)/bin/python -m scripts.api_docs

clean:
	rm -rf var/
