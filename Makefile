# xueji: make test | make bench | make samples   (make report / make dashboard / make lab come later)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup test bench samples clean

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

clean:
	rm -rf $(VENV) build *.egg-info
