"""End-to-end tests: the front end in frontend/public/ driven in a real Chromium against the real
backend (uvicorn, ASGI, two worker processes) on a throwaway SQLite database, with the local
OpenAI-compatible server (tests/support/fake_openai.py) as the model, so answers stream token by
token exactly as they would from OpenAI.

Session-wide: one database, one model server, one API server (which also serves the front end and
mails through a loopback SMTP server, tests/support/smtp.py), two static servers holding a copy of
the front end configured for the API on another origin (one listed in CHATBOT_CORS_ORIGINS, one
not), and one browser. Each test gets fresh browser contexts
and fresh members, so tests do not depend on each other.

Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM); `playwright install` is never needed.
Screenshots of the main screens go to test-output/screenshots/.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from rest_framework_simplejwt.tokens import AccessToken

from tests.support.fake_github import FakeGitHub
from tests.support.fake_kakao import FakeKakao
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.live_server import LiveServer, app_server
from tests.support.members import CONSENTS, PASSWORD, openai_upstream
from tests.support.smtp import Inbox, running_inbox

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "frontend" / "public"
SCREENSHOTS = REPO / "test-output" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # tests run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No update checks, sync or other background traffic: the network is closed and they flood it.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DAILY_LIMIT = 25  # room for the feed test's 21 chats; the quota test uses up its own member's
MODEL = "gpt-e2e"
ANSWER = (
    "Here is a plan in **three steps**:\n\n"
    "1. Ship one small project end to end.\n"
    "2. Mentor a newer teammate every week.\n"
    "3. Lead the next design review.\n\n"
    "```python\nprint('hello, team')\n```\n"
)
TIMEOUT_MS = 10_000


# ---------------------------------------------------------------- servers


@pytest.fixture(scope="session")
def built_frontend() -> Path:
    needed = [FRONTEND / "vendor" / "marked" / "marked.esm.js", FRONTEND / "index.html"]
    missing = [str(p.relative_to(REPO)) for p in needed if not p.exists()]
    if missing:
        pytest.fail(
            f"The front end is not built ({', '.join(missing)} missing). Run `make frontend` "
            "(npm ci && npm run build in frontend/), or `make e2e`, which does it.",
            pytrace=False,
        )
    return FRONTEND


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh SQLite database, migrated, for this run alone."""
    path = tmp_path_factory.mktemp("e2e-db") / "db.sqlite3"
    url = f"sqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "1", "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"migrate failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    return url


@pytest.fixture(scope="session")
def model() -> Iterator[FakeOpenAI]:
    """The model: answers stream word by word with a short pause, like a real one."""
    with FakeOpenAI(default=Reply(ANSWER, token_delay_s=0.01)) as server:
        yield server


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class StaticSite:
    """A plain static file server: another origin for the same front end files."""

    server: ThreadingHTTPServer
    root: Path
    hits: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


def _serve(root: Path) -> StaticSite:
    hits: list[str] = []

    class Handler(_QuietHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    return StaticSite(server, root, hits)


@pytest.fixture(scope="session")
def static_copy(tmp_path_factory: pytest.TempPathFactory, built_frontend: Path) -> Path:
    """frontend/public/ copied, as a deployment to a static host would be."""
    target = tmp_path_factory.mktemp("static") / "public"
    shutil.copytree(built_frontend, target)
    # node (from the build step) needs to know config.js is an ES module.
    (target.parent / "package.json").write_text('{"type": "module"}\n')
    return target


@pytest.fixture(scope="session")
def other_origins(static_copy: Path) -> Iterator[tuple[StaticSite, StaticSite]]:
    """Two more origins serving the same copy: the first is on the API's CORS list, the second
    is not. Started before the API, which needs their addresses."""
    listed, unlisted = _serve(static_copy), _serve(static_copy)
    yield listed, unlisted
    for site in (listed, unlisted):
        site.server.shutdown()
        site.server.server_close()


@pytest.fixture(scope="session")
def pixel() -> Iterator[StaticSite]:
    """A server standing in for a stranger's image host: any request to it means a remote image
    in an answer was loaded."""
    site = _serve(Path(__file__).parent)
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Inbox]:
    """The API's SMTP server (aiosmtpd on loopback): tests read the mails it was sent."""
    with running_inbox() as inbox:
        yield inbox


@pytest.fixture(scope="session")
def api(
    built_frontend: Path,
    database_url: str,
    model: FakeOpenAI,
    other_origins: tuple[StaticSite, StaticSite],
    static_copy: Path,
    mailbox: Inbox,
) -> Iterator[LiveServer]:
    listed, _ = other_origins
    env = {
        **openai_upstream(model.base_url, model=MODEL),
        **mailbox.environment(),
        "CHATBOT_CORS_ORIGINS": listed.origin,
    }
    with app_server(db_url=database_url, daily_limit=DAILY_LIMIT, workers=2, env=env) as server:
        # Deploy the copy for this API the documented way: set apiBase in config.js, then let
        # the build step write the API origin into the page's Content-Security-Policy.
        (static_copy / "config.js").write_text(
            f"export default {{ apiBase: {json.dumps(server.url)} }};\n"
        )
        build = REPO / "frontend" / "scripts" / "build.mjs"
        subprocess.run(
            ["node", str(build), "csp", str(static_copy)], check=True, capture_output=True
        )
        yield server


@pytest.fixture(scope="module")
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture(scope="module")
def kakao() -> Iterator[FakeKakao]:
    with FakeKakao() as server:
        yield server


@pytest.fixture(scope="module")
def oauth_api(
    built_frontend: object, database_url: str, github: FakeGitHub, kakao: FakeKakao
) -> Iterator[LiveServer]:
    """The session's API server offers no login provider; a module that needs them gets one of
    its own with both configured and pointed at the fakes, on the same database."""
    env = {
        "CHATBOT_GITHUB_CLIENT_ID": github.client_id,
        "CHATBOT_GITHUB_CLIENT_SECRET": github.client_secret,
        "CHATBOT_GITHUB_BASE_URL": github.base_url,
        "CHATBOT_GITHUB_API_URL": github.base_url,
        "CHATBOT_KAKAO_CLIENT_ID": kakao.client_id,
        "CHATBOT_KAKAO_CLIENT_SECRET": kakao.client_secret,
        "CHATBOT_KAKAO_AUTH_URL": kakao.base_url,
        "CHATBOT_KAKAO_API_URL": kakao.base_url,
    }
    with app_server(db_url=database_url, workers=1, env=env) as server:
        yield server


# ---------------------------------------------------------------- members


@dataclass
class Member:
    email: str
    nickname: str
    id: int
    access: str
    refresh: str


class Members:
    """Members made straight through the API, for tests that are not about signing up. They
    verify their email as people do, by the link in the mail the sign-up sent (read from
    `mailbox`), unless made with `verified=False`."""

    def __init__(self, api: LiveServer, mailbox: Inbox) -> None:
        self.api = api
        self.mailbox = mailbox
        self.count = 0

    def fresh_identity(self, prefix: str = "m") -> tuple[str, str]:
        self.count += 1
        tag = f"{prefix}{os.getpid()}x{self.count}"
        return f"{tag}@example.com", tag

    def create(self, prefix: str = "m", *, verified: bool = True) -> Member:
        email, nickname = self.fresh_identity(prefix)
        with self.api.client() as client:
            signed = client.post(
                "/api/auth/signup/",
                json={"email": email, "password": PASSWORD, "nickname": nickname, **CONSENTS},
            )
            assert signed.status_code == 201, signed.text
        if verified:
            self.verify(email)
        return self.log_in(email, nickname, signed.json()["id"])

    def verify(self, email: str) -> None:
        """Verify `email` by the token of the newest mail to it, through the API."""
        self.mailbox.wait_for(email)
        token = self.mailbox.to(email)[-1].token
        with self.api.client() as client:
            verified = client.post("/api/auth/email/verify/", json={"token": token})
            assert verified.status_code == 200, verified.text

    def log_in(self, email: str, nickname: str, member_id: int) -> Member:
        with self.api.client() as client:
            tokens = client.post("/api/auth/login/", json={"email": email, "password": PASSWORD})
            assert tokens.status_code == 200, tokens.text
        pair = tokens.json()
        return Member(email, nickname, member_id, pair["access"], pair["refresh"])

    def start_chat(self, member: Member, goal: str = "Lead a team", **extra: str) -> dict[str, Any]:
        with self.api.client(member.access) as client:
            made = client.post(
                "/api/chats/", json={"current_state": "A developer.", "goal": goal, **extra}
            )
            assert made.status_code == 201, made.text
            return dict(made.json())


@pytest.fixture(scope="session")
def members(api: LiveServer, mailbox: Inbox) -> Members:
    return Members(api, mailbox)


def expired_access_token(member_id: int) -> str:
    """An access token signed with the server's key that expired a minute ago."""
    token = AccessToken()
    token[settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id")] = str(member_id)
    token.set_exp(from_time=datetime.now(UTC) - timedelta(minutes=16))
    return str(token)


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}. Install Debian's: apt-get install -y chromium "
            "(or set $CHROMIUM). `playwright install` is not used.",
            pytrace=False,
        )
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Watched:
    """What a page did that a test should know about: script errors and dialogs (alert() from
    an XSS payload would be one)."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Make a browser context (a separate profile: storage, cookies); every page in it is
    watched, and a test fails if any page threw an uncaught error."""
    made: list[tuple[BrowserContext, Watched]] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("viewport", {"width": 1280, "height": 860})
        options.setdefault("locale", "en-US")
        options.setdefault("timezone_id", "Asia/Seoul")
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        watched = Watched()

        def watch(page: Page) -> None:
            page.on("pageerror", lambda error: watched.errors.append(str(error)))

            def on_dialog(dialog: Any) -> None:
                watched.dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)

        context.on("page", watch)
        context.watched = watched  # type: ignore[attr-defined]
        made.append((context, watched))
        return context

    yield make
    problems = [e for _, w in made for e in w.errors] + [
        f"dialog: {d}" for _, w in made for d in w.dialogs
    ]
    for context, _ in made:
        context.close()
    assert not problems, f"the page threw or opened dialogs: {problems}"


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


def sign_in(
    page: Page, api: LiveServer, member: Member, path: str = "/", *, origin: str | None = None
) -> None:
    """Open the app already logged in as `member` (tokens stored as the app stores them), from
    the API's own origin or `origin` (a proxy in front of it)."""
    base = origin or api.url
    page.goto(f"{base}/#/__blank")
    page.evaluate(
        "tokens => localStorage.setItem('chatbot.tokens', JSON.stringify(tokens))",
        {"access": member.access, "refresh": member.refresh},
    )
    page.goto(f"{base}/#{path}")
    page.reload()


def fill_sign_up(page: Page, api: LiveServer, email: str, nickname: str) -> None:
    """Open the sign-up page and fill in the required fields (not the checkboxes)."""
    page.goto(f"{api.url}/#/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Nickname").fill(nickname)


def tick_consents(page: Page) -> None:
    """Tick sign-up's (or the consent step's) two boxes, in English."""
    page.get_by_role("checkbox", name="I am 14 or older").check()
    page.get_by_role("checkbox", name="I agree to the Terms and the Privacy Policy").check()


def stored_tokens(page: Page) -> dict[str, str] | None:
    raw = page.evaluate("() => localStorage.getItem('chatbot.tokens')")
    return json.loads(raw) if raw else None


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Transitions (the phone drawer sliding in) are finished first, not caught halfway.
    page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"), animations="disabled", full_page=full_page
    )


def refresh_works(api: LiveServer, refresh: str) -> bool:
    with httpx.Client(base_url=api.url, timeout=10) as client:
        return client.post("/api/auth/refresh/", json={"refresh": refresh}).status_code == 200
