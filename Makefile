# xueji: make test | make bench | make samples | make report   (make dashboard / make lab come later)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup test bench samples report clean

# Create .venv when it is missing and install the pinned stack; redone when the pins change.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/bench.py

samples: $(STAMP)
	$(BIN)/xueji samples --out data_samples

# The reports on the samples (for now the enrollment reconciliation report; more reports come with issue 5).
report: $(STAMP)
	$(BIN)/xueji report 新生注册核对报告 -p admission data_samples/hei/10_录取名单.dbf \
		-p registration data_samples/hei/10_注册上报.dbf -p states data_samples/hei/10_新生状态.dbf \
		-p year 2026 -p category 10 -p school_code 19999 -p school_name 华夏示范大学

clean:
	rm -rf $(VENV) build *.egg-info
