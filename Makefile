# Budget Commun: `make run` to try it, `make test` to check everything. Both set up what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV     := .venv
PY       := $(VENV)/bin/python
PIP      := $(VENV)/bin/pip
FLASK    := FLASK_APP=wsgi.py $(VENV)/bin/flask
STAMP    := $(VENV)/.installed
HOST     ?= 127.0.0.1
PORT     ?= 5000
PG_PORT  ?= 55432
export SE_OFFLINE := true
export SE_AVOID_STATS := true

.PHONY: run test setup venv deps assets translations migrate demo browser postgres-tools lint test-sqlite test-postgres worker clean

## Set-up shared by run and test -------------------------------------------------------------
venv: $(PY)
$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

deps: $(STAMP)
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

assets: node_modules/.installed
node_modules/.installed: package.json
	npm install --no-package-lock --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

translations: deps
	$(FLASK) translate compile

migrate: deps
	mkdir -p instance
	BUDGET_ENV_NAME=development $(FLASK) db upgrade

demo: migrate
	BUDGET_ENV_NAME=development $(FLASK) pb demo

setup: deps assets translations

## make run: serve the demo city on SQLite, with the outbox worker beside the server -----------
run: setup migrate demo
	@echo ""
	@echo "Budget Commun runs on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	@echo "Mail is not sent: officials read it at http://$(HOST):$(PORT)/admin/outbox"
	@set -m; export BUDGET_ENV_NAME=development; \
	  $(FLASK) pb worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

worker: setup migrate
	BUDGET_ENV_NAME=development $(FLASK) pb worker

## make test: lint, then the whole suite on SQLite and on a throw-away PostgreSQL ----------------
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "Installing Debian's chromium and chromium-driver"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium chromium-driver fonts-liberation >/dev/null; \
	fi

postgres-tools:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "Installing Debian's postgresql"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    postgresql >/dev/null; \
	fi

lint: deps
	$(VENV)/bin/ruff check .

test-sqlite: setup browser
	$(VENV)/bin/pytest -p no:cacheprovider

test-postgres: setup browser postgres-tools
	@bash tools/with-postgres.sh $(PG_PORT) $(VENV)/bin/pytest -p no:cacheprovider

test: setup browser postgres-tools lint
	@status=0; \
	echo "=== pytest on SQLite ==="; $(MAKE) --no-print-directory test-sqlite || status=1; \
	echo "=== pytest on PostgreSQL ==="; $(MAKE) --no-print-directory test-postgres || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) node_modules instance/budget.sqlite
