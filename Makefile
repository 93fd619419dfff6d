# The two commands of the README's quick start: `make demo` and `make test`.
# Each creates .venv on first use; nothing is installed outside the project.

PYTHON ?= python3
VENV   ?= .venv
FLASK  := $(VENV)/bin/flask --app assettrack
PORT   ?= 5000

.PHONY: demo test install

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "assettrack needs Python 3.11 or newer")'
	@# pyzbar needs the zbar library (Debian libzbar0): installed when missing and we are root
	@{ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null | grep -q libzbar.so.0 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (apt-get update && apt-get install -y libzbar0); } \
		|| echo "libzbar0 missing and not root: barcode photos fall back to zxing-cpp only (sudo apt-get install libzbar0)"
	@# the page tests drive Debian's headless Chromium through its chromedriver: installed when missing and we are root
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver); } \
		|| echo "chromium or chromedriver missing and not root: browser tests will be skipped (sudo apt-get install chromium chromium-driver)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[service,test,agent]'
	touch $@

install: $(VENV)/.installed

## Run the service with demo data on SQLite (jobs inline, no Redis needed).
demo: install
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "A coordinator token for trying the API (curl -H 'Authorization: Bearer TOKEN' ...):"
	@$(FLASK) token create coordinator@digibank.example | tail -n 1
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

## Run the test suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set).
test: install
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)
