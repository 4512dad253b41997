"""Django settings. Everything that differs between machines comes from the environment (or a
`.env` file beside manage.py, which never overrides a variable that is already set)."""

import os
import warnings
from datetime import timedelta
from pathlib import Path
from wsgiref.headers import Headers

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from django_project.config import from_environment
from django_project.observability.access import metrics_token, parse_networks

# Django's generic classes (ModelAdmin[Chat], ...) take their type arguments at run time too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parents[2]
# DJANGO_ENV_FILE names another file, or none at all when empty.
_env_file = os.environ.get("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))
if _env_file:
    load_dotenv(_env_file, override=False)
if _metrics_dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus_client writes there as soon as a metric exists; a one-off command (migrate)
    # run with the server's environment must not fail because the folder is not made yet.
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = _flag("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# The key signs every JWT. One rule for every process, whatever DEBUG says (make run's migrate
# step and its server once disagreed): a key that is set must not be guessable. Only with DEBUG
# may it be left unset, for a fixed development key (public, so it must never serve outside DEBUG).
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105
elif len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY to a random string of at least 50 characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))' (or leave it unset with "
        "DJANGO_DEBUG=1, for a development key)."
    )
# Outside DEBUG the service refuses to start on a host list nobody chose.
if not DEBUG and "DJANGO_ALLOWED_HOSTS" not in os.environ:
    raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS: the host names this service answers to.")
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = _list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Behind a proxy that terminates TLS (deploy/nginx): trust its X-Forwarded-Proto, send every
# plain-HTTP request to HTTPS (but health probes), and keep browsers on HTTPS (HSTS).
HTTPS = _flag("DJANGO_HTTPS")
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _flag("DJANGO_HSTS_PRELOAD", True)

CHATBOT = from_environment()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "adapters.orm",
    "django_project.apps.ChatbotApiConfig",
]

MIDDLEWARE = [
    # First, so that it times and logs every request and every log line carries its id.
    "django_project.observability.middleware.RequestObservabilityMiddleware",
    # Then, before anything reads the Host or renders an error: a foreign Host is a JSON 400,
    # and no debug page of Django's reaches anything but the admin (error_pages.py).
    "django_project.error_pages.ErrorPagesMiddleware",
    # Outside everything that answers (WhiteNoise's web app files too): noindex on every answer.
    "django_project.robots.NoIndexMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Around django-cors-headers, to see its preflight answers too (security.py).
    "django_project.security.CredentialedLinkCorsMiddleware",
    # Early, so preflight requests are answered before anything else looks at them.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: the web app's files keep their own policy; whatever Django renders gets one.
    "django_project.security.ContentSecurityPolicyMiddleware",
    # Sessions, the logged-in user and messages for the admin's pages only (admin_middleware.py).
    "django_project.admin_middleware.AdminSessionMiddleware",
    # Before the admin's login view reads the password (admin_middleware.py).
    "django_project.admin_middleware.AdminLoginThrottleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django_project.admin_middleware.AdminAuthenticationMiddleware",
    "django_project.admin_middleware.AdminMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "django_project.urls"
# The admin's debug page (DEBUG only) hides secrets held inside objects too, not only by name.
DEFAULT_EXCEPTION_REPORTER_FILTER = "django_project.error_pages.CleansingExceptionReporterFilter"
WSGI_APPLICATION = "django_project.wsgi.application"
AUTH_USER_MODEL = "chatbot.Member"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every request runs in a thread of its own, so a persistent connection per
    # thread would pile up until PostgreSQL refuses clients; a small pool per process instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "8")),
        "timeout": 10,
    }
    # The hand-written statements of every chat request and chat page (adapters/orm/sql.py)
    # bind their parameters on the server and are prepared on first use, once per pooled
    # connection. The ORM's cursors bind on the client and are never prepared; behind a
    # transaction-mode PgBouncer, set DATABASE_PREPARE=0.
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
        0 if _flag("DATABASE_PREPARE", True) else None
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock when their transaction begins, so two of them never deadlock
        # upgrading a read lock; others wait up to `timeout` seconds (SQLite's busy timeout)
        # instead of failing, so a burst of writers queues. Every write transaction is a few
        # milliseconds (nothing slow runs inside one: no model call, no password hashing), so a
        # queue of hundreds clears well within it.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # One file per test run, so two runs in one checkout do not delete each other's tables.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
        BASE_DIR / f"test-db-{os.getpid()}.sqlite3"
    )

# Nothing counts on the cache today (the throttles count in a table of their own,
# adapters/orm/throttle.py, since a cache entry cannot be incremented atomically). Whatever uses
# it gets one shared by every worker process and every server: a table in the database, which
# all of them share already (migrate creates it; nothing else to run).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "chatbot_cache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "nickname")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "Korean")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# In production (make serve, the image): compressed files with content hashes in their names,
# so browsers and proxies may cache them for good. collectstatic writes them when
# DJANGO_STATIC_MANIFEST=1; later runs find its manifest. Without one (tests, runs that never
# collected), plain storage, since hashed names need the collected files.
if _flag("DJANGO_STATIC_MANIFEST", (STATIC_ROOT / "staticfiles.json").exists()) and not DEBUG:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["django_project.api.authentication.MemberJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["django_project.api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "django_project.api.errors.handle_exception",
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("CHATBOT_LOGIN_RATE", "10/minute"),
        "signup": os.environ.get("CHATBOT_SIGNUP_RATE", "20/hour"),
        # Mails asked for: a verification mail again, a password reset.
        "verification": os.environ.get("CHATBOT_VERIFICATION_RATE", "3/hour"),
        "password_reset": os.environ.get("CHATBOT_PASSWORD_RESET_RATE", "5/hour"),
        # Reads without a login, per address and server process (api/throttling.py).
        "anon_read": os.environ.get("CHATBOT_ANON_READ_RATE", "300/minute"),
        # Reports of chats, per member.
        "report": os.environ.get("CHATBOT_REPORT_RATE", "20/hour"),
    },
    "UNAUTHENTICATED_USER": None,
    # Throttles key on REMOTE_ADDR, which uvicorn sets from X-Forwarded-For of trusted proxies
    # only; reading the header here would let a client pick a fresh identity every request.
    "NUM_PROXIES": 0,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=int(os.environ.get("CHATBOT_ACCESS_MINUTES", "15"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=int(os.environ.get("CHATBOT_REFRESH_DAYS", "14"))),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Its claims' shapes checked before simplejwt reads them (api/authentication.py).
    "AUTH_TOKEN_CLASSES": ("django_project.api.authentication.MemberAccessToken",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "chatbot API",
    "DESCRIPTION": (
        "A guided ChatGPT chatbot: members answer the bot's intake (current state, goal, other "
        "requirements), the bot asks the model, and the member keeps talking in the same chat. "
        "Every chat is public; each member has a daily allowance of model requests. Errors are "
        "JSON objects with a stable `code` and a human `detail`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's assets come from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The errors any operation can meet before its view runs (401, 406, 400, 413, 415).
        "django_project.api.schema.document_common_errors",
    ],
}

# --- Mail ----------------------------------------------------------------------------------------
# Verification and password-reset mails, through Django's email framework. With EMAIL_HOST, SMTP
# (EMAIL_USE_TLS: STARTTLS, usually port 587; EMAIL_USE_SSL: TLS from the start, usually 465);
# without it, the console backend: each mail, link included, is printed where the server runs
# (what `make run` does out of the box).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS")
EMAIL_USE_SSL = _flag("EMAIL_USE_SSL")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "chatbot <noreply@localhost>")

# --- Logs and metrics ---------------------------------------------------------------------------
# One JSON object per line (plain text in DEBUG; DJANGO_LOG_FORMAT=json|text chooses), each with
# the id of the request it was written for, and anything like a token or an API key blotted out.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "").strip() or ("text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT: {LOG_FORMAT!r} is neither json nor text.")
_LOGS = "django_project.observability.logs"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": f"{_LOGS}.JsonFormatter"},
        "text": {"()": f"{_LOGS}.TextFormatter"},
    },
    "filters": {
        "request_id": {"()": f"{_LOGS}.RequestIdFilter"},
        "redact": {"()": f"{_LOGS}.RedactSecretsFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's lines through the handler above only, not also through its default one.
        "django": {"handlers": [], "level": "INFO"},
        # The SDKs log request details at DEBUG; keep them quiet so no key or prompt leaks.
        "openai": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "anthropic": {"level": "WARNING"},
        # uvicorn's lines from each worker in the same format; its access line (which has the
        # query string) gives way to chatbot.access: route, status, duration, request id.
        "uvicorn": {"handlers": ["console"], "propagate": False},
        "uvicorn.access": {"handlers": [], "propagate": False},
    },
}

# /metrics (Prometheus) outside DEBUG: only for clients at these addresses or CIDR blocks (as
# uvicorn's --proxy-headers sees them), or with `Authorization: Bearer <CHATBOT_METRICS_TOKEN>`.
# With several worker processes, PROMETHEUS_MULTIPROC_DIR (set by `make serve`) adds them up.
# Search engines: noindex everywhere unless this is set (django_project/robots.py).
CHATBOT_ALLOW_INDEXING = _flag("CHATBOT_ALLOW_INDEXING")
CHATBOT_METRICS_ALLOW = parse_networks(os.environ.get("CHATBOT_METRICS_ALLOW", "127.0.0.1,::1"))
CHATBOT_METRICS_TOKEN = metrics_token(os.environ.get("CHATBOT_METRICS_TOKEN", ""))

# --- Web front end and CORS ---------------------------------------------------------------------
# frontend/public/ is served at / beside the API by WhiteNoise.
# The same files can be hosted elsewhere (GitHub Pages, a CDN); such an origin reaches /api/ only
# when it is listed, exactly, in CHATBOT_CORS_ORIGINS (comma-separated, e.g.
# "https://kim.github.io,http://localhost:5173"; default: none).
WHITENOISE_ROOT = BASE_DIR / "frontend" / "public"
WHITENOISE_INDEX_FILE = True
# The install manifest's own type (WhiteNoise's table does not know .webmanifest).
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}


def _frontend_headers(headers: Headers, path: str, url: str) -> None:
    # The page carries its Content-Security-Policy in a <meta> tag so that it holds on any static
    # host, but only a header can refuse framing (clickjacking of the delete button).
    if path.endswith(".html"):
        headers["Content-Security-Policy"] = "frame-ancestors 'none'"
        headers["X-Frame-Options"] = "DENY"
        headers["Cache-Control"] = "no-cache"


WHITENOISE_ADD_HEADERS_FUNCTION = _frontend_headers
# WhiteNoise answers with a file iterator Django must read in a thread under ASGI; it says so on
# every static file. That is the price of serving files from the app server at all (a proxy or
# CDN serves them in production), not a fault worth a log line per request.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")


def _cors_origins(raw: str) -> list[str]:
    origins = []
    for item in raw.split(","):
        origin = item.strip()
        scheme, separator, host = origin.partition("://")
        if not origin:
            continue
        if scheme not in {"http", "https"} or not separator or not host or set("/?#@ ") & set(host):
            raise ImproperlyConfigured(
                f"CHATBOT_CORS_ORIGINS: {origin!r} is not an origin such as https://example.com "
                "(scheme and host, optional port, no path or trailing slash)."
            )
        origins.append(origin)
    return origins


CORS_ALLOWED_ORIGINS = _cors_origins(os.environ.get("CHATBOT_CORS_ORIGINS", ""))
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ["accept", "accept-language", "authorization", "content-type"]
# Content-Disposition: the web app names the export's download after it.
CORS_EXPOSE_HEADERS = ["Retry-After", "Content-Language", "X-Request-ID", "Content-Disposition"]
# Bearer tokens only: no cookies cross origins, but for the one answer that sets the browser's
# cookie of a provider link (security.CredentialedLinkCorsMiddleware).
CORS_ALLOW_CREDENTIALS = False
