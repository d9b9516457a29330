# Jingban (经办). Two commands on a fresh machine: `make run` and `make test`; each installs what it needs.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
LAUNCHER := $(BIN)/python deploy/local/launcher.py
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-unit test-integration test-e2e test-faults test-cluster lint proto up down demo bench install clean

install: $(STAMP)

# uv installs the exact pins of requirements.lock into .venv (pip is the fallback to get uv itself).
$(STAMP): requirements.lock pyproject.toml
	@command -v uv >/dev/null 2>&1 || $(PY) -m pip install --quiet --user uv==0.13.8
	@UV=$$(command -v uv || echo $$($(PY) -m site --user-base)/bin/uv); \
	  [ -x $(BIN)/python ] || $$UV venv --quiet --python $(PY) $(VENV); \
	  VIRTUAL_ENV=$(VENV) $$UV pip install --quiet -r requirements.lock && \
	  VIRTUAL_ENV=$(VENV) $$UV pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*; touch $@

## The platform in embedded mode with demo data; prints its URLs.
run: install
	$(BIN)/jingban run

## Everything: lint, contract staleness, unit, integration (real Kafka + FerretDB), e2e, cluster manifests.
test: install
	$(BIN)/python -m tests.run_all

test-unit: install
	$(BIN)/python -m pytest tests/unit tests/contract -q

test-integration: install
	$(BIN)/python -m pytest tests/integration -q

test-e2e: install
	$(BIN)/python -m pytest tests/e2e -q

## The fault tier: kill -9, Kafka and FerretDB outages, poison, graceful stop (starts its own Kafka + FerretDB).
test-faults: install
	$(BIN)/python -m pytest tests/faults -q

test-cluster: install
	$(BIN)/python -m pytest tests/cluster -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

## Regenerate contracts from proto/.
proto: install
	$(BIN)/python scripts/gen_proto.py

## Local mode: real Kafka + FerretDB from deploy/local, then the five services as processes, with the demo of
## `make run` loaded into an empty platform and the dev tokens printed. Ctrl-C (or `make down`) stops the services.
up: install
	$(BIN)/python -m jingban.local up

## Stops what `make up` started (from any terminal): SIGTERM to the services, then Kafka and FerretDB.
down: install
	$(BIN)/python -m jingban.local down

## Loads the demo into the platform `make up` runs (skipped if its tenants already hold data).
demo: install
	$(BIN)/python -m jingban.local demo

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .jingban
