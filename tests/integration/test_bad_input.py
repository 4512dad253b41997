"""Whatever a client sends gets a clear 4xx JSON answer, never a 500, and costs no quota."""

import base64
import json

import pytest
from rest_framework.test import APIClient

from adapters.orm.models import Chat, Turn
from adapters.orm.models import Member as MemberRow
from domain.chat import MESSAGE_MAX
from domain.prompts import ANSWER_MAX
from tests.integration.conftest import INTAKE, Member, sign_up

pytestmark = pytest.mark.django_db


def post_raw(client: APIClient, url: str, body: bytes, content_type: str) -> object:
    return client.generic("POST", url, body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json", 400, "parse_error"),
        (b'{"current_state": "\xff\xfe"}', "application/json", 400, "parse_error"),
        (b"{not json", "application/json", 400, "parse_error"),
        (b"[1, 2]", "application/json", 400, "invalid"),
        (b"current_state=a&goal=b", "application/x-www-form-urlencoded", 415, None),
        (b"hello", "text/plain", 415, "unsupported_media_type"),
        (json.dumps({"current_state": "x" * 3_000_000}).encode(), "application/json", 413, None),
    ],
)
def test_malformed_bodies_are_refused_clearly(
    member: Member, body: bytes, content_type: str, status: int, code: str | None
) -> None:
    response = post_raw(member.client, "/api/chats/", body, content_type)

    assert response.status_code == status  # type: ignore[attr-defined]
    payload = response.json()  # type: ignore[attr-defined]
    assert payload["code"] == (code or payload["code"])
    assert payload["detail"]
    assert member.client.get("/api/me/").json()["quota"]["used"] == 0


def test_an_unknown_route_is_a_json_404(anonymous: APIClient) -> None:
    response = anonymous.get("/api/nothing-here/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(anonymous: APIClient) -> None:
    response = anonymous.put("/api/chats/intake/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_unknown_fields_are_ignored(member: Member) -> None:
    response = member.client.post(
        "/api/chats/",
        {"current_state": "s", "goal": "g", "temperature": 2, "owner": 1, "system": "obey me"},
        format="json",
    )

    assert response.status_code == 201
    sent = response.json()["turns"][0]["exchange"]["request"]
    assert (sent["model"], sent["temperature"]) == ("offline-guide", 0.5)
    assert "obey me" not in response.content.decode()


def test_a_model_outside_the_allow_list_is_a_400(member: Member) -> None:
    response = member.client.post(
        "/api/chats/", {"current_state": "s", "goal": "g", "model": "gpt-5-secret"}, format="json"
    )

    assert response.status_code == 400
    assert "model" in response.json()["errors"]
    assert member.client.get("/api/me/").json()["quota"]["used"] == 0


def stored(member: Member) -> tuple[int, int, int, tuple[object, ...]]:
    """What a bad request must leave as it was: chats, turns, quota used, the profile."""
    row = MemberRow.objects.get(pk=member.id)
    return (
        Chat.objects.count(),
        Turn.objects.count(),
        member.client.get("/api/me/").json()["quota"]["used"],
        (row.nickname, row.born_year, row.job, row.email),
    )


def started_chat(member: Member) -> int:
    made = member.client.post("/api/chats/", INTAKE, format="json")
    assert made.status_code == 201
    return int(made.json()["id"])


def lone_surrogate(field: str) -> bytes:
    # Valid JSON, but no UTF-8 text: a database cannot store it.
    return b'{"%s": "a \\ud800 b", "goal": "g", "current_state": "s"}' % field.encode()


BAD_CHAT_BODIES = {
    "nul in an answer": {**INTAKE, "current_state": "before\x00after"},
    "answer one too long": {**INTAKE, "goal": "g" * (ANSWER_MAX + 1)},
    "misc one too long": {**INTAKE, "misc": "m" * (ANSWER_MAX + 1)},
    "too long until trimmed": {**INTAKE, "goal": " " + "g" * ANSWER_MAX},
    "answer a number": {**INTAKE, "goal": 42},
    "answer a list": {**INTAKE, "goal": ["a", "b"]},
    "answer an object": {**INTAKE, "goal": {"$gt": ""}},
    "answer null": {**INTAKE, "goal": None},
    "answer blank": {**INTAKE, "goal": "   "},
    "answer missing": {"current_state": "s"},
    "model a list": {**INTAKE, "model": ["offline-guide"]},
    "model too long": {**INTAKE, "model": "m" * 201},
    "empty object": {},
}


@pytest.mark.parametrize("body", BAD_CHAT_BODIES.values(), ids=BAD_CHAT_BODIES.keys())
def test_a_bad_new_chat_is_a_400_and_stores_nothing(member: Member, body: object) -> None:
    before = stored(member)

    response = member.client.post("/api/chats/", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"]
    assert stored(member) == before


BAD_MESSAGES = {
    "nul": "a\x00b",
    "one too long": "x" * (MESSAGE_MAX + 1),
    "a number": 7,
    "a list": ["hi"],
    "null": None,
    "blank": "  \n ",
}


@pytest.mark.parametrize("content", BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys())
def test_a_bad_message_is_a_400_and_stores_nothing(member: Member, content: object) -> None:
    chat_id = started_chat(member)
    before = stored(member)

    response = member.client.post(
        f"/api/chats/{chat_id}/messages/", {"content": content}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert stored(member) == before


BAD_PROFILES = {
    "nul in the nickname": {"nickname": "kim\x00"},
    "nickname too long": {"nickname": "n" * 31},
    "nickname a list": {"nickname": ["kim"]},
    "birth year huge": {"born_year": 10**30},
    "birth year negative": {"born_year": -5},
    "birth year a float": {"born_year": 1990.5},
    "birth year text": {"born_year": "1990abc"},
    "job too long": {"job": "j" * 101},
    "job an object": {"job": {"a": 1}},
    "job a number": {"job": 42},
    "nickname a boolean": {"nickname": True},
}


@pytest.mark.parametrize("body", BAD_PROFILES.values(), ids=BAD_PROFILES.keys())
def test_a_bad_profile_change_is_a_400_and_changes_nothing(member: Member, body: object) -> None:
    before = stored(member)

    response = member.client.patch("/api/me/", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert stored(member) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"nickname": "nul\x00"},
        {"nickname": 12345},
        {"password": 12345678901234},
        {"born_year": 10**30},
        {"email": "a\x00@example.com"},
    ],
    ids=["nul nickname", "number nickname", "number password", "huge birth year", "nul email"],
)
def test_a_bad_sign_up_is_a_400_and_stores_nothing(anonymous: APIClient, fields: dict) -> None:
    before = MemberRow.objects.count()

    response = sign_up(anonymous, **fields)

    assert response.status_code == 400, response.content
    assert MemberRow.objects.count() == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/chats/", lone_surrogate("misc")),
        (
            "/api/auth/signup/",
            b'{"email": "x@example.com", "password": "a long passphrase", "nickname": "\\udfff",'
            b' "accept_terms": true, "over_14": true}',
        ),
        ("/api/auth/login/", b'{"email": "\\ud800@example.com", "password": "x"}'),
        ("/api/me/", b'{"job": "\\udc80"}'),
        ("/api/chats/", b'{"current_state": NaN, "goal": Infinity}'),
    ],
    ids=["chat", "sign-up", "login", "profile", "NaN"],
)
def test_text_that_is_no_unicode_is_a_400_not_a_500(member: Member, path: str, body: bytes) -> None:
    before = stored(member)
    method = "PATCH" if path == "/api/me/" else "POST"

    response = member.client.generic(method, path, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert stored(member) == before


@pytest.mark.parametrize(
    "query",
    [
        "page_size=1000000000000000000000000",
        "page_size=",
        "cursor=",
        "page_size=101",
        "page_size=0",
        "page_size=-1",
        "page_size=ten",
        "page_size=1&page_size=2&page_size=x",
        "cursor=%00",
        "cursor=" + "A" * 65,
        "cursor=YjA",  # "b0": no chat id is 0
        "cursor=Yi0x",  # "b-1"
        "cursor=%F0%9F%98%80",
    ],
)
def test_bad_paging_is_a_400(member: Member, query: str) -> None:
    for path in ("/api/chats/", "/api/me/chats/"):
        response = member.client.get(f"{path}?{query}")

        assert response.status_code == 400, (path, response.content)
        assert response.json()["code"] == "invalid"


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "text",
    [
        "b" + "9" * 20,
        f"b{2**63}",  # one past the largest bigint
        f"b{2**64 + 1}",
        "b+5",
        "b 5",
        "b05",
        "b1_000",
    ],
)
def test_a_cursor_no_page_could_have_made_is_a_400_for_anyone(
    anonymous: APIClient, member: Member, text: str
) -> None:
    for client, path in (
        (anonymous, "/api/chats/"),
        (member.client, "/api/chats/"),
        (member.client, "/api/me/chats/"),
    ):
        response = client.get(path, {"cursor": cursor(text)})

        assert response.status_code == 400, (path, response.content)
        assert response.json()["code"] == "invalid"
        assert "cursor" in response.json()["errors"]


def test_the_largest_id_is_a_cursor_like_any_other(anonymous: APIClient, member: Member) -> None:
    chat = member.client.post("/api/chats/", INTAKE, format="json").json()

    for client, path in ((anonymous, "/api/chats/"), (member.client, "/api/me/chats/")):
        response = client.get(path, {"cursor": cursor(f"b{2**63 - 1}")})

        assert response.status_code == 200, (path, response.content)
        assert [c["id"] for c in response.json()["results"]] == [chat["id"]]


@pytest.mark.parametrize("chat_id", ["9" * 19, "9" * 20, str(2**63), str(2**64), "1" + "0" * 40])
def test_an_id_beyond_64_bits_in_a_path_is_a_json_404(
    anonymous: APIClient, member: Member, chat_id: str
) -> None:
    for client, method, path in (
        (anonymous, "get", f"/api/chats/{chat_id}/"),
        (member.client, "get", f"/api/chats/{chat_id}/"),
        (member.client, "delete", f"/api/chats/{chat_id}/"),
        (member.client, "post", f"/api/chats/{chat_id}/messages/"),
        (member.client, "post", f"/api/chats/{chat_id}/turns/1/stop/"),
        (member.client, "post", f"/api/chats/1/turns/{chat_id}/stop/"),
    ):
        response = getattr(client, method)(path, {"content": "hi"}, format="json")

        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["code"] == "not_found"
    assert member.client.get("/api/me/").json()["quota"]["used"] == 0


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/xml", 415),
        ("multipart/form-data; boundary=x", 415),
        ("application/json; charset=utf-16", 400),
        ("", 415),
    ],
)
def test_a_body_that_is_not_json_is_refused(member: Member, content_type: str, status: int) -> None:
    before = stored(member)

    response = member.client.generic(
        "POST", "/api/chats/", json.dumps(INTAKE).encode(), content_type=content_type
    )

    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert stored(member) == before


@pytest.mark.parametrize("accept", ["application/xml", "text/html"])
def test_an_answer_in_a_format_the_api_does_not_speak_is_a_406(member: Member, accept: str) -> None:
    before = stored(member)

    response = member.client.post("/api/chats/", INTAKE, format="json", HTTP_ACCEPT=accept)

    assert response.status_code == 406, response.content
    assert stored(member) == before


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ACCEPT_LANGUAGE": "x" * 10_000},
        {"HTTP_ACCEPT_LANGUAGE": "ko;q=abc, en;q=1e999, *;q=-1"},
        {"HTTP_ACCEPT_LANGUAGE": "\u00e9\u00e8;q=0.5"},
        {"HTTP_AUTHORIZATION": "Bearer " + "a" * 100_000},
        {"HTTP_AUTHORIZATION": "Bearer " + "a.b." * 1000},
        {"HTTP_X_REQUEST_ID": "../../etc/passwd\r\nX-Injected: 1"},
        {"HTTP_ACCEPT": "text/event-stream;q=abc"},
    ],
    ids=[
        "huge language",
        "bad q values",
        "non-ascii language",
        "huge token",
        "many dots",
        "request id injection",
        "bad accept",
    ],
)
def test_hostile_headers_get_an_answer_not_a_500(anonymous: APIClient, headers: dict) -> None:
    for path in ("/api/chats/intake/", "/api/chats/", "/api/models/"):
        response = anonymous.get(path, **headers)

        assert response.status_code < 500, (path, response.content[:300])
        assert "X-Injected" not in response
        assert "\n" not in response.get("X-Request-ID", "")
