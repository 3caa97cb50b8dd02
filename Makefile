# Meeseeks developer and operator entry points. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
KAFKA_VERSION ?= 3.9.2
export MEESEEKS_KAFKA_VERSION ?= $(KAFKA_VERSION)

.DEFAULT_GOAL := help
.PHONY: help install web-deps test-web kafka-jars kafka-up kafka-down test test-unit test-integration lint format run clean \
	bench-decode bench-accuracy bench-stream bench-soak bench-sink bench-store bench-bcp sample

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "meeseeks needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# The topology page's npm packages (web/package-lock.json), never a browser download.
WEB_MODULES := web/node_modules/.package-lock.json
$(WEB_MODULES): web/package.json web/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix web --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: the live topology page (web/) and its browser test need Node.js 20+ with npm"; fi

web-deps: $(WEB_MODULES) ## install the topology page's pinned npm packages into web/node_modules

install: $(BIN)/.installed web-deps ## create the virtual environment and install the project with dev tools

kafka-jars: install ## fetch the pinned Kafka broker's jars from Maven Central (KAFKA_VERSION=...)
	$(BIN)/meeseeks kafka fetch

kafka-up: install ## start the local single-node Kafka broker on 127.0.0.1:9092
	$(BIN)/meeseeks kafka up

kafka-down: install ## stop the local Kafka broker
	$(BIN)/meeseeks kafka down

test: install kafka-jars ## run every test: unit, then integration against a throwaway real broker
	$(BIN)/pytest tests/unit -q
	$(MAKE) --no-print-directory test-web
	$(BIN)/pytest tests/integration -q

test-unit: install ## run the unit tests only (no services)
	$(BIN)/pytest tests/unit -q
	$(MAKE) --no-print-directory test-web

test-web: web-deps ## the topology page's own unit tests (node's test runner)
	@if command -v node >/dev/null 2>&1; then npm test --prefix web --silent; \
	else echo "node is missing: the topology page's unit tests did not run"; fi

test-integration: install kafka-jars ## run the integration tests only (starts a real broker)
	$(BIN)/pytest tests/integration -q

lint: install ## ruff and mypy (strict)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install ## apply ruff's formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

run: install kafka-jars ## the whole pipeline on the sample estate: broker, processor, worker, topology (Ctrl-C stops)
	$(BIN)/meeseeks demo

bench-decode: install kafka-jars ## decoder vs dpkt vs tshark, decode-and-publish, memory (docs/performance.md)
	$(BIN)/python -m bench.decode

bench-accuracy: install ## edge and cluster precision/recall on a simulated estate (docs/performance.md)
	$(BIN)/python -m bench.estate accuracy --dir bench/out/estate-300s-20m-seed1 --services 300 --minutes 20 --seed 1

bench-stream: install kafka-jars ## Meeseeks worker vs a naive Faust pipeline, memory and query latency (docs/performance.md)
	$(BIN)/python -m bench.stream

bench-soak: install kafka-jars ## 10-minute steady load at half the measured maximum: worker memory and lag (docs/performance.md)
	$(BIN)/python -m bench.soak

bench-sink: install kafka-jars ## graph changes per second from the topic into the SQLite store (docs/performance.md)
	$(BIN)/python -m bench.sink

bench-store: install ## SQLite graph store: batched vs single-row upserts, 30,000 and 300,000 edges (docs/performance.md)
	$(BIN)/python -m bench.store

bench-bcp: install ## BCP plan of a zone failure on 12,000 and 120,000 services: time, memory, consistency (docs/performance.md)
	$(BIN)/python -m bench.bcp

sample: install ## regenerate the bundled sample estate in config/sample
	$(BIN)/python -m bench.estate generate --out config/sample --services 24 --minutes 10 --seed 1

clean: ## remove state, caches and the virtual environment (keeps downloaded Kafka jars)
	rm -rf .meeseeks .kafka/run .pytest_cache .mypy_cache .ruff_cache $(VENV)
