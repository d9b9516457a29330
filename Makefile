# Jingban (经办). Two commands on a fresh machine: `make run` and `make test`; each installs what it needs.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
LAUNCHER := $(BIN)/python deploy/local/launcher.py
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-unit test-integration test-e2e test-faults test-cluster test-browser browser-deps lint proto up \
        down demo bench install clean web

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
	-@$(MAKE) --no-print-directory web  # the web app; without Node the gateway serves a page naming `make web`
	$(BIN)/jingban run

## Everything: lint, contract staleness, unit, the browser tier (the web app in Chromium), integration (real Kafka +
## FerretDB), e2e, cluster manifests.
test: install browser-deps
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

## The browser tier alone: Playwright drives Debian's Chromium through the web app over embedded mode (demo data).
test-browser: install browser-deps
	$(BIN)/python -m pytest tests/browser -q

## What the browser tier needs: Debian's Chromium and a CJK font (apt-get install -y chromium fonts-noto-cjk when
## missing, as root, said as it goes) and the built web app. A failure here does not stop `make test`: the browser
## tier then fails, naming what is missing, and the other tiers still run.
browser-deps: install
	-@$(BIN)/python -m tests.browser.chromium
	-@$(MAKE) --no-print-directory web

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

## The web app (web/dist, served by the gateway at one origin): `npm ci` when the lock file changed, then the Vite
## build — skipped while web/dist is newer than every source (Node 20.19+ and the npm registry).
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/package.json web/vite.config.ts \
           web/tsconfig.json
WEB_DEPS := web/node_modules/.installed-$(shell cat web/package-lock.json 2>/dev/null | sha1sum | cut -c1-12)

web: web/dist/index.html

$(WEB_DEPS): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@rm -f web/node_modules/.installed-*; touch $@

web/dist/index.html: $(WEB_DEPS) $(WEB_SRC)
	cd web && npm run build
	@touch $@

clean:
	rm -rf $(VENV) .jingban
