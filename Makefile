# Radar: the two commands of the README are `make demo` and `make test`.
# Both create the virtual environment from the lock file when it is missing or stale.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint typecheck unit browser lock clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Radar needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	$(BIN)/python -m pseudonymise.redact.setup_cache   # deduce's lookup cache (~80 s, once)
	touch $(STAMP)

demo: setup
	$(BIN)/radar demo

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q

# The Data Docs test opens pages in Debian's chromium. Test setup only (Radar itself never
# fetches anything): installed when missing, if we are root and apt-get exists; otherwise the
# test fails under `make test` (RADAR_REQUIRE_BROWSER=1) and says how to install it.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the Data Docs browser test"; \
		apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
		|| { apt-get update >/dev/null && apt-get install -y --no-install-recommends chromium; }; \
	else echo "chromium is missing and cannot be installed here: the browser test will fail"; fi

test: lint typecheck browser
	RADAR_REQUIRE_BROWSER=1 $(BIN)/pytest -q

# Regenerate the lock file from pyproject.toml (needs the package index).
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet -e '.[dev,bench]'
	.lockenv/bin/pip freeze --all --exclude-editable | grep -v '^radar' > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache radar-demo
