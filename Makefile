# Two entry points for a fresh machine: `make demo` and `make test`. Both create .venv and install everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch first, pinned: the local CPU wheel; an unpinned resolve would pull several GB of CUDA packages.
TORCH := torch==2.13.0

.PHONY: install demo test lint format bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/eureka train --task cartpole --reward human

test: install
	$(BIN)/ruff check eureka tests benchmarks
	$(BIN)/ruff format --check eureka tests benchmarks
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check eureka tests benchmarks

format: install
	$(BIN)/ruff format eureka tests benchmarks
	$(BIN)/ruff check --fix eureka tests benchmarks

bench: install
	$(BIN)/python benchmarks/bench_training.py

clean:
	rm -rf $(VENV) runs
