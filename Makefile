# Two commands do everything on a new machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?= $(or $(TERRAIN_DB),data/terrain.duckdb)
PORT ?= 8501

.PHONY: run serve test fuzz demo bench load clean

# pip lists each package as it comes: the first install takes a minute or two, and says so.
$(VENV)/.installed: requirements.txt
	@echo "==> 1/3 Creating the Python environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> 2/3 Updating pip"
	$(PY) -m pip install --quiet --upgrade pip
	@echo "==> 3/3 Installing requirements.txt (a minute or two the first time)"
	$(PY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	@echo "==> Installing requirements-dev.txt (tests, Playwright)"
	$(PY) -m pip install -r requirements-dev.txt
	touch $@

$(DB): | $(VENV)/.installed
	@echo "==> Building the synthetic demo database $(DB)"
	$(PY) -m terrain demo --out $(DB)

demo: $(VENV)/.installed
	$(PY) -m terrain demo --out $(DB)

run: $(VENV)/.installed $(DB)
	$(PY) -m terrain upgrade --db $(DB)
	@echo "==> Starting Terrain on http://localhost:$(PORT) (another port: make run PORT=8600)"
	TERRAIN_DB=$(DB) $(PY) -m streamlit run terrain/asgi.py --server.port $(PORT) --browser.gatherUsageStats false

# N app processes (default: one per core) behind nginx on one port: docs/deploy.md.
PROCESSES ?= $(shell nproc)
serve: $(VENV)/.installed $(DB)
	$(PY) -m terrain upgrade --db $(DB)
	$(PY) -m terrain serve --processes $(PROCESSES) --port $(PORT) --db $(DB)

# Two workers for everything, the real browser included (its waits are for events, with
# 60-second deadlines). Each file stays on one worker, the longest files first
# (tests/conftest.py); the demo databases several files read are built once for both
# workers, and the browser files that only read share one app per worker.
test: $(VENV)/.installed-dev
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

# The importer's property tests, ten times longer and with new examples at each run
# (tests/examples.py): before a release, or after a change to the importer.
fuzz: $(VENV)/.installed-dev
	TERRAIN_EXAMPLES=10 $(PY) -m pytest -q -n 2 tests/test_import_fuzz.py tests/test_import_parts.py

bench: $(VENV)/.installed-dev
	$(PY) -m terrain bench

load: $(VENV)/.installed-dev
	$(PY) -m terrain loadtest

clean:
	rm -rf $(VENV) tests/artifacts
