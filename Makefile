# Lectern — every command bootstraps its own virtualenv (.venv) on first use.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR):$(CURDIR)/layers/shared/python
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: bench-full race dev test test-unit test-integration test-infra test-e2e lint openapi openapi-check synth bench simulate layer deploy clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

dev: $(STAMP)  ## run the whole API locally on http://127.0.0.1:3000 (LECTERN_PORT overrides)
	$(BIN)/python -m local.server

test: $(STAMP)  ## every test tier: unit, integration (moto), infra (CDK), e2e (local API over HTTP)
	$(BIN)/python -m tools.openapi --check
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit
test-integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration
test-infra: $(STAMP)
	$(BIN)/python -m pytest -q tests/infra
test-e2e: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layers/shared/python/lectern functions

openapi: $(STAMP)  ## regenerate docs/openapi.json from the routes
	$(BIN)/python -m tools.openapi

synth: $(STAMP)  ## synthesise the CDK app offline into cdk.out/
	$(BIN)/python infra/app.py

bench: $(STAMP)  ## DynamoDB calls per operation, cold-init ratios, render ratio, small throughput runs
	$(BIN)/python -m tools.bench

bench-full: $(STAMP)  ## as bench, with the issues' sizes: 10,000 participant events, 1,000 certificates (about an hour on moto)
	$(BIN)/python -m tools.bench --attendance 10000 --certificates 1000

simulate: $(STAMP)  ## play a webinar as signed Zoom webhooks against the running local API (make dev); ARGS="--help"
	$(BIN)/python -m tools.simulate $(ARGS)

race: $(STAMP)  ## the registration storm at full size: 500 concurrent registrations, capacity 100, RUNS times
	LECTERN_RACE_REGISTRANTS=500 LECTERN_RACE_CAPACITY=100 LECTERN_RACE_RUNS=$${RUNS:-20} \
	  $(BIN)/python -m pytest -q -s -o timeout=0 tests/e2e/test_registration_race.py tests/e2e/test_discount_race.py

STAGE ?= dev

layer: $(STAMP)  ## build the shared layer for Lambda (arm64 wheels + lectern, compiled .pyc) into build/layer
	$(BIN)/python infra/build_layer.py

deploy: layer  ## deploy to AWS (needs credentials and a bootstrapped account): make deploy STAGE=prod
	npx --yes aws-cdk@2 deploy --all -c stage=$(STAGE) -c layer_dir=build/layer --require-approval broadening

clean:
	rm -rf cdk.out build .pytest_cache .mypy_cache .ruff_cache
