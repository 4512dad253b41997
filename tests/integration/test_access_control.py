"""Who may do what, for every endpoint and method in the URLconf: anonymous, another member and
the owner of the resource get exactly the expected status, and nothing more (no change to what
is not theirs, nothing private in what they read). A new endpoint or method without a row here
fails `test_every_endpoint_and_method_has_a_row`. The admin (its own URLconf, staff only) is
tested in test_admin.py."""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from adapters.orm.models import Chat, Turn
from adapters.orm.models import Member as MemberRow
from application.views import REDACTED
from tests.integration.conftest import INTAKE, Member, start_chat
from tests.integration.verified import ensure_verified
from tests.support.members import CONSENTS, PASSWORD
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "other", "owner")
PUBLIC, MEMBER_ONLY = (200, 200, 200), (401, 200, 200)
OWNER_ONLY = (401, 403)

# (URL name, method): status for (anonymous, another member, the owner). The resource in the
# path or body is the owner's: their chat, their turn, their credentials or refresh token.
EXPECTED: dict[tuple[str, str], tuple[int, int, int]] = {
    ("robots", "GET"): PUBLIC,
    ("healthz", "GET"): PUBLIC,
    ("share", "GET"): PUBLIC,  # a chat's share page (HTML)
    ("readyz", "GET"): PUBLIC,
    ("metrics", "GET"): PUBLIC,  # from 127.0.0.1 only (CHATBOT_METRICS_ALLOW)
    ("schema", "GET"): PUBLIC,
    ("docs", "GET"): PUBLIC,
    ("signup", "POST"): (201, 201, 201),
    ("login", "POST"): PUBLIC,  # with the owner's email and password
    ("refresh", "POST"): PUBLIC,  # with the owner's refresh token: it is a bearer secret
    ("logout", "POST"): (401, 401, 204),  # another member cannot revoke the owner's token
    # Mailed links: a made-up token is refused for everyone; a reset answers the same to all.
    ("email-verify", "POST"): (400, 400, 400),
    ("password-reset", "POST"): (202, 202, 202),
    ("password-reset-confirm", "POST"): (400, 400, 400),
    ("me-email-verification", "POST"): (401, 202, 202),  # each member their own address
    ("me", "GET"): MEMBER_ONLY,  # each member their own profile
    ("me", "PATCH"): MEMBER_ONLY,
    ("me", "DELETE"): (401, 204, 204),  # each member their own account, with their password
    ("me-password", "POST"): MEMBER_ONLY,  # each member their own, knowing the current one
    ("me-export", "GET"): MEMBER_ONLY,  # each member their own data, nobody else's
    ("me-consent", "POST"): (401, 204, 204),  # each member their own consent
    ("logout-all", "POST"): (401, 204, 204),  # each member their own devices
    ("my-chats", "GET"): MEMBER_ONLY,
    ("me-usage", "GET"): MEMBER_ONLY,  # each member their own receipts
    ("chats", "GET"): PUBLIC,
    ("chats", "POST"): (401, 201, 201),
    ("intake", "GET"): PUBLIC,
    ("models", "GET"): PUBLIC,
    ("chat", "GET"): PUBLIC,  # every chat is public, its private parts redacted
    ("chat", "PATCH"): (*OWNER_ONLY, 200),  # shown with or without the owner's nickname
    ("chat", "DELETE"): (*OWNER_ONLY, 204),
    ("chat-messages", "POST"): (*OWNER_ONLY, 201),
    ("turn-stop", "POST"): (*OWNER_ONLY, 202),
    # Any member who may read the chat rates its answers, each their own rating.
    ("turn-feedback", "POST"): MEMBER_ONLY,
    ("turn-feedback", "DELETE"): (401, 204, 204),
    ("turn-stream", "GET"): PUBLIC,  # whoever may read the chat; its private parts redacted
    # Members with a verified email report others' chats; the owner cannot report their own.
    ("chat-reports", "POST"): (401, 201, 403),
    # Logging in with a provider; none is configured here, so theirs are 404 for everyone.
    ("oauth-providers", "GET"): PUBLIC,
    ("oauth-start", "GET"): (404, 404, 404),
    ("oauth-callback", "GET"): (404, 404, 404),
    ("oauth-exchange", "POST"): (400, 400, 400),  # a code nobody was given
    ("me-oauth", "DELETE"): (401, 404, 404),  # nothing linked to unlink
    ("me-oauth-link", "POST"): (401, 404, 404),  # each member links to themselves alone
    # Kakao's unlink callback: no admin key configured here; with one, only its holder.
    ("oauth-kakao-unlinked", "POST"): (404, 404, 404),
}

# Exact fields of what anyone may read about a chat: nothing else may appear.
SUMMARY = {"id", "title", "author", "anonymous", "created_at", "updated_at", "turn_count"}
SUMMARY |= {"hidden", "hidden_reason", "journey"}
CHAT = SUMMARY | {"intake", "turns"}
AUTHOR = {"nickname"}
JOURNEY = {"from", "to"}
PROMPT = {"kind", "question", "answer"}
TURN = {"id", "index", "question", "answer", "status", "error_code", "created_at"}
TURN |= {"answered_at", "usage", "exchange", "my_rating"}
EXCHANGE = {"request", "response", "native"}
PAGE = {"next", "results"}
BORN, JOB = 1987, "secret-job-marker"


def endpoints_in_urlconf() -> Iterator[tuple[str, str]]:
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            continue  # the admin
        assert isinstance(pattern, URLPattern), pattern
        assert pattern.name, pattern
        view = getattr(pattern.callback, "view_class", None)
        if view is None:  # a function view: health probes and metrics answer GET only
            yield pattern.name, "GET"
            continue
        for method in view.http_method_names:
            if method not in {"options", "head"} and hasattr(view, method):
                yield pattern.name, method.upper()


def test_every_endpoint_and_method_has_a_row() -> None:
    assert set(endpoints_in_urlconf()) == set(EXPECTED)


@dataclass
class World:
    owner: Member
    other: Member
    chat_id: int
    turn_id: int

    def client(self, role: str) -> APIClient:
        return {"anonymous": APIClient(), "other": self.other.client, "owner": self.owner.client}[
            role
        ]


@pytest.fixture
def world(make_member: Callable[..., Member], inbox: Inbox) -> World:
    owner = ensure_verified(make_member(born_year=BORN, job=JOB), inbox)
    other = ensure_verified(make_member(), inbox)
    chat = start_chat(owner)
    assert chat.status_code == 201
    return World(owner, other, chat.json()["id"], chat.json()["turns"][0]["id"])


def call(world: World, role: str, name: str, method: str) -> Any:
    client = world.client(role)
    chat = f"/api/chats/{world.chat_id}/"
    n = f"{role}{name}{method}".replace("-", "")
    requests: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
        ("robots", "GET"): ("/robots.txt", None),
        ("healthz", "GET"): ("/healthz", None),
        ("share", "GET"): (f"/c/{world.chat_id}", None),
        ("readyz", "GET"): ("/readyz", None),
        ("metrics", "GET"): ("/metrics", None),
        ("schema", "GET"): ("/api/schema/", None),
        ("docs", "GET"): ("/api/docs/", None),
        ("signup", "POST"): (
            "/api/auth/signup/",
            {"email": f"{n}@example.com", "password": PASSWORD, "nickname": n[:30], **CONSENTS},
        ),
        ("login", "POST"): (
            "/api/auth/login/",
            {"email": world.owner.email, "password": PASSWORD},
        ),
        ("refresh", "POST"): ("/api/auth/refresh/", {"refresh": world.owner.refresh}),
        ("logout", "POST"): ("/api/auth/logout/", {"refresh": world.owner.refresh}),
        ("email-verify", "POST"): ("/api/auth/email/verify/", {"token": "made-up"}),
        ("password-reset", "POST"): ("/api/auth/password/reset/", {"email": world.owner.email}),
        ("password-reset-confirm", "POST"): (
            "/api/auth/password/reset/confirm/",
            {"token": "made-up", "password": "a brand new passphrase"},
        ),
        ("me-email-verification", "POST"): ("/api/me/email/verification/", None),
        ("me", "GET"): ("/api/me/", None),
        ("me", "PATCH"): ("/api/me/", {"job": "changed", "nickname": n[:30]}),
        ("me", "DELETE"): ("/api/me/", {"password": PASSWORD}),
        ("me-password", "POST"): (
            "/api/me/password/",
            {"current_password": PASSWORD, "new_password": "a changed long passphrase"},
        ),
        ("me-export", "GET"): ("/api/me/export/", None),
        ("me-consent", "POST"): ("/api/me/consent/", CONSENTS),
        ("logout-all", "POST"): ("/api/auth/logout/all/", None),
        ("my-chats", "GET"): ("/api/me/chats/", None),
        ("me-usage", "GET"): ("/api/me/usage/", None),
        ("chats", "GET"): ("/api/chats/", None),
        ("chats", "POST"): ("/api/chats/", INTAKE),
        ("intake", "GET"): ("/api/chats/intake/", None),
        ("models", "GET"): ("/api/models/", None),
        ("chat", "GET"): (chat, None),
        ("chat", "PATCH"): (chat, {"anonymous": True}),
        ("chat", "DELETE"): (chat, None),
        ("chat-messages", "POST"): (f"{chat}messages/", {"content": "Mine now?"}),
        ("turn-stop", "POST"): (f"{chat}turns/{world.turn_id}/stop/", None),
        ("turn-feedback", "POST"): (f"{chat}turns/{world.turn_id}/feedback/", {"rating": 1}),
        ("turn-feedback", "DELETE"): (f"{chat}turns/{world.turn_id}/feedback/", None),
        ("turn-stream", "GET"): (f"{chat}turns/{world.turn_id}/stream/", None),
        ("chat-reports", "POST"): (f"{chat}reports/", {"reason": "spam"}),
        ("oauth-providers", "GET"): ("/api/auth/oauth/providers/", None),
        ("oauth-start", "GET"): ("/api/auth/oauth/github/start/", None),
        ("oauth-callback", "GET"): ("/api/auth/oauth/github/callback/?code=c&state=s", None),
        ("oauth-exchange", "POST"): ("/api/auth/oauth/exchange/", {"code": "made-up"}),
        ("me-oauth", "DELETE"): ("/api/me/oauth/github/", None),
        ("me-oauth-link", "POST"): ("/api/me/oauth/github/link/", None),
        ("oauth-kakao-unlinked", "POST"): ("/api/auth/oauth/kakao/unlinked/", {"user_id": "1"}),
    }
    path, body = requests[(name, method)]
    response = client.generic(method, path, *_json(body))
    if getattr(response, "streaming", False):  # an event stream, read whole
        response = HttpResponse(async_to_sync(_read)(response), status=response.status_code)
    return response


async def _read(response: Any) -> bytes:
    return b"".join([chunk async for chunk in response.streaming_content])


def _json(body: dict[str, Any] | None) -> tuple[str, str]:
    return (json.dumps(body), "application/json") if body is not None else ("", "")


def keys_of(data: Any, shape: set[str]) -> None:
    assert set(data) == shape, sorted(set(data) ^ shape)


def assert_public_chat(data: dict[str, Any], *, owner: bool) -> None:
    keys_of(data, CHAT)
    keys_of(data["author"], AUTHOR)
    for prompt in data["intake"]:
        keys_of(prompt, PROMPT)
    for turn in data["turns"]:
        keys_of(turn, TURN)
        keys_of(turn["exchange"], EXCHANGE)
        private = [
            m["content"] for m in turn["exchange"]["request"]["messages"] if m["role"] == "system"
        ]
        if owner:
            assert any(JOB in m for m in private), private
        else:
            assert REDACTED in private, private


def assert_nothing_private(response: Any, world: World) -> None:
    text = response.content.decode()
    hashed = MemberRow.objects.get(pk=world.owner.id).password
    for secret in (world.owner.email, JOB, hashed, world.owner.refresh):
        assert secret not in text, (secret, text[:500])
    # The year alone, not as digits inside a longer number: /metrics prints
    # float timestamps whose mantissas may hold any four digits.
    assert not re.search(rf"(?<![\d.]){BORN}(?!\d)", text), text[:500]


def assert_untouched(world: World) -> None:
    """Everything of the owner's is as it was."""
    row = MemberRow.objects.get(pk=world.owner.id)
    assert (row.job, row.nickname, row.is_active) == (JOB, world.owner.nickname, True)
    assert Chat.objects.filter(pk=world.chat_id, member_id=world.owner.id).exists()
    assert Turn.objects.filter(chat_id=world.chat_id).count() == 1
    owner_usage = world.owner.client.get("/api/me/").json()["quota"]["used"]
    assert owner_usage == 1


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), list(EXPECTED), ids=[f"{m} {n}" for n, m in EXPECTED])
def test_each_role_gets_exactly_what_it_may(
    world: World, role: str, name: str, method: str
) -> None:
    expected = EXPECTED[(name, method)][ROLES.index(role)]

    response = call(world, role, name, method)

    assert response.status_code == expected, response.content[:500]
    if response.status_code >= 400:
        assert set(response.json()) <= {"code", "detail", "errors"}, response.json()
    if role != "owner" and (name, method) != ("login", "POST"):
        assert_nothing_private(response, world)
    if role != "owner" and (name, method) not in {("refresh", "POST"), ("login", "POST")}:
        assert_untouched(world)
    if response.status_code >= 400:
        return
    if (name, method) == ("chat", "GET"):
        assert_public_chat(response.json(), owner=role == "owner")
    if (name, method) in {("chats", "GET"), ("my-chats", "GET")}:
        keys_of(response.json(), PAGE)
        for summary in response.json()["results"]:
            keys_of(summary, SUMMARY)
            keys_of(summary["author"], AUTHOR)
            keys_of(summary["journey"], JOURNEY)
    if (name, method) == ("my-chats", "GET") and role == "other":
        assert response.json()["results"] == []
    if (name, method) == ("me-usage", "GET"):
        receipts = [r for day in response.json()["days"] for r in day["receipts"]]
        assert len(receipts) == (1 if role == "owner" else 0), receipts


def test_another_members_chats_are_not_found_by_guessing_ids(world: World) -> None:
    # Ids are sequential; guessing one gets a chat's public view at most, never a way to change it.
    for offset in (-1, 0, 1, 10**6):
        path = f"/api/chats/{world.chat_id + offset}/messages/"
        response = world.other.client.post(path, {"content": "hi"}, format="json")
        assert response.status_code in {403, 404}
    assert_untouched(world)
