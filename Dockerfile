# syntax=docker/dockerfile:1
# The chatbot backend (API + web app) as one container image, for a container platform whose
# router terminates TLS. docs/deploy.md ("On a container platform") says how to run it.
#
#   docker build -t chatbot .
#   docker run --rm -p 8000:8000 --env-file chatbot.env chatbot                 # the app
#   docker run --rm --env-file chatbot.env chatbot python manage.py migrate       # each release
#
# CI lints this file (hadolint, `make deploy-test`); it does not build it (no Docker engine there).

# ---- the web front end: its pinned libraries copied into public/vendor/ by npm run build
FROM node:20-bookworm-slim AS frontend
WORKDIR /build
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY frontend/public ./public
COPY frontend/scripts ./scripts
RUN npm run build

# ---- the app
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user with a fixed id (orchestrators' runAsNonRoot wants a number).
RUN groupadd --system --gid 10001 chatbot \
    && useradd --system --uid 10001 --gid chatbot --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin chatbot

WORKDIR /app

# The runtime dependencies from pyproject.toml, at the versions constraints.txt pins, in a layer
# of their own that only a change to either file rebuilds. The project itself is not installed:
# it runs from /app/src, as `make serve` runs it from the checkout.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt -c constraints.txt \
    && rm /tmp/requirements.txt

COPY manage.py ./
COPY src ./src
COPY --from=frontend /build/public ./frontend/public
COPY deploy/docker/healthcheck.py /usr/local/bin/chatbot-healthcheck

# Static files into /app/staticfiles, as `make serve` does. The key and host here exist only
# to let the settings load for this one command; the real ones come at run time.
RUN DJANGO_ENV_FILE='' DJANGO_DEBUG=0 DJANGO_STATIC_MANIFEST=1 DJANGO_ALLOWED_HOSTS=build.invalid \
    DJANGO_SECRET_KEY=build-only-collectstatic-key-not-used-at-run-time-0123456789abcdef \
    python manage.py collectstatic --noinput -v0

USER 10001:10001

# uvicorn listens on all of the container's interfaces (the platform's router reaches it there)
# and trusts X-Forwarded-* only from FORWARDED_ALLOW_IPS: set it to the router's addresses.
# Settings (DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, DJANGO_HTTPS=1, ...) come from
# the platform's environment; no .env file is read.
ENV DJANGO_ENV_FILE="" \
    PYTHONPATH=/app/src \
    DJANGO_DEBUG=0 \
    HOST=0.0.0.0 \
    PORT=8000 \
    WEB_CONCURRENCY=2 \
    FORWARDED_ALLOW_IPS=127.0.0.1
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/usr/local/bin/chatbot-healthcheck"]

# The same server command as `make serve`. The workers add up their metrics in an empty
# PROMETHEUS_MULTIPROC_DIR made for the server alone (one-off commands such as migrate run
# without it, as they must: prometheus_client fails when it names a missing folder).
CMD ["sh", "-c", "export PROMETHEUS_MULTIPROC_DIR=\"${PROMETHEUS_MULTIPROC_DIR:-/tmp/chatbot-metrics}\" && rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec python -m django_project.serve django_project.asgi:application --app-dir src --host \"$HOST\" --port \"$PORT\" --workers \"$WEB_CONCURRENCY\" --proxy-headers --forwarded-allow-ips \"$FORWARDED_ALLOW_IPS\" --no-server-header --timeout-graceful-shutdown 30"]
