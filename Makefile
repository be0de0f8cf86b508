# Tollgate's entry points. `make run` and `make test` are the README's two
# commands: each sets up .venv (once) and then does its job.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# tfx 1.16 declares python<3.11, yet every compiled dependency ships cp311
# wheels; the lock file pins all of them, so pip has nothing to resolve.
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check --ignore-requires-python
# Debian packages, installed when missing: Graphviz draws lineage graphs;
# Chromium and its driver let the tests look at every page in a real browser;
# the tests start a throwaway MariaDB server for the team store.
APT := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get
RUN_PACKAGES := graphviz
TEST_PACKAGES := chromium chromium-driver mariadb-server

.PHONY: setup run test check bench golden screenshots image lock clean system test-system

setup: $(VENV)/.installed system

system:
	@dpkg -s $(RUN_PACKAGES) >/dev/null 2>&1 || { $(APT) update -qq && $(APT) install -y -qq $(RUN_PACKAGES); }

test-system:
	@dpkg -s $(TEST_PACKAGES) >/dev/null 2>&1 || { $(APT) update -qq && $(APT) install -y -qq $(TEST_PACKAGES); }

$(VENV)/.installed: requirements/lock.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) pip==24.2
	$(PIP_INSTALL) -r requirements/lock.txt
	$(PIP_INSTALL) --no-deps --no-build-isolation --use-pep517 -e .
	touch $@

run: setup
	$(BIN)/tollgate run

# Two workers, one per core of CI's machine: a test mostly waits on a child
# `tollgate` process, and a run keeps about one core busy (the serving, CLI
# and MariaDB e2e tests took 183 s on two workers, 350 s on one). Tests that
# share a trained run stay on one worker (tests/groups.py). The 15 slowest
# tests are listed last.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

test: setup test-system
	$(PYTEST) --durations=15 tests

# For iterating: the unit tests and the layer contracts, no end-to-end run.
check: setup test-system
	$(PYTEST) -m "not e2e" tests

bench: setup
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_scale.py --sizes 100k

# The README's pictures of a run report and a model card (about 3 minutes).
screenshots: setup test-system
	$(BIN)/python tests/browser.py pipeline/reports/screenshots

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
