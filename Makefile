# Two commands for a fresh machine (see README):  make run   |   make test
.PHONY: setup setup-test run test test-fast lint eval bench clean

export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export ANONYMIZED_TELEMETRY ?= False
export GRADIO_ANALYTICS_ENABLED ?= False
PY := .venv/bin/python

setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh --test

run: setup
	$(PY) -m rag_assistant.cli chat

test: setup-test
	@bash scripts/run_tests.sh

lint: setup-test
	.venv/bin/ruff check rag_assistant tests eval scripts

test-fast: setup-test
	$(PY) -m pytest -q -m "not llm and not browser"

eval: setup
	$(PY) -m rag_assistant.cli eval --baselines

bench: setup
	$(PY) -m rag_assistant.cli bench

clean:
	rm -rf var test-artifacts
