# Distrust Impact — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := distrust-impact
# JupyterLab refuses to run as root unless told; the README's set-up runs as root on a fresh machine.
LAB_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.DEFAULT_GOAL := help
.PHONY: help report test test-fast lint format lock system-deps venv bench clean lab figures

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# pip prints one line per package it collects and installs (about 3 minutes on a fresh machine: pandas, pyarrow,
# matplotlib, JupyterLab); no download progress bars, so a log file stays one line per event.
# The dependencies come from requirements.lock (exact versions and hashes, so figures are byte-identical across
# machines); the package itself is then installed without resolving anything again. `make lock` refreshes the lock.
$(STAMP): pyproject.toml requirements.lock
	@echo "==> creating the virtual environment in $(VENV) (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip"
	$(BIN)/pip install --progress-bar off --upgrade pip
	@echo "==> installing the locked dependencies (requirements.lock)"
	$(BIN)/pip install --progress-bar off --require-hashes -r requirements.lock
	@echo "==> installing the package itself (pyproject.toml)"
	$(BIN)/pip install --progress-bar off --no-deps --editable .
	@echo "==> installing the Jupyter kernel '$(KERNEL)' the notebooks name"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name $(KERNEL) --display-name "Python 3 (distrust-impact)" >/dev/null
	touch $(STAMP)
	@echo "==> ready: $(VENV)"

venv: $(STAMP) ## create or refresh the virtual environment in .venv

system-deps: ## install PostgreSQL 15 + PL/Python if missing (Debian; needs root)
	@.ci/system-deps

report: system-deps venv ## THE MAIN JOB: full report on the embedded demo population, offline
	$(BIN)/distrust-impact report --demo --force --programs all

test: system-deps venv ## run the whole test suite (starts and removes its own PostgreSQL)
	$(BIN)/pytest

# tests/unit imports no hypothesis test, so hypothesis' pytest plugin (a second of imports) is left out there; the
# tests run on two processes (pytest-xdist): ~15 s instead of ~21 s on this 2-core machine.
test-fast: venv ## the unit tests only, tests/unit (no PostgreSQL, notebook or subprocess): under 20 s, for the edit loop
	$(BIN)/pytest -q -p no:hypothesispytest -n 2 tests/unit

lint: venv ## check the code with ruff (configuration in pyproject.toml)
	$(BIN)/ruff check .

format: venv ## fix what ruff can fix by itself (import order, modern syntax)
	$(BIN)/ruff check --fix .

# Resolved for Python 3.11 on Linux from pyproject.toml (the package's dependencies and its test extra) with
# pip-tools in a throwaway environment; commit the result with the change that needed it.
lock: ## refresh requirements.lock from pyproject.toml (needs the network)
	rm -rf build/lock-env && $(PYTHON) -m venv build/lock-env
	build/lock-env/bin/pip install --progress-bar off pip-tools
	build/lock-env/bin/pip-compile --quiet --upgrade --extra test --generate-hashes --strip-extras \
	    --no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

bench: system-deps venv ## run the benchmarks (print tables; not part of the tests)
	$(BIN)/python benchmarks/bench_impact.py
	$(BIN)/python benchmarks/bench_impact.py --scale
	$(BIN)/python benchmarks/bench_outofcore.py --rows 3000000 --bundle build/bench-ca-3m --compare-pandas
	$(BIN)/python benchmarks/bench_queries.py
	$(BIN)/python benchmarks/bench_report.py

figures: system-deps venv ## regenerate the reference figures the README shows (demo report + root-store history)
	$(BIN)/distrust-impact report --demo --force --programs all --out build/readme-report
	mkdir -p figures/demo
	cp build/readme-report/demo-root-ca/2019-09-03/figures/*.png build/readme-report/demo-root-ca/sweep/figures/*.png figures/demo/
	$(BIN)/python -c "from analysis import figures; figures.plot_root_store_history(path_stem='figures/mozilla_root_store_history')"

lab: venv ## open JupyterLab on the notebooks with the project's kernel
	$(BIN)/jupyter lab $(LAB_ROOT) notebooks/

clean: ## remove the virtualenv, caches and generated reports
	rm -rf $(VENV) reports build data/cache data/demo/generated .pytest_cache
