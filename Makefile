# Thin entry points. Each target creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := build/demo

.PHONY: demo test bench clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[local,test,bench]'
	touch $@

# The main job on the embedded local AWS emulator: bootstrap a project's state backend, then show it converged.
demo: $(BIN)/.installed
	mkdir -p $(DEMO_DIR)
	$(BIN)/ecsenv -C $(DEMO_DIR) local start
	$(BIN)/ecsenv -C $(DEMO_DIR) --local init --yes
	$(BIN)/ecsenv -C $(DEMO_DIR) --local init --plan
	@echo "The demo project is in $(DEMO_DIR) (ecsenv.yaml). Stop the emulator with: $(BIN)/ecsenv -C $(DEMO_DIR) local stop"

test: $(BIN)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_init.py
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_lifecycle.py

clean:
	rm -rf $(VENV) build
