# Distrust Impact — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := distrust-impact
# JupyterLab refuses to run as root unless told; the README's set-up runs as root on a fresh machine.
LAB_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.DEFAULT_GOAL := help
.PHONY: help report test system-deps venv bench clean lab figures

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# pip prints one line per package it collects and installs (about 3 minutes on a fresh machine: pandas, pyarrow,
# matplotlib, JupyterLab); no download progress bars, so a log file stays one line per event.
$(STAMP): pyproject.toml
	@echo "==> creating the virtual environment in $(VENV) (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip"
	$(BIN)/pip install --progress-bar off --upgrade pip
	@echo "==> installing the package and its dependencies (pyproject.toml)"
	$(BIN)/pip install --progress-bar off --editable '.[test]'
	@echo "==> installing the Jupyter kernel '$(KERNEL)' the notebooks name"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name $(KERNEL) --display-name "Python 3 (distrust-impact)" >/dev/null
	touch $(STAMP)
	@echo "==> ready: $(VENV)"

venv: $(STAMP) ## create or refresh the virtual environment in .venv

system-deps: ## install PostgreSQL 15 + PL/Python if missing (Debian; needs root)
	@.ci/system-deps

report: system-deps venv ## THE MAIN JOB: full report on the embedded demo population, offline
	$(BIN)/distrust-impact report --demo --force

test: system-deps venv ## run the whole test suite (starts and removes its own PostgreSQL)
	$(BIN)/pytest

bench: system-deps venv ## run the benchmarks (print tables; not part of the tests)
	$(BIN)/python benchmarks/bench_impact.py
	$(BIN)/python benchmarks/bench_queries.py

figures: system-deps venv ## regenerate the reference figures the README shows (demo report + root-store history)
	$(BIN)/distrust-impact report --demo --force --out build/readme-report
	mkdir -p figures/demo
	cp build/readme-report/demo-root-ca/2019-09-03/figures/*.png build/readme-report/demo-root-ca/sweep/figures/*.png figures/demo/
	$(BIN)/python -c "from analysis import figures; figures.plot_root_store_history(path_stem='figures/mozilla_root_store_history')"

lab: venv ## open JupyterLab on the notebooks with the project's kernel
	$(BIN)/jupyter lab $(LAB_ROOT) notebooks/

clean: ## remove the virtualenv, caches and generated reports
	rm -rf $(VENV) reports build data/cache data/demo/generated .pytest_cache
