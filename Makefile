# xueji: make test | make test-fast | make lint | make bench | make samples | make report | make lab | make dashboard
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup test test-fast lint bench samples report lab dashboard clean

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

# The whole suite, after the lint: what CI runs (.ci/run).
test: lint
	$(BIN)/python -m pytest -q

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

# The three reports on the samples: enrollment reconciliation (HEI DBF), statistics (K-12 roster 2026春 against
# 2025秋) and roster changes (2025秋 → 2026春 with the 学籍异动 list); then where the reports and the index are.
K12 := data_samples/k12
report: $(STAMP)
	$(BIN)/xueji report 新生注册核对报告 -p admission data_samples/hei/10_录取名单.dbf \
		-p registration data_samples/hei/10_注册上报.dbf -p states data_samples/hei/10_新生状态.dbf \
		-p year 2026 -p category 10 -p school_code 19999 -p school_name 华夏示范大学
	$(BIN)/xueji report 学籍统计报告 -p roster $(K12)/学生名单_2026春.xlsx -p previous $(K12)/学生名单_2025秋.xlsx \
		-p kind k12 -p title 示范县教育局
	$(BIN)/xueji report 学籍变动报告 -p old $(K12)/学生名单_2025秋.xlsx -p new $(K12)/学生名单_2026春.xlsx \
		-p changes $(K12)/学籍异动_2026春.xlsx -p title 示范县教育局
	@echo "报告在 $(CURDIR)/reports/（每份报告一个目录，每次运行一个子目录）"
	@echo "报告索引：$(CURDIR)/reports/index.html"

# JupyterLab on 127.0.0.1 with a token, kernel "xueji", notebooks/ as the root (xueji lab --help: port, token).
lab: $(STAMP)
	$(BIN)/xueji lab $(LAB_ARGS)

# The dashboards (学生查询, 名单对比) with Voila on 127.0.0.1 over a data folder (default: the samples); prints
# the addresses with the access token. make dashboard DATA=/path/to/folder  (xueji dashboard --help: port, token…)
DATA ?= data_samples
dashboard: $(STAMP)
	$(BIN)/xueji dashboard --data "$(DATA)" $(DASHBOARD_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info .ruff_cache .import_linter_cache .grimp_cache

# The readers' contract on hostile bytes, at length (issue 14 §1): thousands of mutated DBF, xlsx and CSV files
# from a fixed seed, each read in a child process under a memory and a time limit (tests/fuzz.py; the test suite
# runs 200 per reader). FUZZ_ARGS="--count 10000 --seed 7 --keep /tmp/fuzz_findings" to change the run.
.PHONY: fuzz
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz $(FUZZ_ARGS)
