"""The real app as production runs it (uvicorn, ASGI, several worker processes), pointed at the
database the pytest run uses, so tests can hit it over HTTP the way clients do.

Two ways in:

* ``with app_server(daily_limit=5) as server: ...``: a context manager, for any scope.
* The fixtures below, registered with ``pytest_plugins = ["tests.support.live_server"]`` (in a test
  module, or once in a root ``tests/conftest.py``). A test module that registers them should
  import this module only under ``TYPE_CHECKING``: a module imported before pytest registers it
  as a plugin cannot get pytest's assertion rewriting (PytestAssertRewriteWarning).

  - ``app_server_options`` (module scope): keyword arguments for ``app_server``; override it in
    a test module to change the daily limit, the worker count, the environment or uvicorn's
    arguments.
  - ``app_server_live`` (module scope): one server for the module, started after the test
    database exists and stopped before pytest-django drops it.
  - ``live_app`` (function scope): the module's server, for one test; when the test fails, the
    server's log lines written during the test appear in the report ("Captured stderr
    teardown").

The server only sees rows the test process has committed, and the test process only sees the
server's rows after they are committed: use the server from tests marked
``pytest.mark.django_db(transaction=True)`` (pytest-django empties every table after each one).
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from django.conf import settings
from django.db import connections

from tests.support.smtp import shared_inbox

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"
# The liveness probe: exempt from the HTTPS redirect, so it answers in every configuration.
READY_PATH = "/healthz"
# Throttle counters live in the database cache, shared by every server on the test database; a
# test making many members or logins from 127.0.0.1 must not trip them. Pass your own rates in
# `env` to test throttling itself.
GENEROUS_RATES = {"CHATBOT_LOGIN_RATE": "10000/minute", "CHATBOT_SIGNUP_RATE": "10000/minute"}
# How long a server that is still running may take to answer READY_PATH: far beyond any start on
# a loaded machine, only there so that a server that hangs without exiting fails the run.
STARTUP_CAP_S = 600.0
# Answers to READY_PATH other than 200, in a row, after which a starting server has failed.
REFUSALS = 20


class ServerError(RuntimeError):
    """The server did not start, or stopped on its own; the message ends with its log."""


def database_url(alias: str = "default") -> str:
    """A DATABASE_URL for the database `alias` points at right now: inside a pytest-django run,
    the test database (`test_chatbot`, or the SQLite test file), not the one in the settings."""
    db = connections[alias].settings_dict
    engine = db["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if connections[alias].creation.is_in_memory_db(name):
            raise ServerError(
                f"The SQLite test database is in memory ({name!r}): another process cannot open "
                "it. Set DATABASES['default']['TEST']['NAME'] to a file."
            )
        return f"sqlite:///{Path(name).resolve()}"
    if engine == "django.db.backends.postgresql":
        user = quote(str(db.get("USER") or ""), safe="")
        password = quote(str(db.get("PASSWORD") or ""), safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = quote(str(db.get("HOST") or ""), safe="")  # a socket directory is %-encoded
        port = f":{db['PORT']}" if db.get("PORT") else ""
        # Plain libpq options (sslmode=...) survive a URL; anything richer would not.
        options = {
            k: v
            for k, v in (db.get("OPTIONS") or {}).items()
            if isinstance(v, str | int) and not isinstance(v, bool)
        }
        query = f"?{urlencode(options)}" if options else ""
        return f"postgres://{credentials}{host}{port}/{quote(str(db['NAME']), safe='')}{query}"
    raise ServerError(f"No DATABASE_URL form for {engine}.")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """A running server: its base `url`, its process group, and its log (stdout + stderr)."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        host: str,
        port: int,
        log: Path,
        *,
        scheme: str = "http",
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.process = process
        self.host = host
        self.port = port
        self.url = f"{scheme}://{host}:{port}"
        self.log_path = log
        self.verify = verify  # for httpx: True, or a context trusting the server's certificate

    def logs(self, since: int = 0) -> str:
        """The log from byte offset `since` (see `log_size`) to now."""
        with self.log_path.open("rb") as log:
            log.seek(since)
            return log.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.logs().splitlines()[-lines:])

    def client(self, token: str | None = None, **options: Any) -> httpx.Client:
        """An httpx client for this server; with `token`, it sends it as a Bearer JWT."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        options.setdefault("timeout", 60.0)
        options.setdefault("verify", self.verify)
        return httpx.Client(base_url=self.url, headers=headers, **options)

    def alive(self) -> bool:
        return self.process.poll() is None

    def check(self) -> None:
        """Raise ServerError if the server has stopped on its own."""
        if not self.alive():
            raise ServerError(
                f"the server exited with {self.process.returncode}; the end of its log "
                f"({self.log_path}):\n{self.tail()}"
            )

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM to the whole process group (a graceful shutdown), SIGKILL to it after
        `timeout` seconds. Returns the main process's exit status."""
        if self.process.poll() is not None:
            return self.process.returncode
        _signal_group(self.process, signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(self.process, signal.SIGKILL)
            return self.process.wait(timeout)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The server was started in its own session, so its group id is its pid: only its processes.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def server_environment(
    *,
    db_url: str,
    daily_limit: int,
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The server's environment: this process's, with the database, the key and the chat
    settings pinned. Values in `env` win."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    python_path = [str(SRC), str(REPO)]
    if base.get("PYTHONPATH"):
        python_path.append(base["PYTHONPATH"])
    base.update(GENEROUS_RATES)
    base.update(
        {
            "PYTHONPATH": os.pathsep.join(python_path),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "django_project.settings",
            "DATABASE_URL": db_url,
            # The same key as the test process, so a JWT minted by either side is valid on both.
            "DJANGO_SECRET_KEY": str(settings.SECRET_KEY),
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "CHATBOT_LLM_PROVIDER": "offline",
            "CHATBOT_DAILY_LIMIT": str(daily_limit),
        }
    )
    base.pop("OPENAI_API_KEY", None)
    # Members verify their email by the link in its mail (tests/support/members.py).
    base.update(shared_inbox().environment())
    base.update(env or {})
    return base


def _wait_until_ready(server: LiveServer, cap_s: float) -> None:
    """Probe READY_PATH for as long as the server runs. A loaded machine can take minutes to
    start Python, Django and the workers, so only a server that exits fails at once (with its
    log); `cap_s` bounds a server that runs but never answers, and REFUSALS answers other than
    200 in a row end the wait too: a server that answers is up, and answering wrongly."""
    deadline = time.monotonic() + cap_s
    problem = "no answer yet"
    refusals = 0
    while True:
        server.check()
        try:
            # A probe that times out is simply sent again; a generous one keeps a slow first
            # answer from being dropped and asked for again.
            answer = httpx.get(f"{server.url}{READY_PATH}", timeout=10.0, verify=server.verify)
        except httpx.TransportError as error:
            problem = repr(error)
        else:
            if answer.status_code == 200:
                return
            refusals += 1
            problem = f"HTTP {answer.status_code}: {answer.text[:300]}"
        if refusals >= REFUSALS or time.monotonic() > deadline:
            raise ServerError(
                f"the server did not answer GET {READY_PATH} with a 200 ({problem}); "
                f"the end of its log ({server.log_path}):\n{server.tail()}"
            )
        time.sleep(0.1)


@contextmanager
def app_server(
    *,
    app: str = "django_project.asgi:application",
    daily_limit: int = 5,
    workers: int = 4,
    alias: str = "default",
    db_url: str | None = None,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    tls: tuple[str | Path, str | Path] | None = None,
    host: str = "127.0.0.1",
    startup_cap_s: float = STARTUP_CAP_S,
    attempts: int = 3,
) -> Iterator[LiveServer]:
    """Run the app as production does (uvicorn, ASGI, `workers` processes) on a free port until
    the block ends. It is ready once it answers READY_PATH, however long that takes while its
    process runs (up to `startup_cap_s`); a server that exits first raises ServerError at once.

    The database is the one `alias` points at now (pass `db_url` to choose another). Call it where
    the test database exists: after pytest-django's `django_db_setup`. Extra uvicorn options go
    in `args`; extra or overriding environment variables in `env`. With `tls=(certfile, keyfile)`
    the server speaks HTTPS and clients trust `certfile` (a self-signed certificate for `host`).
    As `make serve` does, the workers share an empty PROMETHEUS_MULTIPROC_DIR of their own, so
    /metrics adds all of them up (pass one in `env` to look at its files)."""
    db_url = db_url or database_url(alias)
    environment = server_environment(db_url=db_url, daily_limit=daily_limit, env=env)
    metrics_dir = None
    if "PROMETHEUS_MULTIPROC_DIR" not in (env or {}):
        metrics_dir = tempfile.mkdtemp(prefix="app-server-metrics-")
        environment["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    for attempt in range(1, attempts + 1):
        port = free_port(host)
        handle, name = tempfile.mkstemp(prefix=f"app-server-{port}-", suffix=".log")
        os.close(handle)
        log = Path(name)
        command = [
            sys.executable,  # the venv running pytest, which has uvicorn
            "-m",
            "django_project.serve",  # uvicorn, a listening socket per worker (make serve)
            app,
            "--app-dir",
            str(SRC),
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--timeout-graceful-shutdown",
            "5",
            "--log-level",
            "warning",
            *(["--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1])] if tls else []),
            *args,
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = LiveServer(
            process,
            host,
            port,
            log,
            scheme="https" if tls else "http",
            verify=ssl.create_default_context(cafile=str(tls[0])) if tls else True,
        )
        try:
            _wait_until_ready(server, startup_cap_s)
        except ServerError:
            server.stop()
            # Another process may have taken the port between the probe and the bind.
            if attempt < attempts and "already in use" in server.logs():
                log.unlink(missing_ok=True)
                continue
            if metrics_dir:
                shutil.rmtree(metrics_dir, ignore_errors=True)
            raise
        break
    try:
        yield server
    finally:
        server.stop()
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        if os.environ.get("KEEP_SERVER_LOGS") != "1":
            server.log_path.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def app_server_options() -> dict[str, Any]:
    """Keyword arguments for `app_server`; override in a module to change them."""
    return {"daily_limit": 5, "workers": 4}


@pytest.fixture(scope="module")
def app_server_live(
    django_db_setup: None, app_server_options: dict[str, Any]
) -> Iterator[LiveServer]:
    """One server for the module. It depends on `django_db_setup`, so it starts once the test
    database exists and stops before pytest-django drops it (PostgreSQL refuses to drop a
    database that still has connections)."""
    with app_server(**app_server_options) as server:
        yield server


@pytest.fixture
def live_app(app_server_live: LiveServer) -> Iterator[LiveServer]:
    """The module's server, for one test; its log lines from the test are printed to stderr at
    teardown, which pytest shows only for a failed test."""
    app_server_live.check()
    start = app_server_live.log_size()
    yield app_server_live
    written = app_server_live.logs(start)
    if written:
        print(f"--- server log during the test ---\n{written}", file=sys.stderr)
    if not app_server_live.alive():
        print(f"--- server exited with {app_server_live.process.returncode} ---", file=sys.stderr)


@pytest.fixture
def start_app_server(django_db_setup: None) -> Any:
    """`app_server` itself, for a test that needs a server of its own (e.g. a second one)."""
    return app_server
