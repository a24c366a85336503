# Lode: `make demo` serves the bundled data on http://127.0.0.1:8000,
# `make test` runs the suite.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo demo-port serve test lint bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.lock
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.dev: $(BIN)/python requirements-dev.lock
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@ $(VENV)/.runtime

# Binding the demo's address, as runserver will, tells at once whether it
# is free: the setup before the server starts takes minutes.
define PORT_CHECK
import socket, sys
host, port = sys.argv[1], sys.argv[2]
if not (port.isdigit() and 0 < int(port) < 65535):
    sys.exit(f"make demo: PORT must be a number from 1 to 65534, not {port!r}.")
try:
    family, kind, _, _, address = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)
except socket.gaierror as error:
    sys.exit(f"make demo: cannot find the address {host} ({error.strerror}). Set HOST to this machine's name or address, as in HOST=127.0.0.1.")
except OSError as error:
    sys.exit(f"make demo: cannot serve on {host}:{port} ({error.strerror}). Stop what uses port {port}, or pick another port: make demo PORT={int(port) + 1}")
endef
export PORT_CHECK

demo-port:
	@$(PYTHON) -c "$$PORT_CHECK" $(HOST) $(PORT)

# The demo runs with DEBUG off, so an error shows Lode's error page and
# never a stack trace; WhiteNoise serves the static files from their
# source folders (config/settings.py), so it needs no collectstatic. The
# port is checked first, before the install and the setup.
demo: demo-port $(VENV)/.runtime
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
