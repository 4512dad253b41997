"""The release steps: `make serve` builds the front end and collects the static files once, not
at every start, and the collectstatic of docs/deploy.md's release step writes the hashed,
compressed files that nginx and the app serve.

Each test works in a copy of the checkout (the Makefile, the code, the front end's sources, with
the checkout's venv and node_modules), so what it builds, collects and dates is its own."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from tests.deploy.conftest import REPO
from tests.support.live_server import free_port

VENV = Path(sys.executable).parent.parent
NODE_MODULES = REPO / "frontend" / "node_modules"
COPIED = ["Makefile", "pyproject.toml", "constraints.txt", "manage.py", ".env.example"]
# Recipe lines that mean "built again".
FRONTEND_BUILD = "npm run --silent build"
COLLECTSTATIC = "collectstatic"


def checkout_copy(target: Path) -> Path:
    """The files `make serve` and the release steps read, copied with their dates (make compares
    them with its stamps); the venv and the front end's installed modules are the checkout's."""
    if not (NODE_MODULES / ".package-lock.json").exists():
        pytest.fail("frontend/node_modules is missing: run `make frontend` first.", pytrace=False)
    for name in COPIED:
        shutil.copy2(REPO / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "src", target / "src", ignore=ignore)
    frontend = target / "frontend"
    frontend.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(REPO / "frontend" / name, frontend / name)
    shutil.copytree(REPO / "frontend" / "scripts", frontend / "scripts")
    shutil.copytree(
        REPO / "frontend" / "public", frontend / "public", ignore=shutil.ignore_patterns("vendor")
    )
    (frontend / "node_modules").symlink_to(NODE_MODULES)
    return target


def environment(root: Path, **extra: str) -> dict[str, str]:
    """A plain shell's environment: no settings of this test run, the copy's code first on the
    path (the venv's editable install points at the checkout's), a database of its own."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(root)),
        "PYTHONPATH": str(root / "src"),
        "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
        "CHATBOT_LLM_PROVIDER": "offline",
        **extra,
    }


def make(root: Path, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", f"VENV={VENV}", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"make {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return checkout_copy(tmp_path)


def serve_until_ready(root: Path, env: dict[str, str]) -> str:
    """`make serve` until the app answers /healthz, then a graceful stop: what make ran."""
    port = free_port()
    process = subprocess.Popen(
        ["make", "--no-print-directory", f"VENV={VENV}", "serve"],
        cwd=root,
        env={**env, "PORT": str(port), "WEB_CONCURRENCY": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, f"make serve exited:\n{process.communicate()[0]}"
            with suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "make serve did not answer within 5 minutes"
            time.sleep(0.2)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            output = process.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output = process.communicate()[0]
    return output


def test_make_serve_builds_once_and_then_only_what_changed(checkout: Path) -> None:
    env = environment(checkout)
    make(checkout, ".env", env=env)

    first = serve_until_ready(checkout, env)
    assert FRONTEND_BUILD in first, first
    assert COLLECTSTATIC in first, first
    manifest = checkout / "staticfiles" / "staticfiles.json"
    assert manifest.exists()
    collected = manifest.stat().st_mtime_ns

    # The second start with nothing changed: migrate's check and the server, nothing rebuilt.
    second = serve_until_ready(checkout, env)
    assert FRONTEND_BUILD not in second, second
    assert COLLECTSTATIC not in second, second
    assert "migrate" in second
    assert manifest.stat().st_mtime_ns == collected

    # Each input brings back its own step, and only that one (make -n: what a start would run).
    (checkout / "frontend" / "public" / "config.js").touch()
    planned = make(checkout, "-n", "serve", env=env)
    assert FRONTEND_BUILD in planned, planned
    assert COLLECTSTATIC not in planned, planned
    make(checkout, "static", env=env)
    (checkout / "src" / "django_project" / "settings.py").touch()
    planned = make(checkout, "-n", "serve", env=env)
    assert COLLECTSTATIC in planned, planned
    assert FRONTEND_BUILD not in planned, planned
    # Without vendor/ (a fresh clone, a clean), the front end is built again.
    shutil.rmtree(checkout / "frontend" / "public" / "vendor")
    assert FRONTEND_BUILD in make(checkout, "-n", "serve", env=env)


def release_step() -> list[str]:
    """docs/deploy.md's release (step 3 of the VM guide): its shell lines."""
    guide = (REPO / "docs" / "deploy.md").read_text()
    section = guide.split("### 3. A release", 1)[1].split("\n### ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None, section
    return block.group(1).strip().splitlines()


def test_the_documented_release_collects_hashed_and_compressed_static_files(checkout: Path) -> None:
    (line,) = [line for line in release_step() if "collectstatic" in line]
    env_file = checkout / "chatbot.env"
    env_file.write_text(
        "DJANGO_SECRET_KEY=release-" + "k" * 60 + "\nDJANGO_DEBUG=0\n"
        "DJANGO_ALLOWED_HOSTS=chat.example.com\n"
    )
    # On the server it runs as the app's user; here as whoever runs the test, with its files.
    ours = {
        "DJANGO_ENV_FILE=/etc/chatbot/chatbot.env": f"DJANGO_ENV_FILE={env_file}",
        ".venv/bin/python": sys.executable,
    }
    command = [ours.get(part, part) for part in shlex.split(line.removeprefix("sudo -u chatbot "))]
    assert command[0] == "env", command
    assert sys.executable in command, command
    done = subprocess.run(
        command,
        cwd=checkout,
        env=environment(checkout),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr

    static = checkout / "staticfiles"
    assert (static / "staticfiles.json").exists(), "no manifest: the app serves unhashed names"
    hashed = list(static.glob("admin/css/base.*.css"))
    assert [p.name for p in hashed if re.fullmatch(r"base\.[0-9a-f]{12}\.css", p.name)], hashed
    assert (static / "admin" / "css" / "base.css.gz").exists()  # nginx's gzip_static
