# Lode: `make demo` serves the bundled data on http://127.0.0.1:8000,
# `make test` runs the suite.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo serve test lint bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.lock
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.dev: $(BIN)/python requirements-dev.lock
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@ $(VENV)/.runtime

# The demo runs with DEBUG off, so an error shows Lode's error page and
# never a stack trace; WhiteNoise serves the static files from their
# source folders (config/settings.py), so it needs no collectstatic.
demo: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_setup --url http://$(HOST):$(PORT)
	mkdir -p staticfiles  # WhiteNoise warns at start when it is missing
	DEBUG=false $(BIN)/python manage.py runserver $(HOST):$(PORT)

serve: $(VENV)/.runtime
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: $(VENV)/.dev
	$(BIN)/python -m bench $(if $(SCALE),--scale $(SCALE),)

# Re-resolve the pins in pyproject.toml into the two lock files.
lock:
	rm -rf /tmp/lode-lock && $(PYTHON) -m venv /tmp/lode-lock
	/tmp/lode-lock/bin/pip install --quiet .
	echo '# Runtime dependencies, pinned with everything they pull in. Regenerate with `make lock`.' > requirements.lock
	/tmp/lode-lock/bin/pip freeze --exclude lode >> requirements.lock
	/tmp/lode-lock/bin/pip install --quiet '.[dev]'
	echo '# Runtime and development dependencies, pinned. Regenerate with `make lock`.' > requirements-dev.lock
	/tmp/lode-lock/bin/pip freeze --exclude lode >> requirements-dev.lock
	rm -rf /tmp/lode-lock

clean:
	rm -rf $(VENV) var staticfiles
