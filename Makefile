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

.PHONY: install run prod-local test lint format migrate demo messages bench clean

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

# The production stack on this machine, with production's variables (deploy/yoyaku.env.example)
# and DEBUG off: gunicorn (deploy/gunicorn.conf.py) serving static files through whitenoise,
# PostgreSQL (the database is created when missing), Redis for the cache and sessions,
# $(PROD_WORKERS) task workers, the scheduler and the payment sandbox. The site is plain HTTP
# on localhost, so this target, and only this one, switches off what needs TLS:
# SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0.
# Never set those in production. The SECRET_KEY is generated once into $(PROD_DATA)/secret_key
# (local use only). Ctrl-C stops everything.
PROD_DATA ?= $(CURDIR)/var/prod
PROD_WORKERS ?= 2
PROD_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/yoyaku)
PROD_REDIS_URL := $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
PROD_ENV := DEBUG=0 SECRET_KEY="$$(cat $(PROD_DATA)/secret_key)" \
	ALLOWED_HOSTS=$(HOST),localhost DATABASE_URL=$(PROD_DATABASE_URL) \
	REDIS_URL=$(PROD_REDIS_URL) YOYAKU_DATA_DIR=$(PROD_DATA) \
	YOYAKU_SITE_URL=$(SITE_URL) YOYAKU_SANDBOX_URL=$(SANDBOX_URL) GUNICORN_BIND=$(HOST):$(PORT) \
	SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 SECURE_HSTS_SECONDS=0

$(PROD_DATA)/secret_key:
	@mkdir -p $(PROD_DATA)
	@umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

prod-local: install $(PROD_DATA)/secret_key
	@echo "Production stack, DEBUG off, plain HTTP on localhost (SECURE_SSL_REDIRECT=0, insecure cookies: never in production)"
	$(PROD_ENV) $(BIN)/python manage.py ensure_database
	$(PROD_ENV) $(BIN)/python manage.py migrate --noinput
	$(PROD_ENV) YOYAKU_DEMO=1 $(BIN)/python manage.py load_demo --base-url $(SITE_URL)
	$(PROD_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Starting the payment sandbox, $(PROD_WORKERS) workers, the scheduler and gunicorn on http://$(HOST):$(PORT)/ (health: /healthz)"
	@$(PROD_ENV) $(BIN)/python -m yoyaku.payments.sandbox --host $(HOST) --port $(SANDBOX_PORT) --webhook-url $(SITE_URL)/payments/webhook/sandbox/ --data $(PROD_DATA)/sandbox.sqlite3 & pids=$$!; \
	for i in $$(seq $(PROD_WORKERS)); do $(PROD_ENV) $(BIN)/python manage.py db_worker --queue-name '*' & pids="$$pids $$!"; done; \
	$(PROD_ENV) $(BIN)/python manage.py run_scheduler & pids="$$pids $$!"; \
	trap 'kill $$pids 2>/dev/null' EXIT INT TERM; \
	$(PROD_ENV) $(BIN)/gunicorn -c deploy/gunicorn.conf.py yoyaku.wsgi

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
