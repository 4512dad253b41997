# The two commands a new machine needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chatbot

.PHONY: run test lint unit integration integration-sqlite integration-postgres migrate schema clean

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
run: migrate
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(VENV)/bin/uvicorn django_project.asgi:application \
		--app-dir src --host 127.0.0.1 --port $${PORT:-$(PORT)}

test: lint unit integration

lint: $(VENV)/.installed .env
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	PYTHONPATH=src $(VENV)/bin/lint-imports
	$(VENV)/bin/mypy src/domain src/application

unit: $(VENV)/.installed
	$(VENV)/bin/pytest tests/unit -p no:django -q

integration: integration-sqlite integration-postgres

integration-sqlite: $(VENV)/.installed .env
	env -u DATABASE_URL $(VENV)/bin/pytest tests/integration -q

integration-postgres: $(VENV)/.installed .env
	DATABASE_URL=$(TEST_DATABASE_URL) $(VENV)/bin/pytest tests/integration -q

schema: $(VENV)/.installed .env
	$(PY) manage.py spectacular --file docs/openapi.yaml --validate

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
