# Thin entry points. Each target creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := build/demo

.PHONY: demo test test-min lint bench clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,test,bench]'
	touch $@

# The main job on the embedded local AWS emulator, the whole way: init -> apply global_aws and staging -> an image
# -> deploy staging -> apply production -> promote -> status converged (scripts/demo.sh; about five minutes).
demo: $(BIN)/.installed
	DEMO_DIR=$(DEMO_DIR) bash scripts/demo.sh

# The provider for the terraform tests is found as `make demo` finds it (scripts/provider-mirror.sh: the offline
# mirror when this machine has one); tests that need it and cannot have it skip with the reason printed.
test: $(BIN)/.installed
	. scripts/provider-mirror.sh; $(BIN)/python -m pytest $(PYTEST_ARGS)

# The unit tests on exactly the minimum dependency versions setup.cfg declares (its own venv under build/).
test-min:
	bash scripts/min-versions.sh $(PYTEST_ARGS)

# The linter CI runs (rules in ruff.toml).
lint: $(BIN)/.installed
	$(BIN)/ruff check bootstrap tests bench scripts

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_init.py
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_lifecycle.py
	$(BIN)/python bench/bench_deploy.py

clean:
	rm -rf $(VENV) build
