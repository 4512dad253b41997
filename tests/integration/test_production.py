"""The production configuration: health probes, refusing to start unsafely, HTTPS settings."""

import os
import shlex
import shutil
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


# Long, varied, and still five characters short of the rule.
KEY_45 = "a1b2c3d4e5" * 4 + "f6g7h"


def manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """manage.py in a fresh interpreter with exactly `env` (and no .env file)."""
    base = {"PATH": os.environ["PATH"], "DJANGO_ENV_FILE": ""}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**base, **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("debug", ["0", "1", None], ids=["debug off", "debug on", "debug unset"])
def test_a_weak_key_is_refused_by_every_command_whatever_debug_says(debug: str | None) -> None:
    env = {"DJANGO_SECRET_KEY": KEY_45, "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}

    result = manage(["check"], {**env, **({"DJANGO_DEBUG": debug} if debug else {})})

    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_only_debug_may_leave_the_key_unset() -> None:
    hosts = {"DJANGO_ALLOWED_HOSTS": "127.0.0.1"}

    assert manage(["check"], {**hosts, "DJANGO_DEBUG": "1"}).returncode == 0
    refused = manage(["check"], {**hosts, "DJANGO_DEBUG": "0"})
    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY" in refused.stderr


def _stub(path: Path, script: str) -> None:
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def make_run(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], str]:
    """`make run` as it is, but for its venv: `python` is this test's interpreter, noting the
    DJANGO_DEBUG each command sees; `uvicorn` only loads the settings, notes their DEBUG and
    exits. The web app's build is skipped. Returns make's result and the notes."""
    venv, notes = tmp_path / "venv", tmp_path / "notes"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed").touch()
    python = shlex.quote(sys.executable)
    _stub(
        venv / "bin" / "python",
        f'echo "python $*: DJANGO_DEBUG=$DJANGO_DEBUG" >> {notes}\nexec {python} "$@"',
    )
    settings_debug = "import django_project.settings as s; print('server: DEBUG', s.DEBUG)"
    _stub(venv / "bin" / "uvicorn", f'exec {python} -c "{settings_debug}" >> {notes}')
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CHATBOT_"))},
        "PYTHONPATH": str(REPO / "src"),
        "DJANGO_ENV_FILE": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        **env,
    }
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", "frontend", "run", f"VENV={venv}"],
        env=environment,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result, notes.read_text() if notes.exists() else ""


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_migrates_with_the_debug_its_server_runs_with(tmp_path: Path) -> None:
    result, notes = make_run(tmp_path, {"DJANGO_SECRET_KEY": STRONG_KEY})

    assert result.returncode == 0, result.stderr
    assert "python manage.py migrate --noinput: DJANGO_DEBUG=1" in notes
    assert "server: DEBUG True" in notes


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_refuses_a_weak_key_before_it_migrates(tmp_path: Path) -> None:
    result, notes = make_run(tmp_path, {"DJANGO_SECRET_KEY": KEY_45})

    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr
    assert "server:" not in notes


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
