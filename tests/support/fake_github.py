"""GitHub as an OAuth app sees it, on loopback: the consent page at /login/oauth/authorize, the
token endpoint /login/oauth/access_token (JSON when asked with `Accept: application/json`, else
form-encoded; errors come as 200 with an `error` field, as GitHub does), and the REST API's
/user and /user/emails. Point CHATBOT_GITHUB_BASE_URL and CHATBOT_GITHUB_API_URL at `base_url`.

Set `account` (a GitHubAccount) before the person consents; `failures["token" | "user" |
"emails"] = 500` makes that endpoint fail.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.fake_http import Wire
from tests.support.fake_oauth import FakeOAuthProvider, Grant

_DOCS = "https://docs.github.com/rest"


@dataclass
class GitHubAccount:
    id: int = 583231
    login: str = "octocat"
    name: str | None = "The Octocat"
    emails: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "email": "octocat@example.com",
                "primary": True,
                "verified": True,
                "visibility": "public",
            }
        ]
    )

    @staticmethod
    def email(address: str, *, verified: bool = True, primary: bool = True) -> dict[str, Any]:
        return {"email": address, "primary": primary, "verified": verified, "visibility": None}


class FakeGitHub(FakeOAuthProvider):
    server_version = "FakeGitHub/1.0"
    thread_name = "fake-github"
    id_prefix = "gh"
    authorize_path = "/login/oauth/authorize"
    token_path = "/login/oauth/access_token"
    token_prefix = "gho_"

    def default_account(self) -> GitHubAccount:
        return GitHubAccount()

    def routes(self) -> Mapping[tuple[str, str], Callable[[Wire], None]]:
        return {("GET", "/user"): self._user, ("GET", "/user/emails"): self._emails}

    def token_success(self, wire: Wire, token: str, grant: Grant) -> None:
        body = {
            "access_token": token,
            "token_type": "bearer",
            "scope": grant.scope.replace(" ", ","),
        }
        self._token_body(wire, body)

    def token_error(self, wire: Wire, error: str, description: str) -> None:
        body = {"error": error, "error_description": description, "error_uri": _DOCS}
        self._token_body(wire, body)

    def _token_body(self, wire: Wire, body: dict[str, str]) -> None:
        if "application/json" in wire.request.headers.get("accept", ""):
            wire.send_json(200, body)
        else:
            data = urlencode(body).encode()
            wire.send_bytes(200, data, "application/x-www-form-urlencoded; charset=utf-8")

    def _authorized(self, wire: Wire, name: str) -> GitHubAccount | None:
        if self.failing(name, wire):
            return None
        account = self.account_for(wire)
        if account is None:
            wire.send_json(401, {"message": "Requires authentication", "documentation_url": _DOCS})
        return account

    def _user(self, wire: Wire) -> None:
        if account := self._authorized(wire, "user"):
            public = next((e["email"] for e in account.emails if e.get("visibility")), None)
            wire.send_json(
                200,
                {
                    "login": account.login,
                    "id": account.id,
                    "node_id": f"MDQ6VXNlcj{account.id}",
                    "type": "User",
                    "name": account.name,
                    "email": public,
                },
            )

    def _emails(self, wire: Wire) -> None:
        if account := self._authorized(wire, "emails"):
            wire.send_json(200, account.emails)


@pytest.fixture(name="fake_github")
def fake_github_fixture() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server
