"""HTTPS in front of the production configuration (deploy/nginx, deploy/systemd), over real TLS
on loopback: the redirect from HTTP, HSTS, logging in, a streamed answer arriving piece by piece
through nginx, the headers Django needs, and the app port kept off the network.

The servers are tests/deploy/conftest.py's: `site` (nginx in front of the app), `echo_site`
(the same config in front of a server that echoes what it receives), `app` (uvicorn)."""

import json
import re
import shlex
import socket
import ssl
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from adapters.orm.models import Member
from tests.deploy.conftest import (
    ACME_TOKEN,
    ANSWER,
    DEPLOY,
    DOMAIN,
    REPO,
    TOKEN_DELAY_S,
    Echo,
    Nginx,
)
from tests.support.live_server import LiveServer, database_url
from tests.support.members import PASSWORD, sign_up_and_log_in

pytestmark = pytest.mark.django_db(transaction=True)

HSTS = "max-age=31536000; includeSubDomains; preload"
INTAKE = {"current_state": "I write Python at a small startup.", "goal": "Lead a team in 2 years."}


def join(site: Nginx, nickname: str) -> str:
    with site.client() as client:
        return sign_up_and_log_in(client, nickname).access


def exec_start(unit: str) -> list[str]:
    """The command of a unit's ExecStart=, its continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", unit)
    line = re.search(r"^ExecStart=(.*)$", joined, flags=re.MULTILINE)
    assert line is not None, unit
    return shlex.split(line.group(1))


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on TCP `port`, from /proc/net/tcp{,6}."""
    found: set[str] = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # The kernel prints each 32-bit word in host (little-endian) order.
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, raw))
    return found


# ---------------------------------------------------------------- HTTP, TLS and HSTS


def test_plain_http_is_redirected_to_https_except_acme_challenges(site: Nginx) -> None:
    with httpx.Client(timeout=10) as client:
        answer = client.get(f"{site.http_url}/api/chats/?page_size=1")
        challenge = client.get(f"{site.http_url}/.well-known/acme-challenge/{ACME_TOKEN}")
        login = client.post(f"{site.http_url}/api/auth/login/", json={"email": "x@example.com"})

    assert answer.status_code == 301
    assert answer.headers["location"] == f"{site.https_url}/api/chats/?page_size=1"
    assert login.status_code == 301  # nothing is proxied over plain HTTP, POSTs included
    assert "strict-transport-security" not in answer.headers  # meaningless over HTTP
    assert challenge.status_code == 200
    assert challenge.text == f"{ACME_TOKEN}.key-authorization\n"
    with site.client() as client:
        followed = client.get(answer.headers["location"])
    assert followed.status_code == 200, followed.text
    assert "results" in followed.json()


def test_https_answers_carry_exactly_one_hsts_header(site: Nginx) -> None:
    paths = {
        "/": 200,  # the web app (WhiteNoise, through the app)
        "/api/chats/": 200,
        "/api/chats/intake/": 200,
        "/healthz": 200,
        "/readyz": 200,  # the database answers and the migrations are applied
        "/static/deploy-check.css": 200,  # served by nginx itself
        "/api/no-such-thing/": 404,
    }
    with site.client() as client:
        for path, status in paths.items():
            answer = client.get(path)
            assert answer.status_code == status, (path, answer.text[:300])
            assert answer.headers.get_list("strict-transport-security") == [HSTS], path
            # Whether the app or nginx answered: search engines are told once to keep away.
            assert answer.headers.get_list("x-robots-tag") == ["noindex, nofollow"], path


def test_nginx_serves_static_files_with_cache_headers(site: Nginx) -> None:
    with site.client() as client:
        hashed = client.get("/static/deploy-check.0123456789ab.css")
        plain = client.get("/static/deploy-check.css")
        missing = client.get("/static/no-such-file.css")

    assert hashed.status_code == plain.status_code == 200
    assert hashed.headers["cache-control"] == "max-age=315360000"  # content-named: for good
    assert plain.headers["cache-control"] == "max-age=3600"
    assert hashed.headers["x-content-type-options"] == "nosniff"
    assert hashed.headers["content-type"].startswith("text/css")
    assert missing.status_code == 404


def test_tls_is_modern_and_unknown_names_get_no_certificate(site: Nginx) -> None:
    context = ssl.create_default_context(cafile=str(site.paths.cert))
    with (
        socket.create_connection(("127.0.0.1", site.ports.https), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=DOMAIN) as tls,
    ):
        assert tls.version() == "TLSv1.3"

    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection(("127.0.0.1", site.ports.https), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=DOMAIN) as tls,
    ):
        negotiated = tls.cipher()
        assert negotiated is not None
        cipher, version, _ = negotiated
        assert (version, cipher.startswith("ECDHE-")) == ("TLSv1.2", True)
    assert "TLSv1 " not in site.rendered["snippets/chatbot-tls.conf"]

    # A name this server does not serve: the handshake is refused (default-deny.conf).
    stranger = ssl.create_default_context()
    stranger.check_hostname, stranger.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", site.ports.https), timeout=5) as raw,
        pytest.raises(ssl.SSLError, match=r"UNRECOGNIZED_NAME|unrecognized name"),
    ):
        stranger.wrap_socket(raw, server_hostname="attacker.example")


def test_unknown_hosts_on_port_80_get_no_answer(site: Nginx) -> None:
    with httpx.Client(timeout=5) as client, pytest.raises(httpx.RemoteProtocolError):
        client.get(f"{site.http_url}/api/chats/", headers={"Host": "attacker.example"})


@pytest.mark.parametrize("host", ["attacker.example", "127.0.0.1", "127.0.0.1:443"])
def test_a_forged_host_behind_the_sites_own_tls_name_gets_no_answer(site: Nginx, host: str) -> None:
    # The handshake names the site (SNI), so it succeeds with the site's certificate; the request
    # then names another host, which nginx looks up among the servers on its own: the catch-all.
    with site.client() as client:
        try:
            answer = client.get("/api/chats/", headers={"Host": host})
        except httpx.RemoteProtocolError:
            pass  # closed without a status line
        else:
            pytest.fail(f"{host!r} got an answer: {answer.status_code} {answer.text[:200]!r}")
    # HTTP/2 (the version browsers speak to the site) too: :authority picks the server as Host
    # does, and 444 resets the stream instead of answering it.
    h2 = subprocess.run(
        ["curl", "--silent", "--show-error", "--http2", "--max-time", "10",
         "--cacert", str(site.paths.cert), "--header", f"Host: {host}",
         "--write-out", "%{http_version} %{http_code}", "--output", "/dev/null",
         f"{site.https_url}/api/chats/"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert h2.returncode != 0, h2.stdout
    assert h2.stdout.endswith(" 000"), h2.stdout  # no status line came back
    # The site itself still answers over HTTP/2 on the same connection settings.
    own = subprocess.run(
        ["curl", "--silent", "--show-error", "--http2", "--max-time", "10",
         "--cacert", str(site.paths.cert),
         "--write-out", "%{http_version} %{http_code}", "--output", "/dev/null",
         f"{site.https_url}/healthz"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert own.stdout == "2 200", (own.stdout, own.stderr)


# ---------------------------------------------------------------- what Django sees


def test_django_sees_https_behind_the_proxy_and_the_client_cannot_say_otherwise(
    site: Nginx, app: LiveServer
) -> None:
    with site.client() as client:
        # A client's own X-Forwarded-Proto is replaced: no redirect loop, no downgrade.
        through = client.get("/api/chats/intake/", headers={"X-Forwarded-Proto": "http"})
    assert through.status_code == 200, through.text

    # Straight to the app over plain HTTP (not that it is reachable from outside): DJANGO_HTTPS
    # sends it to HTTPS, the probes excepted, and sends HSTS itself when told it is behind TLS.
    with httpx.Client(base_url=app.url, timeout=10) as direct:
        plain = direct.get("/api/chats/intake/", headers={"Host": DOMAIN})
        probe = direct.get("/healthz", headers={"Host": DOMAIN})
        proxied = direct.get(
            "/api/chats/intake/", headers={"Host": DOMAIN, "X-Forwarded-Proto": "https"}
        )
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://{DOMAIN}/api/chats/intake/"
    assert probe.status_code == 200
    assert proxied.status_code == 200
    assert proxied.headers["strict-transport-security"] == HSTS


@pytest.mark.parametrize("path", ["/api/chats/", "/api/chats/7/messages/", "/admin/login/"])
def test_nginx_passes_the_headers_django_needs(echo_site: Nginx, echo: Echo, path: str) -> None:
    spoofed = {"X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.9", "X-Real-IP": "x"}
    with echo_site.client() as client:
        given = client.post(path, json={}, headers={"X-Request-ID": "deploy-42", **spoofed})
        made = client.get(path)
        junk = client.get(path, headers={"X-Request-ID": "no spaces <allowed>"})

    seen = given.json()
    assert seen["version"] == "HTTP/1.1"  # proxy_http_version 1.1: keep-alive, chunked streams
    assert seen["headers"]["host"] == DOMAIN
    assert seen["headers"]["x-forwarded-proto"] == "https"
    # The client's address as nginx saw it, and nothing the client said about itself.
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert seen["headers"]["x-real-ip"] == "127.0.0.1"
    assert seen["headers"].get("connection", "") != "close"
    # The client's request id goes upstream and comes back; the upstream's own is not doubled.
    assert seen["headers"]["x-request-id"] == "deploy-42"
    assert given.headers.get_list("x-request-id") == ["deploy-42"]
    assert given.headers.get_list("strict-transport-security") == [HSTS]
    assert "rid=deploy-42 " in (echo_site.paths.logs / "chatbot.access.log").read_text()
    # Without one (or with one that is not a plain token), nginx makes one up.
    for answer in (made, junk):
        generated = answer.json()["headers"]["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated), generated
        assert answer.headers.get_list("x-request-id") == [generated]


def test_the_request_id_reaches_the_app_and_comes_back(site: Nginx) -> None:
    with site.client() as client:
        answer = client.get("/api/chats/intake/", headers={"X-Request-ID": "trace-me-7"})
    assert answer.status_code == 200
    assert answer.headers.get_list("x-request-id") == ["trace-me-7"]


# The streaming location and the cached ones have error pages of their own, which would hide
# the server's (nginx inherits error_page only into locations with none).
@pytest.mark.parametrize("path", ["/api/auth/login/", "/api/chats/", "/api/chats/7/messages/"])
def test_large_bodies_are_refused_before_they_reach_the_app(site: Nginx, path: str) -> None:
    with site.client() as client:
        answer = client.post(
            path,
            content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["code"] == "request_too_large"


@pytest.mark.parametrize("q", ["a" * 10_000, "가" * 1_000])
def test_a_search_too_long_for_nginx_is_refused_as_json(site: Nginx, q: str) -> None:
    # Past nginx's 8 KB request line (1,000 Korean characters are 9 KB in a URL): refused
    # there, in the app's error shape. Below it, the app's own 400.
    with site.client() as client:
        too_long = client.get("/api/chats/", params={"q": q})
        long = client.get("/api/chats/", params={"q": q[:300]})
    assert too_long.status_code == 414
    assert too_long.headers["content-type"] == "application/json"
    assert too_long.json()["code"] == "uri_too_long"
    assert too_long.headers["strict-transport-security"].startswith("max-age=")
    assert long.status_code == 400
    assert long.json()["code"] == "query_too_long"


def test_over_http2_a_search_of_ten_thousand_characters_gets_the_apps_400(site: Nginx) -> None:
    # HTTP/2 limits a header's compressed size (HPACK): 10,000 `a`s are ~6.3 KB, under nginx's
    # 8 KB, so the app answers (docs/deploy.md, "Limits").
    h2 = subprocess.run(
        ["curl", "--silent", "--show-error", "--http2", "--max-time", "10",
         "--cacert", str(site.paths.cert), "--write-out", "\n%{http_version} %{http_code}",
         f"{site.https_url}/api/chats/?q={'a' * 10_000}"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    body, _, status = h2.stdout.rpartition("\n")
    assert status == "2 400", (h2.stdout[-300:], h2.stderr)
    assert json.loads(body)["code"] == "query_too_long"


def test_oversized_headers_are_refused_as_json(site: Nginx) -> None:
    with site.client() as client:
        answer = client.get("/api/chats/", headers={"Cookie": "c=" + "x" * 20_000})
    assert answer.status_code == 431
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["code"] == "headers_too_large"


def test_nginx_error_paths_are_not_reachable_from_outside(site: Nginx) -> None:
    with site.client() as client:
        answer = client.get("/__errors/uri_too_long")
    assert answer.status_code == 404


# ---------------------------------------------------------------- logging in


def test_sign_up_and_log_in_over_tls(site: Nginx) -> None:
    access = join(site, "tlsmember")

    with site.client(access) as client:
        me = client.get("/api/me/")
    assert me.status_code == 200, me.text
    assert me.json()["nickname"] == "tlsmember"


def test_the_admin_logs_in_with_secure_cookies_and_a_trusted_origin(site: Nginx) -> None:
    Member.objects.create_superuser(email="admin@example.com", password=PASSWORD, nickname="admin")
    with site.client(follow_redirects=False) as client:
        form = client.get("/admin/login/")
        assert form.status_code == 200, form.text[:300]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token is not None
        logged_in = client.post(
            "/admin/login/?next=/admin/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "username": "admin@example.com",
                "password": PASSWORD,
            },
            # What a browser sends: the page's own origin, https://localhost:<port>, which is
            # not the Host nginx passes on (no port), so only DJANGO_CSRF_TRUSTED_ORIGINS admits it.
            headers={"Origin": site.https_url, "Referer": f"{site.https_url}/admin/login/"},
        )
        assert logged_in.status_code == 302, logged_in.text[:500]
        assert logged_in.headers["location"] == "/admin/"
        cookies = {
            header.split("=", 1)[0]: header.lower()
            for header in [
                *form.headers.get_list("set-cookie"),
                *logged_in.headers.get_list("set-cookie"),
            ]
        }
        assert "; secure" in cookies["csrftoken"]
        assert "; secure" in cookies["sessionid"]
        assert client.get("/admin/").status_code == 200


# ---------------------------------------------------------------- streamed answers


def read_stream(
    client: httpx.Client, path: str, body: dict[str, str]
) -> tuple[httpx.Response, list[tuple[float, str, str]]]:
    """POST with Accept: text/event-stream; each event's (arrival time, name, data line)."""
    events: list[tuple[float, str, str]] = []
    headers = {"Accept": "text/event-stream", "Accept-Encoding": "gzip"}
    with client.stream("POST", path, json=body, headers=headers) as answer:
        name = "message"
        for line in answer.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((time.monotonic(), name, line.removeprefix("data: ")))
    return answer, events


def assert_arrived_piece_by_piece(events: list[tuple[float, str, str]]) -> None:
    deltas = [(at, data) for at, name, data in events if name == "delta"]
    done_at = next(at for at, name, _ in events if name == "done")
    words = len(ANSWER.split())
    assert len(deltas) >= words // 2, events
    # Buffered by a proxy, the pieces would all land together at the end; streamed, they come
    # about TOKEN_DELAY_S apart, over the whole answer.
    spread = deltas[-1][0] - deltas[0][0]
    assert spread >= 0.5 * TOKEN_DELAY_S * (words - 1), f"pieces came within {spread:.2f} s"
    early = [at for at, _ in deltas if done_at - at >= 0.4 * TOKEN_DELAY_S * words]
    assert len(early) >= len(deltas) // 3, "most pieces arrived only at the end"


def test_a_streamed_answer_arrives_token_by_token_through_nginx(site: Nginx) -> None:
    access = join(site, "streamer")

    with site.client(access) as client:
        first, events = read_stream(client, "/api/chats/", INTAKE)
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in first.headers  # never gzipped
        assert first.headers["cache-control"] == "no-cache"
        assert first.headers.get_list("strict-transport-security") == [HSTS]
        assert_arrived_piece_by_piece(events)
        chat_id = next(json.loads(data)["chat_id"] for _, name, data in events if name == "chat")

        follow_up, more = read_stream(
            client, f"/api/chats/{chat_id}/messages/", {"content": "And after that?"}
        )
        assert follow_up.status_code == 200
        assert_arrived_piece_by_piece(more)

        stored = client.get(f"/api/chats/{chat_id}/").json()
    assert [turn["answer"] for turn in stored["turns"]] == [ANSWER, ANSWER]


# ---------------------------------------------------------------- the app port stays private


def test_the_app_port_is_not_exposed(site: Nginx, app: LiveServer) -> None:
    chatbot = (DEPLOY / "nginx" / "chatbot.conf").read_text()
    every_config = "\n".join(p.read_text() for p in (DEPLOY / "nginx").rglob("*.conf"))

    # The only way in is nginx: the upstream is on loopback, and nothing listens on the app port
    # but the app, on loopback (deploy/systemd/chatbot.service, make serve's default).
    servers = re.findall(r"^\s*server\s+([^\s;{]+)[^;{]*;", chatbot, flags=re.MULTILINE)
    assert servers == ["127.0.0.1:8000"]
    listens = re.findall(r"^\s*listen\s+([^\s;]+)", every_config, flags=re.MULTILINE)
    assert set(listens) == {"80", "[::]:80", "443", "[::]:443"}, listens
    assert "proxy_pass http://chatbot_app;" in chatbot
    assert set(re.findall(r"proxy_pass\s+(\S+);", every_config)) == {"http://chatbot_app"}
    unit = (DEPLOY / "systemd" / "chatbot.service").read_text()
    command = exec_start(unit)
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8000"
    assert command[command.index("--forwarded-allow-ips") + 1] == "127.0.0.1"

    # The running test: the app listens on loopback only, nginx on what it was rendered with.
    assert listening_addresses(app.port) == {"127.0.0.1"}
    assert listening_addresses(site.ports.https) == {"127.0.0.1"}
    # Plain HTTP spoken to the HTTPS port is refused by nginx, not passed on.
    with httpx.Client(timeout=5) as client:
        plain = client.get(f"http://{DOMAIN}:{site.ports.https}/api/chats/")
    assert plain.status_code == 400


# ---------------------------------------------------------------- systemd


def rendered_unit(name: str, tmp_path: Path) -> Path:
    """A unit from deploy/systemd with the checkout and environment file of this machine."""
    env = tmp_path / "chatbot.env"
    env.touch()
    text = (DEPLOY / "systemd" / name).read_text()
    text = text.replace("/srv/chatbot/app", str(REPO)).replace("/etc/chatbot/chatbot.env", str(env))
    target = tmp_path / name
    target.write_text(text)
    return target


def test_the_systemd_units_are_valid(tmp_path: Path) -> None:
    units = [
        rendered_unit(name, tmp_path)
        for name in (
            "chatbot.service",
            "chatbot-flush-tokens.service",
            "chatbot-flush-tokens.timer",
        )
    ]
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == "", checked.stderr


def test_the_flush_timer_removes_expired_tokens_only(tmp_path: Path) -> None:
    member = Member.objects.create_user(
        email="flush@example.com", password=PASSWORD, nickname="flush"
    )
    now = timezone.now()
    expired = OutstandingToken.objects.create(
        user=member, jti="expired", token="x", created_at=now, expires_at=now - timedelta(days=1)
    )
    BlacklistedToken.objects.create(token=expired)
    live = OutstandingToken.objects.create(
        user=member, jti="live", token="y", created_at=now, expires_at=now + timedelta(days=1)
    )

    unit = rendered_unit("chatbot-flush-tokens.service", tmp_path).read_text()
    command = exec_start(unit)
    assert command[-2:] == ["manage.py", "flushexpiredtokens"]
    ran = subprocess.run(
        [sys.executable, *command[1:]],  # the unit's command, with this run's interpreter
        cwd=REPO,
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": database_url(),
            "DJANGO_ENV_FILE": "",
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": DOMAIN,
            "DJANGO_SECRET_KEY": "flush-" + "k" * 60,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live.jti]
    assert not BlacklistedToken.objects.exists()
