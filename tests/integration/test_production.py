"""The production configuration: health probes, refusing to start unsafely, HTTPS settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

REPO = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 30 + "-production-secret-for-tests-only-123456789"


def settings_in(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter with exactly `env` (and no .env file)."""
    program = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'django_project.settings';"
        "from django.conf import settings;"
        "print(settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS,"
        " settings.SESSION_COOKIE_SECURE, settings.SECURE_PROXY_SSL_HEADER)"
    )
    base = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPO / "src"),
        "DJANGO_ENV_FILE": "",  # not the checkout's .env, which would fill in what is left out
    }
    return subprocess.run(
        [sys.executable, "-c", program],
        env={**base, **env},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "x.example"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short", "DJANGO_ALLOWED_HOSTS": "x.example"}, "at least 50"),
        (
            {"DJANGO_SECRET_KEY": "django-insecure-" + "a1b2c3" * 10, "DJANGO_ALLOWED_HOSTS": "x"},
            "DJANGO_SECRET_KEY",
        ),
        ({"DJANGO_SECRET_KEY": STRONG_KEY}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_a_real_key_and_hosts(
    env: dict[str, str], says: str
) -> None:
    result = settings_in(env)

    assert result.returncode != 0
    assert says in result.stderr


def test_behind_tls_the_settings_trust_the_proxy_and_insist_on_https() -> None:
    result = settings_in(
        {"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_ALLOWED_HOSTS": "x.example", "DJANGO_HTTPS": "1"}
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "31536000",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]


@pytest.mark.django_db
def test_the_health_probes_answer() -> None:
    client = Client()

    alive = client.get("/healthz")
    ready = client.get("/readyz")

    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert "no-cache" in alive["Cache-Control"]
