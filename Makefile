# yoyaku — two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.lock | cut -c1-16)
HOST ?= 127.0.0.1
PORT ?= 8000
# Every process (web server, worker, scheduler, demo loader) links mails to the same address.
SITE_URL := $(or $(YOYAKU_SITE_URL),http://$(HOST):$(PORT))
# The payment sandbox (the demo's provider) runs as its own process on its own port.
SANDBOX_PORT ?= 8001
SANDBOX_URL := $(or $(YOYAKU_SANDBOX_URL),http://$(HOST):$(SANDBOX_PORT))
RUN_ENV := DEBUG=1 YOYAKU_SITE_URL=$(SITE_URL) YOYAKU_SANDBOX_URL=$(SANDBOX_URL)

.PHONY: install run test lint format migrate demo messages bench clean

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --noinput

demo: migrate
	DEBUG=1 $(BIN)/python manage.py load_demo --base-url $(SITE_URL)

# Web server on http://$(HOST):$(PORT), the background worker, the daily-job scheduler and the
# payment sandbox on http://$(HOST):$(SANDBOX_PORT); Ctrl-C stops them all. Mails go to
# var/mail/, readable at http://$(HOST):$(PORT)/dev/mail/.
run: demo
	@echo "Starting the worker, the scheduler, the payment sandbox and the web server on http://$(HOST):$(PORT)/"
	@$(RUN_ENV) $(BIN)/python -m yoyaku.payments.sandbox --host $(HOST) --port $(SANDBOX_PORT) --webhook-url $(SITE_URL)/payments/webhook/sandbox/ --data var/sandbox.sqlite3 & sandbox=$$!; \
	$(RUN_ENV) $(BIN)/python manage.py db_worker --queue-name '*' & worker=$$!; \
	$(RUN_ENV) $(BIN)/python manage.py run_scheduler & scheduler=$$!; \
	trap 'kill $$worker $$scheduler $$sandbox 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Translations: yoyaku/locale/en/LC_MESSAGES/django.po → .mo (needs GNU gettext's msgfmt).
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l en --no-obsolete --no-location -i ".venv/*" -i "tests/*"
	DEBUG=1 $(BIN)/python manage.py compilemessages -l en -i .venv

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
