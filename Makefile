# roman-lab: `make demo` and `make test` are the two commands a newcomer needs (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make
DEMO_DIR ?= demo-data
DEMO_ARGS ?=
UI_DEMO := ui-tests/.demo/demo

# A Python >= 3.12: $(PYTHON) if given, else python3.12 on the PATH, else pyenv's (oldest >= 3.12 first), else python3.13 or python3.
find_python = $(shell for p in python3.12 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V) python3.13 python3; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
PYTHON ?= $(find_python)

TS_SOURCES := $(shell find src -name '*.ts' -not -name '*.test.ts' 2>/dev/null) $(wildcard schema/*.json style/*.css style/*.js style/icons/*.svg)

.PHONY: help env build demo test test-python test-ts test-ui test-real-data chromium bench clean real-data

help:
	@echo "make demo   set up, generate the demo Roman field in ./$(DEMO_DIR), open JupyterLab on it"
	@echo "make test   install what the tests need, run pytest, the TypeScript tests and the browser tests"

$(STAMPS):
	@mkdir -p $@

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "roman-lab needs Python >= 3.12: install python3.12 (e.g. 'pyenv install 3.12' or 'apt-get install python3.12') or run make PYTHON=/path/to/python3.12"; exit 1; fi
	"$(PYTHON)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "roman-lab needs Node.js >= 20 with npm: install nodejs and npm"; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

# The built frontend (TypeScript -> lib/ -> the prebuilt labextension inside the Python package,
# and the notebook widget's ESM bundle, src/widget/ -> roman_lab/widget/static/widget.js).
WIDGET_ESM := roman_lab/widget/static/widget.js

roman_lab/labextension/package.json: node_modules/.package-lock.json $(TS_SOURCES) tsconfig.json package.json
	npm run build
	@touch $@

# `npm run build` writes it too; this makes it alone when it is missing or older than its sources.
$(WIDGET_ESM): node_modules/.package-lock.json $(TS_SOURCES) package.json
	npm run build:widget

$(STAMPS)/python-installed: pyproject.toml roman_lab/labextension/package.json $(WIDGET_ESM) | $(STAMPS) $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/jupyter-builder develop --overwrite . >/dev/null
	@touch $@

env: $(STAMPS)/python-installed

build: roman_lab/labextension/package.json $(WIDGET_ESM)

demo: env
	$(BIN)/roman-lab demo $(DEMO_DIR) $(DEMO_ARGS)

# Headless Chromium for the browser tests: $(CHROMIUM), else the system's, else Debian's package (as root).
chromium:
	@if [ -n "$$CHROMIUM" ]; then \
		[ -x "$$CHROMIUM" ] || { echo "CHROMIUM=$$CHROMIUM is not an executable browser"; exit 1; }; \
	elif command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need headless Chromium: install it (sudo apt-get install chromium) or set CHROMIUM=/path/to/chromium"; exit 1; \
	fi

ui-tests/node_modules/.package-lock.json: ui-tests/package.json ui-tests/package-lock.json
	cd ui-tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

$(UI_DEMO)/demo.json: $(STAMPS)/python-installed ui-tests/make_truth.py $(shell find roman_lab/demo -name '*.py' 2>/dev/null)
	$(BIN)/roman-lab demo $(UI_DEMO) --small --no-launch --overwrite
	$(BIN)/python ui-tests/make_truth.py $(UI_DEMO)

test-python: env
	$(BIN)/python -m pytest

test-ts: node_modules/.package-lock.json
	npm run lint
	npx tsc -p tsconfig.test.json
	npm test

test-ui: env chromium ui-tests/node_modules/.package-lock.json $(UI_DEMO)/demo.json
	cd ui-tests && npx tsc --noEmit -p tsconfig.json && CHROMIUM="$${CHROMIUM:-$$(command -v chromium)}" JUPYTER="$(CURDIR)/$(BIN)/jupyter" npx playwright test

# The real-products corpus the suites also run on (issue 15): REAL_DATA=ci (3 exposures; ~10 min
# the first time, then kept under ~/.cache/roman-lab/real-data), full, or none (its tests skip).
REAL_DATA ?= ci
test-real-data:
	@[ "$(REAL_DATA)" = none ] || REAL_DATA_SIZE=$(REAL_DATA) bash real_data/build.sh

# Runs all three suites even when one fails (or the corpus cannot be built), then fails if any did.
test: env chromium ui-tests/node_modules/.package-lock.json $(UI_DEMO)/demo.json
	@status=0; \
	$(MAKE) --no-print-directory test-real-data || status=1; \
	$(MAKE) --no-print-directory test-python || status=1; \
	$(MAKE) --no-print-directory test-ts || status=1; \
	$(MAKE) --no-print-directory test-ui || status=1; \
	exit $$status

# The performance budget (docs/performance.md): ~10 minutes, ~15 GB of scratch disk; not a test.
bench: env chromium ui-tests/node_modules/.package-lock.json
	$(BIN)/python benchmarks/bench_demo.py
	$(BIN)/python benchmarks/bench_store.py
	@command -v wrk >/dev/null || echo "(wrk not found: the HTTP benchmark uses its Python client only; apt-get install wrk)"
	$(BIN)/python benchmarks/bench_http.py
	$(BIN)/python benchmarks/bench_viewer.py

# The real-products corpus (issue 15): romanisim L1+L2, a romancal L3 and truth.json, built offline
# in its own venv under ${ROMAN_LAB_REAL_DATA:-~/.cache/roman-lab/real-data}; REAL_DATA_SIZE=ci is the
# smaller corpus. Returns at once when the corpus is there (see real_data/build.sh).
real-data:
	bash real_data/build.sh

clean:
	[ ! -d ui-tests/.home-run ] || chmod -R u+w ui-tests/.home-run
	rm -rf $(STAMPS) lib tsconfig.tsbuildinfo roman_lab/labextension $(WIDGET_ESM) ui-tests/.demo ui-tests/.home-run ui-tests/test-results ui-tests/playwright-report
