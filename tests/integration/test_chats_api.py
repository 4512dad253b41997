from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tests.integration.conftest import Member, start_chat

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_member_starts_a_chat_and_gets_the_first_reply(member: Member) -> None:
    response = start_chat(member, misc="Evenings only.")

    assert response.status_code == 201
    chat = response.json()
    assert response["Location"] == f"/api/chats/{chat['id']}/"
    assert chat["author"] == {"nickname": member.nickname}
    assert [p["kind"] for p in chat["intake"]] == ["current_state", "goal", "misc"]
    assert chat["intake"][2]["answer"] == "Evenings only."
    (turn,) = chat["turns"]
    assert turn["status"] == "completed"
    assert turn["answer"]
    assert turn["exchange"]["response"]["choices"][0]["message"]["content"] == turn["answer"]


def test_the_intake_questions_follow_accept_language(anonymous: APIClient) -> None:
    korean = anonymous.get("/api/chats/intake/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    english = anonymous.get("/api/chats/intake/", HTTP_ACCEPT_LANGUAGE="en-US")

    assert korean.json()["language"] == "ko"
    assert korean.json()["questions"][0]["text"] == "지금 어떤 상태인지 알려주세요."
    assert english.json()["language"] == "en"
    assert [q["kind"] for q in english.json()["questions"]] == ["current_state", "goal", "misc"]
    assert [q["required"] for q in english.json()["questions"]] == [True, True, False]


def test_anyone_reads_a_chat_without_private_profile_data(
    make_member: Callable[..., Member], anonymous: APIClient
) -> None:
    owner = make_member(born_year=1991, job="Backend developer")
    chat_id = start_chat(owner).json()["id"]

    public = anonymous.get(f"/api/chats/{chat_id}/")
    mine = owner.client.get(f"/api/chats/{chat_id}/")

    assert public.status_code == 200
    body = public.content.decode()
    assert "1991" not in body
    assert "Backend developer" not in body
    assert owner.email not in body
    assert "Backend developer" in mine.content.decode()
