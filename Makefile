# Developer shortcuts; each runs the same checks as CI (.ci/run is ./scripts/test).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: help install lint test-fast test snapshots dev wheel-check

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install:  ## the dev environment: an editable install with the test and dev tools
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[dev]"

lint:  ## ruff, ruff format, strict mypy and the import-linter layer contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test-fast:  ## lint and the fast tiers (no real vLLM, no Docker)
	./scripts/test -m "not e2e"

test:  ## everything CI runs: lint, the fast tiers, e2e against real vLLM and Docker
	./scripts/test

snapshots:  ## rewrite the SVG snapshots after a deliberate change to the screen (look at them!)
	$(PY) -m pytest tests/app --snapshot-update -q

dev:  ## the demo console under textual's devtools (run `$(VENV)/bin/textual console` beside it)
	$(VENV)/bin/textual run --dev -c $(VENV)/bin/vlmconsole demo

wheel-check:  ## build the wheel into dist/, check its contents, run it installed from another folder
	rm -rf dist && $(PY) -m build --wheel --no-isolation --outdir dist .
	$(PY) -m pytest -q tests/packaging tests/e2e/test_installed_wheel.py -k "not real_server"
