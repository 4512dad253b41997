"""Kakao Login on loopback: the consent page at /oauth/authorize and the token endpoint
/oauth/token (form-encoded POST, JSON answer; errors as 400/401 with `error`, `error_description`
and Kakao's `error_code`), as kauth.kakao.com serves them, and /v2/user/me as kapi.kakao.com
does. One server plays both hosts: point CHATBOT_KAKAO_AUTH_URL and CHATBOT_KAKAO_API_URL at
`base_url`.

Set `account` (a KakaoAccount) before the person consents; `failures["token" | "me" |
"unlink"] = 500` makes that endpoint fail.

POST /v1/user/unlink answers as Kakao does for an app's admin key (`Authorization: KakaoAK
<admin_key>`, form `target_id_type=user_id&target_id=...`): `{"id": ...}`, or 401 with Kakao's
error body for another key. `unlinked` lists the account ids it unlinked.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.fake_http import Wire
from tests.support.fake_oauth import FakeOAuthProvider, Grant, form

ADMIN_KEY = "test-kakao-admin-key"


@dataclass
class KakaoAccount:
    id: int = 3141592653
    nickname: str | None = "라이언"
    email: str | None = "ryan@example.com"
    is_email_valid: bool = True
    is_email_verified: bool = True


class FakeKakao(FakeOAuthProvider):
    server_version = "FakeKakao/1.0"
    thread_name = "fake-kakao"
    id_prefix = "kakao"
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"
    approve_label = "동의하고 계속하기"
    cancel_label = "취소"

    admin_key = ADMIN_KEY

    def __init__(self, **credentials: str) -> None:
        super().__init__(**credentials)
        self.unlinked: list[str] = []

    def default_account(self) -> KakaoAccount:
        return KakaoAccount()

    def required_token_fields(self) -> tuple[str, ...]:
        # The client secret is required only when the app turned it on; this one did.
        return ("client_id", "client_secret", "code", "redirect_uri", "code_verifier")

    def routes(self) -> Mapping[tuple[str, str], Callable[[Wire], None]]:
        return {
            ("GET", "/v2/user/me"): self._me,
            ("POST", "/v2/user/me"): self._me,
            ("POST", "/v1/user/unlink"): self._unlink,
        }

    def _unlink(self, wire: Wire) -> None:
        if self.failing("unlink", wire):
            return
        if wire.request.headers.get("authorization", "") != f"KakaoAK {self.admin_key}":
            wire.send_json(401, {"msg": "wrong appKey(admin key) type", "code": -401})
            return
        sent = form(wire.request)
        target = sent.get("target_id", "")
        if sent.get("target_id_type") != "user_id" or not target.isdigit():
            wire.send_json(400, {"msg": "target_id is required", "code": -2})
            return
        self.unlinked.append(target)
        wire.send_json(200, {"id": int(target)})

    def token_success(self, wire: Wire, token: str, grant: Grant) -> None:
        wire.send_json(
            200,
            {
                "token_type": "bearer",
                "access_token": token,
                "expires_in": 21599,
                "refresh_token": "r" + token,
                "refresh_token_expires_in": 5183999,
                "scope": grant.scope,
            },
        )

    def token_error(self, wire: Wire, error: str, description: str) -> None:
        status = 401 if error == "invalid_client" else 400
        code = "KOE010" if error == "invalid_client" else "KOE320"
        body = {"error": error, "error_description": description, "error_code": code}
        wire.send_json(status, body)

    def _me(self, wire: Wire) -> None:
        if self.failing("me", wire):
            return
        account = self.account_for(wire)
        if account is None:
            wire.send_json(401, {"msg": "this access token does not exist", "code": -401})
            return
        kakao_account: dict[str, Any] = {
            "profile_nickname_needs_agreement": False,
            "profile": {"nickname": account.nickname, "is_default_nickname": False},
            "has_email": account.email is not None,
            "email_needs_agreement": False,
        }
        if account.email is not None:
            kakao_account.update(
                is_email_valid=account.is_email_valid,
                is_email_verified=account.is_email_verified,
                email=account.email,
            )
        wire.send_json(
            200,
            {
                "id": account.id,
                "connected_at": "2026-01-01T00:00:00Z",
                "properties": {"nickname": account.nickname},
                "kakao_account": kakao_account,
            },
        )


@pytest.fixture(name="fake_kakao")
def fake_kakao_fixture() -> Iterator[FakeKakao]:
    with FakeKakao() as server:
        yield server
