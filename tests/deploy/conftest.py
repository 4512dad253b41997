"""The deployment in deploy/ for real, on loopback: Debian's nginx with the config in
deploy/nginx/ (rendered for test ports and paths) terminating TLS with a self-signed certificate,
in front of the app in its production configuration (uvicorn workers, DJANGO_DEBUG=0,
DJANGO_HTTPS=1) on the database of this pytest run, with the local OpenAI-compatible server
(tests/support/fake_openai.py) as the model, streaming its answer word by word.

nginx is not installed here: `apt-get install nginx` (.ci/run does it when missing). Its absence,
like any other problem starting it, fails the run: nothing is skipped.

Module-scoped: one app server, one nginx in front of it (`site`), and one nginx in front of a
header-echoing server (`echo_site`), which shows exactly what nginx passes upstream.
"""

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.live_server import STARTUP_CAP_S, LiveServer, app_server, free_port
from tests.support.members import openai_upstream
from tests.support.tls import self_signed_certificate

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
NGINX_DIR = DEPLOY / "nginx"
DOMAIN = "localhost"  # a name, not an address: clients send it as the TLS SNI name
MODEL = "gpt-deploy"
# One word per streamed piece, TOKEN_DELAY_S apart: about 1.5 s of answer.
ANSWER = (
    "Start with one small project you can ship end to end, then mentor a newer teammate "
    "every week and lead the next design review."
)
TOKEN_DELAY_S = 0.1
STATIC_FILES = {
    "deploy-check.css": "body { color: #333; }\n",
    "deploy-check.0123456789ab.css": "body { color: #444; }\n",
}
ACME_TOKEN = "deploy-test-token"
# Debian's nginx.conf sets these in its http block; the test's main config does too, so the
# site's own settings are shown to win over them as they must on a real machine.
DEBIAN_HTTP_DEFAULTS = """
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    gzip on;
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if Path(p).exists()), None
    )
    if not found:
        pytest.fail(
            "nginx is not installed. Install Debian's: apt-get install -y nginx "
            "(.ci/run does it when it is missing).",
            pytrace=False,
        )
    return found


# ---------------------------------------------------------------- rendering deploy/nginx


def substitute(text: str, old: str, new: str, *, count: int | None = None) -> str:
    """Replace `old` with `new`, insisting that it is there (`count` times, when given): a config
    that changed under the test fails loudly instead of being tested half-rendered."""
    found = text.count(old)
    if found == 0 or (count is not None and found != count):
        raise AssertionError(f"expected {count or 'some'} {old!r} in the config, found {found}")
    return text.replace(old, new)


@dataclass(frozen=True)
class Ports:
    https: int
    http: int
    upstream: int


@dataclass(frozen=True)
class Paths:
    root: Path  # nginx's prefix: conf/, logs/, temp/
    cert: Path
    key: Path
    static: Path
    acme: Path

    @property
    def conf(self) -> Path:
        return self.root / "conf"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def cache(self) -> Path:
        """proxy_cache_path's folder (nginx makes it; its parent, `root`, exists)."""
        return self.root / "cache"


def render_site(paths: Paths, ports: Ports) -> dict[str, str]:
    """deploy/nginx's files with the placeholders, addresses and paths of this test: the
    rendered text of each, by file name (snippets/ under "snippets/...")."""
    snippets = paths.conf / "snippets"
    rendered: dict[str, str] = {}
    for source in sorted(NGINX_DIR.rglob("*.conf")):
        name = str(source.relative_to(NGINX_DIR))
        # Without comments, which name the placeholders.
        text = re.sub(r"^\s*#.*\n", "", source.read_text(), flags=re.MULTILINE)
        # Only loopback, on the test's ports; no IPv6 (a test machine may have none).
        text = re.sub(r"^\s*listen \[::\]:\S+.*\n", "", text, flags=re.MULTILINE)
        text = re.sub(r"listen 443\b", f"listen 127.0.0.1:{ports.https}", text)
        text = re.sub(r"listen 80\b", f"listen 127.0.0.1:{ports.http}", text)
        text = text.replace("/etc/nginx/snippets/", f"{snippets}/")
        text = text.replace("/var/log/nginx/", f"{paths.logs}/")
        if name == "chatbot.conf":
            live = "/etc/letsencrypt/live/chat.example.com/"
            text = substitute(text, f"{live}fullchain.pem", str(paths.cert), count=1)
            text = substitute(text, f"{live}privkey.pem", str(paths.key), count=1)
            text = substitute(
                text, "server 127.0.0.1:8000 ", f"server 127.0.0.1:{ports.upstream} ", count=1
            )
            text = substitute(text, "/srv/chatbot/app/staticfiles/", f"{paths.static}/", count=1)
            text = substitute(text, "/var/cache/nginx/chatbot ", f"{paths.cache} ", count=1)
        if name == "chatbot-http.conf":
            text = substitute(text, "root /var/www/letsencrypt;", f"root {paths.acme};", count=1)
            # The redirect names no port, as 443 needs none; the test's HTTPS port does.
            text = substitute(
                text,
                "return 301 https://$host$request_uri;",
                f"return 301 https://$host:{ports.https}$request_uri;",
                count=1,
            )
        if "server_name" in text and name != "default-deny.conf":
            text = substitute(text, "server_name chat.example.com;", f"server_name {DOMAIN};")
        for leftover in ("chat.example.com", "/srv/", "/etc/letsencrypt", "/var/", ":8000"):
            assert leftover not in text, f"{name}: {leftover!r} left after rendering"
        rendered[name] = text
    return rendered


def main_config(paths: Paths, sites: list[Path], workers: int | str = 1) -> str:
    """nginx.conf for the test: its own pid, logs and temp folders, the sites included in its
    http block, and Debian's defaults beside them. `workers`: worker_processes (Debian's
    nginx.conf says `auto`, one per core; a test needs one)."""
    temp = paths.root / "temp"
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the test's 0700 folders
    includes = "".join(f"    include {site};\n" for site in sites)
    return (
        f"{user}worker_processes {workers};\n"
        f"pid {paths.root}/nginx.pid;\n"
        f"error_log {paths.logs}/error.log notice;\n"
        "daemon off;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        "    sendfile on;\n"
        f"    access_log {paths.logs}/access.log;\n"
        f"    client_body_temp_path {temp}/body;\n"
        f"    proxy_temp_path {temp}/proxy;\n"
        f"    fastcgi_temp_path {temp}/fastcgi;\n"
        f"    uwsgi_temp_path {temp}/uwsgi;\n"
        f"    scgi_temp_path {temp}/scgi;\n"
        f"{DEBIAN_HTTP_DEFAULTS}"
        f"{includes}"
        "}\n"
    )


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    paths: Paths
    ports: Ports
    rendered: dict[str, str]
    verify: ssl.SSLContext

    @property
    def https_url(self) -> str:
        return f"https://{DOMAIN}:{self.ports.https}"

    @property
    def http_url(self) -> str:
        return f"http://{DOMAIN}:{self.ports.http}"

    def client(self, token: str | None = None, **options: Any) -> httpx.Client:
        """An httpx client for the HTTPS side, trusting the test's certificate."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        options.setdefault("timeout", 30.0)
        return httpx.Client(base_url=self.https_url, headers=headers, verify=self.verify, **options)

    def error_log(self) -> str:
        log = self.paths.logs / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGQUIT)  # graceful: finish open requests
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_nginx(
    paths: Paths,
    upstream_port: int,
    *,
    https_port: int | None = None,
    workers: int | str = 1,
    adjust: Callable[[str, str], str] | None = None,
) -> Nginx:
    """nginx with the rendered config, answering on both ports. `adjust(name, text)`, when
    given, returns each rendered file's text as it is to be written (bench/cache_bench.py adds
    the cache status to the access log)."""
    binary = nginx_binary()
    for folder in (paths.conf / "snippets", paths.logs, paths.root / "temp"):
        folder.mkdir(parents=True, exist_ok=True)
    ports = Ports(https=https_port or free_port(), http=free_port(), upstream=upstream_port)
    rendered = render_site(paths, ports)
    if adjust is not None:
        rendered = {name: adjust(name, text) for name, text in rendered.items()}
    for name, text in rendered.items():
        (paths.conf / name).write_text(text)
    sites = [paths.conf / n for n in rendered if not n.startswith("snippets/")]
    main = paths.conf / "nginx.conf"
    main.write_text(main_config(paths, sites, workers))
    command = [binary, "-p", str(paths.root), "-c", str(main), "-e", str(paths.logs / "error.log")]

    tested = subprocess.run(
        [*command, "-t"], capture_output=True, text=True, timeout=30, check=False
    )
    if tested.returncode:
        pytest.fail(f"nginx -t refused the rendered config:\n{tested.stderr}", pytrace=False)

    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    context = ssl.create_default_context(cafile=str(paths.cert))
    nginx = Nginx(process, paths, ports, rendered, context)
    # As long as nginx runs it may still be starting (a loaded machine can take a while); once it
    # exits, or runs for STARTUP_CAP_S without listening, it failed.
    deadline = time.monotonic() + STARTUP_CAP_S
    while not (_accepts(ports.https) and _accepts(ports.http)):
        if process.poll() is not None or time.monotonic() > deadline:
            nginx.stop()
            pytest.fail(
                f"nginx did not start (exit status {process.returncode}); its error log:\n"
                f"{nginx.error_log()}",
                pytrace=False,
            )
        time.sleep(0.1)
    return nginx


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"), DOMAIN)


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    """The model: every answer streams word by word, TOKEN_DELAY_S apart."""
    with FakeOpenAI(default=Reply(ANSWER, token_delay_s=TOKEN_DELAY_S)) as server:
        yield server


def site_paths(root: Path, certificate: tuple[Path, Path]) -> Paths:
    static, acme = root / "staticfiles", root / "acme"
    static.mkdir(parents=True)
    for name, text in STATIC_FILES.items():
        (static / name).write_text(text)
    challenge = acme / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / ACME_TOKEN).write_text(f"{ACME_TOKEN}.key-authorization\n")
    return Paths(root / "nginx", certificate[0], certificate[1], static, acme)


@pytest.fixture(scope="module")
def app(django_db_setup: None, model: FakeOpenAI, site_origin: str) -> Iterator[LiveServer]:
    """The app as `make serve` runs it (uvicorn workers, proxy headers trusted from 127.0.0.1,
    DEBUG off) with the behind-TLS settings, on the test database, on loopback."""
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "1",
        "DJANGO_ALLOWED_HOSTS": f"{DOMAIN},127.0.0.1",
        "DJANGO_CSRF_TRUSTED_ORIGINS": site_origin,
        "DJANGO_ENV_FILE": "",
        **openai_upstream(model.base_url, model=MODEL),
    }
    args = ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", "--no-server-header"]
    with ExitStack() as stack:
        server = stack.enter_context(app_server(workers=2, host="127.0.0.1", env=env, args=args))
        yield server


@pytest.fixture(scope="module")
def site_https_port() -> int:
    """The HTTPS port of `site`, chosen before it starts: the app needs the site's origin."""
    return free_port()


@pytest.fixture(scope="module")
def site_origin(site_https_port: int) -> str:
    return f"https://{DOMAIN}:{site_https_port}"


@pytest.fixture(scope="module")
def site(
    app: LiveServer,
    site_https_port: int,
    tmp_path_factory: pytest.TempPathFactory,
    certificate: tuple[Path, Path],
) -> Iterator[Nginx]:
    """nginx with deploy/nginx's config in front of `app`."""
    paths = site_paths(tmp_path_factory.mktemp("site"), certificate)
    nginx = start_nginx(paths, app.port, https_port=site_https_port)
    yield nginx
    nginx.stop()


# ---------------------------------------------------------------- the echo upstream


@dataclass
class Echo:
    """A stand-in for the app that answers every request with what it received, as JSON, and
    sends headers of its own that nginx must not pass on twice."""

    server: ThreadingHTTPServer
    seen: list[dict[str, Any]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])


def _echo_handler(seen: list[dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            record = {
                "method": self.command,
                "path": self.path,
                "version": self.request_version,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
            seen.append(record)
            body = json.dumps(record).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Request-ID", "the-upstream-own-id")
            self.send_header("Strict-Transport-Security", "max-age=1")
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def echo(site: Nginx) -> Iterator[Echo]:
    seen: list[dict[str, Any]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _echo_handler(seen))
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    yield Echo(server, seen)
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def echo_site(
    echo: Echo, tmp_path_factory: pytest.TempPathFactory, certificate: tuple[Path, Path]
) -> Iterator[Nginx]:
    """The same nginx config in front of `echo` instead of the app."""
    nginx = start_nginx(site_paths(tmp_path_factory.mktemp("echo-site"), certificate), echo.port)
    yield nginx
    nginx.stop()
