# GNU make. Targets: venv, dev, run, test, bench, app, app-assets, chromium, clean.
# The interpreter for .venv is found by scripts/find_python.sh (Python >= 3.12).

SHELL := /bin/bash
.DEFAULT_GOAL := test

export MPLBACKEND := Agg
export SOLARA_TELEMETRY_MIXPANEL_ENABLE := False

VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=

# Stamp files carry a hash of pyproject.toml, so a changed pyproject triggers a reinstall
# and an unchanged one makes `make venv` / `make dev` a no-op.
PYPROJECT_HASH := $(shell sha256sum pyproject.toml | cut -c1-16)
STAMP := $(VENV)/.installed-$(PYPROJECT_HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(PYPROJECT_HASH)

# Is .venv/bin/python present and >= 3.12? If not, the stamps are void whatever their age.
VENV_OK := $(shell $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	>/dev/null 2>&1 && echo yes)
ifneq ($(VENV_OK),yes)
$(STAMP) $(DEV_STAMP): FORCE
endif

.PHONY: venv dev run test bench app app-assets lab chromium clean FORCE
FORCE:

venv: $(STAMP)

dev: $(DEV_STAMP)

$(STAMP):
	@set -euo pipefail; \
	if ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
		pybin=$$(scripts/find_python.sh) || exit 1; \
		echo "Creating $(VENV) with $$pybin"; \
		rm -rf $(VENV); \
		"$$pybin" -m venv $(VENV); \
	fi
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e .
	rm -f $(VENV)/.installed-*
	touch $@

# dev: the test tools, the app (solara, altair) and a Jupyter kernel for the notebook tests.
$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install -e '.[dev,app,notebooks]'
	rm -f $(VENV)/.installed-dev-*
	touch $@

# The main job: the baseline and the paper's main proposals, one run each at the default scale.
SCENARIOS ?= baseline threshold_500k pickup_80 full_service_stations warehouses_flights full_package

run: venv
	$(VENV)/bin/cbec run $(SCENARIOS) --out out $(ARGS)

test: dev app-assets chromium
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

# The app's front-end, from the npm registry into Solara's CDN cache (the page works offline).
# Idempotent: a no-op once the cache is complete.
app-assets: dev
	$(PY) -m app.offline_assets

# Debian's Chromium for the browser test (tests/test_app_browser.py); needs root (CI is root).
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
		echo "note: /usr/bin/chromium is missing and this is not root: the browser test" \
			"will be skipped (sudo apt-get install chromium)"; \
	fi

# The interactive map app on http://127.0.0.1:8765 (`make app ARGS="--port 9000 --no-browser"`).
app: dev app-assets
	$(PY) -m app $(ARGS)

# The class notebooks in JupyterLab (`make lab ARGS="--no-browser"`).
lab: venv
	$(PY) -m pip install -e '.[notebooks,lab]'
	$(VENV)/bin/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(ARGS)

bench: venv
	$(PY) benchmarks/run.py

# Removes the virtualenv and caches; leaves results in out/ alone.
clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +
