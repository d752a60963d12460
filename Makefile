# Two commands do everything on a new machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?= $(or $(TERRAIN_DB),data/terrain.duckdb)
PORT ?= 8501

.PHONY: run test demo bench load clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(DB): | $(VENV)/.installed
	$(PY) -m terrain demo --out $(DB)

demo: $(VENV)/.installed
	$(PY) -m terrain demo --out $(DB)

run: $(VENV)/.installed $(DB)
	$(PY) -m terrain upgrade --db $(DB)
	TERRAIN_DB=$(DB) $(PY) -m streamlit run serve.py --server.port $(PORT) --browser.gatherUsageStats false

# Two workers for everything but the real browser, which runs on its own afterwards: its
# timings would otherwise depend on what the other worker is busy with.
test: $(VENV)/.installed-dev
	$(PY) -m pytest -q -n 2 --dist loadfile --ignore=tests/test_browser.py
	$(PY) -m pytest -q tests/test_browser.py

bench: $(VENV)/.installed-dev
	$(PY) -m terrain bench

load: $(VENV)/.installed-dev
	$(PY) -m terrain.loadtest

clean:
	rm -rf $(VENV) tests/artifacts
