"""What the fake OAuth2 providers (tests/support/fake_github.py, fake_kakao.py) share: a consent
page a browser (or a test) can approve or cancel, single-use authorization codes bound to the
client, the redirect URI and the PKCE challenge, bearer tokens, and per-endpoint failures.

A provider fake sets its paths and wire format: how it answers the token request (success and
error bodies) and its account endpoints. The consent page is a tiny HTML page with an
"Authorize" link and a "Cancel" one; both lead to `<authorize path>/decide`, which redirects to
the client's redirect URI with `code` and `state`, or with `error=access_denied` and `state`, as
the real providers do.
"""

import base64
import hashlib
import html
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.support import fake_http
from tests.support.fake_http import ReceivedRequest, Wire


@dataclass(frozen=True, slots=True)
class Route:
    """A behaviour that hands the wire to a method of the fake."""

    answer: Callable[[Wire], None]

    def respond(self, wire: Wire) -> None:
        self.answer(wire)


@dataclass(frozen=True, slots=True)
class _NotFound:
    status: int
    message: str

    def respond(self, wire: Wire) -> None:
        wire.send_json(self.status, {"message": self.message})


@dataclass(frozen=True, slots=True)
class Canned:
    """A reply an endpoint gives instead of its own (a body of an unexpected shape, not JSON)."""

    body: bytes
    content_type: str = "application/json"
    status: int = 200


@dataclass(slots=True)
class Grant:
    """An authorization the person approved: what the token request must match."""

    client_id: str
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    scope: str
    account: Any


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def form(request: ReceivedRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.raw_body.decode(), keep_blank_values=True).items()}


def query(request: ReceivedRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}


class FakeOAuthProvider(fake_http.FakeHTTPServer[fake_http.Exchange]):
    authorize_path: ClassVar[str]
    token_path: ClassVar[str]
    approve_label: ClassVar[str] = "Authorize"
    cancel_label: ClassVar[str] = "Cancel"
    token_prefix: ClassVar[str] = "token_"
    endpoint = "/unused"
    exchange_type = fake_http.Exchange
    reply_type = staticmethod(lambda: _NotFound(404, "Not Found"))  # type: ignore[assignment]
    fail_type = _NotFound  # type: ignore[assignment]

    def __init__(
        self,
        client_id: str = "test-client-id",
        client_secret: str = "test-client-secret",  # noqa: S107 (a fake's own)
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.account: Any = self.default_account()
        # Endpoint name ("token", or the provider's account endpoints) -> HTTP status to fail with,
        # or a canned reply to give instead of the endpoint's own.
        self.failures: dict[str, int | Canned] = {}
        self.pending: dict[str, Grant] = {}
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, Any] = {}
        self._guard = threading.Lock()

    # -- what a provider fake decides

    def default_account(self) -> Any:
        raise NotImplementedError

    def routes(self) -> Mapping[tuple[str, str], Callable[[Wire], None]]:
        """(method, path) -> handler, beyond the consent page and the token endpoint."""
        return {}

    def token_success(self, wire: Wire, token: str, grant: Grant) -> None:
        raise NotImplementedError

    def token_error(self, wire: Wire, error: str, description: str) -> None:
        raise NotImplementedError

    def required_token_fields(self) -> tuple[str, ...]:
        return ("client_id", "client_secret", "code", "redirect_uri", "code_verifier")

    # -- routing

    def _behaviour_for(self, request: ReceivedRequest) -> fake_http.Behaviour:
        path = urlsplit(request.path).path
        table: dict[tuple[str, str], Callable[[Wire], None]] = {
            ("GET", self.authorize_path): self._authorize,
            ("GET", self.authorize_path + "/decide"): self._decide,
            ("POST", self.token_path): self._token,
            **self.routes(),
        }
        handler = table.get((request.method, path))
        if handler is None:
            return _NotFound(404, "Not Found")
        return Route(handler)

    def failing(self, name: str, wire: Wire) -> bool:
        failure = self.failures.get(name)
        if failure is None:
            return False
        if isinstance(failure, Canned):
            wire.send_bytes(failure.status, failure.body, failure.content_type)
        else:
            wire.send_bytes(
                failure, b"<html><body>Internal Server Error</body></html>", "text/html"
            )
        return True

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        """The requests received at `path` (without its query), oldest first."""
        return [r for r in self.requests if urlsplit(r.path).path == path]

    # -- the consent page

    def _authorize(self, wire: Wire) -> None:
        asked = query(wire.request)
        if asked.get("client_id") != self.client_id or asked.get("response_type", "code") != "code":
            wire.send_bytes(400, b"<html><body>Unknown application.</body></html>", "text/html")
            return
        request_id = secrets.token_urlsafe(8)
        with self._guard:
            self.pending[request_id] = Grant(
                client_id=asked["client_id"],
                redirect_uri=asked.get("redirect_uri", ""),
                code_challenge=asked.get("code_challenge"),
                code_challenge_method=asked.get("code_challenge_method"),
                scope=asked.get("scope", ""),
                account=self.account,
            )
        state = asked.get("state", "")
        decide = self.authorize_path + "/decide"
        yes = f"{decide}?{urlencode({'request': request_id, 'state': state, 'approve': '1'})}"
        no = f"{decide}?{urlencode({'request': request_id, 'state': state, 'approve': '0'})}"
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Authorize</title></head>"
            f"<body><h1>{html.escape(self.server_version)}</h1>"
            f"<p>Scope: {html.escape(asked.get('scope', ''))}</p>"
            f"<a id='approve' href='{html.escape(yes)}'>{html.escape(self.approve_label)}</a> "
            f"<a id='cancel' href='{html.escape(no)}'>{html.escape(self.cancel_label)}</a>"
            "</body></html>"
        )
        wire.send_bytes(200, page.encode(), "text/html; charset=utf-8")

    def _decide(self, wire: Wire) -> None:
        asked = query(wire.request)
        with self._guard:
            grant = self.pending.pop(asked.get("request", ""), None)
        if grant is None:
            wire.send_bytes(400, b"<html><body>Expired.</body></html>", "text/html")
            return
        if asked.get("approve") == "1":
            code = secrets.token_hex(10)
            with self._guard:
                self.codes[code] = grant
            params = {"code": code, "state": asked.get("state", "")}
        else:
            params = {
                "error": "access_denied",
                "error_description": "The user has denied your application access.",
                "state": asked.get("state", ""),
            }
        separator = "&" if "?" in grant.redirect_uri else "?"
        location = f"{grant.redirect_uri}{separator}{urlencode(params)}"
        wire.send_bytes(302, b"", "text/plain", {"Location": location})

    # -- the token endpoint

    def _token(self, wire: Wire) -> None:
        if self.failing("token", wire):
            return
        sent = form(wire.request)
        missing = [f for f in self.required_token_fields() if not sent.get(f)]
        if missing or sent.get("grant_type", "authorization_code") != "authorization_code":
            self.token_error(wire, "invalid_request", f"missing {', '.join(missing)}")
            return
        if sent["client_id"] != self.client_id or (
            "client_secret" in self.required_token_fields()
            and sent["client_secret"] != self.client_secret
        ):
            self.token_error(wire, "invalid_client", "The client credentials are incorrect.")
            return
        with self._guard:
            grant = self.codes.pop(sent["code"], None)  # single use
        if (
            grant is None
            or grant.redirect_uri != sent["redirect_uri"]
            or (
                grant.code_challenge and s256(sent.get("code_verifier", "")) != grant.code_challenge
            )
        ):
            self.token_error(wire, "bad_verification_code", "The code is incorrect or expired.")
            return
        token = self.token_prefix + secrets.token_hex(16)
        with self._guard:
            self.tokens[token] = grant.account
        self.token_success(wire, token, grant)

    def account_for(self, wire: Wire) -> Any | None:
        header = wire.request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in {"bearer", "token"}:
            return None
        with self._guard:
            return self.tokens.get(token)

    # -- for tests that play the browser

    def consent(self, authorize_url: str, *, approve: bool = True) -> str:
        """Open the consent page at `authorize_url`, click Authorize (or Cancel), and return
        where the provider sends the browser back (the callback URL with its query)."""
        with httpx.Client(timeout=10) as client:
            page = client.get(authorize_url)
            assert page.status_code == 200, page.text
            link = "approve" if approve else "cancel"
            href = page.text.split(f"id='{link}' href='", 1)[1].split("'", 1)[0]
            back = client.get(self.base_url + html.unescape(href))
            assert back.status_code == 302, back.text
            return back.headers["location"]
