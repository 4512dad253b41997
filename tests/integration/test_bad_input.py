"""Whatever a client sends gets a clear 4xx JSON answer, never a 500, and costs no quota."""

import json

import pytest
from rest_framework.test import APIClient

from tests.integration.conftest import Member

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
