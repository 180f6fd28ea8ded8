# make demo   set everything up, then grade the sample class folder (no network needed)
#             (make demo DATASETS=../shared/datasets grades it on the real MNIST instead)
# make test   set everything up, then run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Deterministic synthetic stand-ins by default: quick, and the same on every machine.
DATASETS ?= synthetic

.PHONY: setup system demo test test-slow test-fast bench clean

setup: system $(VENV)/.installed

system:
	@./scripts/install-system-deps.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[tf,test,ray]'
	touch $@

demo: setup
	$(BIN)/grader grade submissions/nn-basics-keras --rubric nn-basics-keras --datasets $(DATASETS) --out reports/demo

# Everything but the real-data self-tests (about an hour on two cores: make test-slow).
test: setup
	$(BIN)/python -m pytest -m "not slow"

test-slow: setup
	$(BIN)/python -m pytest -m slow

test-fast: setup
	$(BIN)/python -m pytest -m "not tf and not slow"

bench: setup
	$(BIN)/python -m pip install -q -e '.[tf,test,ray,bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
