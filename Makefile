# Tollgate's entry points. `make run` and `make test` are the README's two
# commands: each sets up .venv (once) and then does its job.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# tfx 1.16 declares python<3.11, yet every compiled dependency ships cp311
# wheels; the lock file pins all of them, so pip has nothing to resolve.
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check --ignore-requires-python

.PHONY: setup run test bench golden image lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements/lock.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) pip==24.2
	$(PIP_INSTALL) -r requirements/lock.txt
	$(PIP_INSTALL) --no-deps --no-build-isolation --use-pep517 -e .
	touch $@

run: setup
	$(BIN)/tollgate run

test: setup
	$(BIN)/python -m pytest -q tests

bench: setup
	$(BIN)/python bench/bench_pipeline.py

# Rewrites the golden compiled Kubeflow spec after a deliberate change; review its diff.
golden: setup
	$(BIN)/python tests/kubeflow/golden.py

# The pipeline image for Kubeflow (needs Docker): make image TAG=1.0.0
image:
	test -n "$(TAG)" && test "$(TAG)" != latest || { echo "give TAG=x.y.z (not latest)"; exit 2; }
	docker build -f kubeflow/Dockerfile -t $${IMAGE:-ghcr.io/tollgate/tollgate}:$(TAG) .

# Regenerates the lock file from the current .venv, after a deliberate upgrade.
lock:
	{ sed -n '1,2p' requirements/lock.txt; \
	  $(BIN)/pip freeze --all --exclude-editable | grep -v '^tollgate'; } > requirements/lock.new
	mv requirements/lock.new requirements/lock.txt

clean:
	rm -rf $(VENV) build *.egg-info
