# Two commands for a fresh machine: `make demo` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
# PyTorch builds: these two are on the local disk of our dev/CI machines; override elsewhere,
# e.g. `make TORCH="torch torchvision --index-url https://download.pytorch.org/whl/cpu" test`.
TORCH  ?= torch==2.14.1 torchvision==0.29.1
STAMP  := $(VENV)/.installed
# `make test` runs the suite in this many pytest-xdist workers, one torch thread each, whole files per worker
# (module fixtures train once): about half the wall time of one process on 2 cores (README, "Tests and benchmarks");
# the 25 slowest tests are listed at the end, for whoever trims the suite next
TEST_WORKERS ?= 2

.PHONY: setup data demo test test-all bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

data:
	@bash scripts/ensure-data.sh

demo: setup data
	$(VENV)/bin/gankit train --config configs/demo.yaml --out runs/demo --overwrite

test: setup data
	@bash scripts/ensure-chromium.sh
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=25

test-all: setup data
	@bash scripts/ensure-chromium.sh
	$(PY) -m pytest -q -m "" -n $(TEST_WORKERS) --dist loadfile

bench: setup data  # each script runs in < 10 min on a quiet 2-core CPU; see docs/performance.md
	$(VENV)/bin/gankit bench --model dcgan
	$(PY) bench/vs_reference.py
	$(PY) bench/engine_options.py
	$(PY) bench/precision_quality.py
	$(PY) bench/time_to_quality.py

clean:
	rm -rf $(VENV) runs .pytest_cache
