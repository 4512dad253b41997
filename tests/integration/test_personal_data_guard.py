"""Public text holding a resident registration or payment card number is refused at the HTTP
level before anything is stored or reserved, and the answer never repeats the number."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.integration.conftest import INTAKE, Member, sign_up, start_chat

RRN = "900101-1234567"
CARD = "4111 1111 1111 1111"


def assert_refused(response: Any, field: str, kind: str, number: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["code"], body["field"], body["kind"]) == ("personal_data", field, kind)
    assert list(body["errors"]) == [field]
    for digits in (number, number.replace(" ", "").replace("-", ""), number[:6]):
        assert digits not in response.content.decode()


def nothing_used(member: Member) -> None:
    assert member.client.get("/api/me/").json()["quota"]["used"] == 0


@pytest.mark.parametrize(
    ("field", "number", "kind"),
    [
        ("current_state", RRN, "rrn"),
        ("goal", CARD, "card"),
        ("misc", "９００１０１－１２３４５６７", "rrn"),
    ],
)
@pytest.mark.parametrize("accept", ["application/json", "text/event-stream"])
def test_an_intake_holding_a_number_is_refused_and_nothing_is_reserved(
    member: Member, field: str, number: str, kind: str, accept: str
) -> None:
    body = {**INTAKE, field: f"My number is {number}, please help."}

    response = member.client.post("/api/chats/", body, format="json", HTTP_ACCEPT=accept)

    assert_refused(response, field, kind, number)
    nothing_used(member)
    assert member.client.get("/api/me/chats/").json()["results"] == []
    assert APIClient().get("/api/chats/").json()["results"] == []


@pytest.mark.parametrize("accept", ["application/json", "text/event-stream"])
def test_a_message_holding_a_card_number_is_refused_and_the_chat_keeps_its_turns(
    member: Member, accept: str
) -> None:
    chat_id = start_chat(member).json()["id"]

    response = member.client.post(
        f"/api/chats/{chat_id}/messages/",
        {"content": f"charge {CARD} please"},
        format="json",
        HTTP_ACCEPT=accept,
    )

    assert_refused(response, "content", "card", CARD)
    assert member.client.get("/api/me/").json()["quota"]["used"] == 1
    assert len(APIClient().get(f"/api/chats/{chat_id}/").json()["turns"]) == 1


def test_a_nickname_holding_a_number_is_refused_at_sign_up_and_no_member_is_made(
    db: None, anonymous: APIClient
) -> None:
    response = sign_up(anonymous, nickname=f"x{RRN}", email="numbers@example.com")

    assert_refused(response, "nickname", "rrn", RRN)
    login = anonymous.post(
        "/api/auth/login/", {"email": "numbers@example.com", "password": "x"}, format="json"
    )
    assert login.status_code == 401


def test_a_nickname_holding_a_number_is_refused_on_the_profile(member: Member) -> None:
    response = member.client.patch("/api/me/", {"nickname": "card4111111111111111"}, format="json")

    assert_refused(response, "nickname", "card", "4111111111111111")
    assert member.client.get("/api/me/").json()["nickname"] == member.nickname


def test_the_job_is_private_and_may_hold_any_digits(member: Member) -> None:
    # The job is never shown publicly (it only goes to the model, privately), so it is exempt.
    response = member.client.patch("/api/me/", {"job": f"clerk {RRN}"}, format="json")

    assert response.status_code == 200


def test_ordinary_numbers_are_welcome(member: Member) -> None:
    body = {**INTAKE, "goal": "Earn 50,000,000 won by 2027-12-31; call me at 010-1234-5678."}

    assert member.client.post("/api/chats/", body, format="json").status_code == 201
