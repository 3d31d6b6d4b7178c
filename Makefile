# xueji: make test | make test-fast | make lint | make bench | make samples | make report | make lab | make dashboard
#        make bundle | make bundle-check  (the offline install bundles: offline/build_bundle.py)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup test test-fast lint bench samples report lab dashboard clean bundle bundle-check

# Create .venv when it is missing and install the pinned stack: the library with every extra, and the dev tools
# (pyproject.toml); redone when the pins change. The Jupyter kernel "xueji" (this venv's python) is registered
# inside the venv, where papermill and JupyterLab find it.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[all,dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name xueji --display-name "Python (xueji)"
	touch $(STAMP)

setup: $(STAMP)

# The whole suite, after the lint: what CI runs (.ci/run). pytest-xdist, one worker a core (-n auto): many tests
# wait on a kernel, a browser, Spark or a child process, and the second core fills those gaps. --dist loadfile keeps
# each module in one worker, in order, so its module fixtures are made once (a worker with Spark tests starts its own
# test cluster). --dist loadgroup would be finer but does not group under pytest 9.2 (xdist 3.8 renames node ids
# pytest 9 no longer reads). --durations lists the slowest tests for the next cut.
test: lint
	$(BIN)/python -m pytest -q -n auto --dist loadfile --durations=30

# The edit-test loop: everything but the slow groups (pytest markers in pyproject.toml: real browsers, Spark,
# real Jupyter kernels — papermill, nbclient, Voila, JupyterLab).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not spark and not notebook"

# ruff (lint rules and formatting, [tool.ruff] in pyproject.toml) and the layer contracts (lint-imports,
# [tool.importlinter]: each layer imports only from the layers below it, no import circles).
lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/lint-imports

# Speed and memory against named baselines (bench/bench.py --help), each row printed and appended to
# bench/out/results-<time>.md/.jsonl as it finishes; the default groups take about 9 minutes, the long ones
# (report-big, soak, engines) run by name: make bench BENCH_ARGS='--only soak'  (or BENCH_ARGS=--all).
bench: $(STAMP)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

samples: $(STAMP)
	$(BIN)/xueji samples --out data_samples

# The three reports on the samples (xueji report --samples: enrollment reconciliation of the HEI DBFs, statistics
# of the K-12 roster 2026春 against 2025秋, roster changes 2025秋 → 2026春 with the 学籍异动 list; their parameters
# live in xueji_lib/reporting/report.py SAMPLE_RUNS), then where the reports and the index are.
report: $(STAMP)
	$(BIN)/xueji report --samples
	@echo "报告在 $(CURDIR)/reports/（每份报告一个目录，每次运行一个子目录）"

# JupyterLab on 127.0.0.1 with a token, kernel "xueji", notebooks/ as the root (xueji lab --help: port, token).
lab: $(STAMP)
	$(BIN)/xueji lab $(LAB_ARGS)

# The dashboards (学生查询, 名单对比) with Voila on 127.0.0.1 over a data folder (default: the samples); prints
# the addresses with the access token. make dashboard DATA=/path/to/folder  (xueji dashboard --help: port, token…)
DATA ?=
dashboard: $(STAMP)
	$(BIN)/xueji dashboard $(if $(DATA),--data "$(DATA)") $(DASHBOARD_ARGS)

# The offline install bundles for intranet PCs (README 内网安装): per target system (Windows x86-64, Linux x86-64)
# and Python (3.11–3.13) a folder and a zip in dist/offline/ with every wheel at the lock's pins, the install scripts
# and a manifest; BUNDLE_ARGS='--target windows --python 3.11' for one. Needs the package index (downloads by
# platform tag, kept in build/offline-wheels/).
bundle: $(STAMP)
	$(BIN)/python offline/build_bundle.py $(BUNDLE_ARGS)

# Build the Linux bundle for this Python, install it with no network for pip into a fresh folder, and run
# xueji validate, a report and the dashboard from that install (offline/check_bundle.py); CI runs it after the tests.
bundle-check: $(STAMP)
	$(BIN)/python offline/check_bundle.py

clean:
	rm -rf $(VENV) build dist *.egg-info .ruff_cache .import_linter_cache .grimp_cache

# The readers' contract on hostile bytes, at length (issue 14 §1): thousands of mutated DBF, xlsx and CSV files
# from a fixed seed, each read in a child process under a memory and a time limit (tests/fuzz.py; the test suite
# runs 200 per reader). FUZZ_ARGS="--count 10000 --seed 7 --keep /tmp/fuzz_findings" to change the run.
.PHONY: fuzz
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz $(FUZZ_ARGS)
