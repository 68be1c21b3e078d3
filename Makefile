# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-fast install redis-server chromium lint clean

demo: install redis-server
	$(BIN)/featureguard demo

# Everything, on two pytest-xdist workers (CI's 2 cores: 3.7 min against 6.4 min in one process).
# The import layers (.importlinter) are checked by tests/test_layers.py, so a violation fails here.
test: install redis-server chromium
	$(BIN)/python -m pytest -q -n 2

# The inner loop: everything but the tests that start processes (CLI, servers, Chromium, wheels).
test-fast: install redis-server
	$(BIN)/python -m pytest -q -n 2 -m "not slow"

# The import layers alone.
lint: install
	$(BIN)/python -m pytest -q tests/test_layers.py

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

# Installs redis-server from Debian's packages when missing (root), else says how to.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing redis-server (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else \
	    echo "redis-server not found and not root: install it (sudo apt-get install redis-server);" \
	         "the demo falls back to SQLite, the Redis tests fail" >&2; \
	  fi; }

# Headless Chromium renders the HTML batch reports in tests/contracts; installed like redis-server.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium not found and not root: install it (sudo apt-get install chromium);" \
	         "the HTML report test fails without it" >&2; \
	  fi; }

clean:
	rm -rf $(VENV) .featureguard .pytest_cache
