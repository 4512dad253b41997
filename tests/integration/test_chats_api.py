import re
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
    assert "1991" not in without_timestamps(body)
    assert "Backend developer" not in body
    assert owner.email not in body
    assert "Backend developer" in mine.content.decode()


def test_a_member_keeps_talking_with_the_conversation_as_context(member: Member) -> None:
    chat = start_chat(member).json()

    response = member.client.post(
        f"/api/chats/{chat['id']}/messages/", {"content": "Where do I start?"}, format="json"
    )

    assert response.status_code == 201
    turn = response.json()
    assert (turn["index"], turn["question"], turn["status"]) == (
        1,
        "Where do I start?",
        "completed",
    )
    sent = turn["exchange"]["request"]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[1]["content"] == chat["turns"][0]["question"]
    assert sent[2]["content"] == chat["turns"][0]["answer"]
    assert sent[3] == {"role": "user", "content": "Where do I start?"}
    detail = member.client.get(f"/api/chats/{chat['id']}/").json()
    assert detail["turn_count"] == 2
    assert [t["index"] for t in detail["turns"]] == [0, 1]


def test_a_long_chat_sends_a_bounded_context(member: Member, configure) -> None:  # type: ignore[no-untyped-def]
    configure(limit=20, history_budget=1500)
    chat_id = start_chat(member).json()["id"]
    for n in range(8):
        member.client.post(
            f"/api/chats/{chat_id}/messages/", {"content": f"question {n} " * 20}, format="json"
        )

    last = member.client.post(
        f"/api/chats/{chat_id}/messages/", {"content": "last"}, format="json"
    ).json()

    history = last["exchange"]["request"]["messages"][1:-1]
    assert sum(len(m["content"]) for m in history) <= 1500
    assert history[0]["content"].startswith("Tell me about where you are now")
    assert "question 7" in history[-2]["content"]
    assert "question 0" not in " ".join(m["content"] for m in history)


@pytest.mark.parametrize(
    "body",
    [
        {"goal": "g"},
        {"current_state": "s"},
        {"current_state": "  ", "goal": "g"},
        {"current_state": "s" * 2001, "goal": "g"},
        {"current_state": 12, "goal": ["g"]},
        {"current_state": "s\x00", "goal": "g"},
    ],
)
def test_a_bad_intake_is_refused_before_any_quota_is_taken(member: Member, body: dict) -> None:  # type: ignore[type-arg]
    response = member.client.post("/api/chats/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"]
    assert member.client.get("/api/me/").json()["quota"]["used"] == 0
    assert member.client.get("/api/me/chats/").json()["results"] == []


@pytest.mark.parametrize("content", ["", "   ", "x" * 4001, None])
def test_a_bad_message_is_refused_before_any_quota_is_taken(
    member: Member, content: object
) -> None:
    chat_id = start_chat(member).json()["id"]

    response = member.client.post(
        f"/api/chats/{chat_id}/messages/", {"content": content}, format="json"
    )

    assert response.status_code == 400
    assert "content" in response.json()["errors"]
    assert member.client.get("/api/me/").json()["quota"]["used"] == 1


def test_only_members_can_start_a_chat(anonymous: APIClient) -> None:
    response = anonymous.post("/api/chats/", {"current_state": "s", "goal": "g"}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_only_the_owner_writes_to_or_deletes_a_chat(
    make_member: Callable[..., Member], anonymous: APIClient
) -> None:
    owner, other = make_member(), make_member()
    chat_id = start_chat(owner).json()["id"]
    url = f"/api/chats/{chat_id}/"

    assert other.client.post(url + "messages/", {"content": "hi"}, format="json").status_code == 403
    assert other.client.delete(url).status_code == 403
    assert other.client.delete(url).json()["code"] == "not_chat_owner"
    assert anonymous.post(url + "messages/", {"content": "hi"}, format="json").status_code == 401
    assert anonymous.delete(url).status_code == 401
    assert other.client.get("/api/me/").json()["quota"]["used"] == 0
    assert anonymous.get(url).json()["turn_count"] == 1


def test_the_owner_deletes_a_chat_and_keeps_the_quota_used(member: Member) -> None:
    chat_id = start_chat(member).json()["id"]

    deleted = member.client.delete(f"/api/chats/{chat_id}/")

    assert deleted.status_code == 204
    assert member.client.get(f"/api/chats/{chat_id}/").status_code == 404
    assert member.client.get("/api/me/").json()["quota"]["used"] == 1


def test_an_unknown_chat_is_a_404(member: Member, anonymous: APIClient) -> None:
    assert anonymous.get("/api/chats/424242/").json()["code"] == "chat_not_found"
    assert anonymous.get("/api/chats/424242/").status_code == 404
    assert anonymous.get("/api/chats/99999999999999999999999/").status_code == 404
    assert member.client.delete("/api/chats/424242/").status_code == 404
    posted = member.client.post("/api/chats/424242/messages/", {"content": "x"}, format="json")
    assert posted.status_code == 404
    assert member.client.get("/api/me/").json()["quota"]["used"] == 0


def test_the_daily_limit_answers_429_with_when_it_resets(member: Member, configure) -> None:  # type: ignore[no-untyped-def]
    configure(limit=2)
    chat_id = start_chat(member).json()["id"]
    member.client.post(f"/api/chats/{chat_id}/messages/", {"content": "one"}, format="json")

    refused = member.client.post(
        f"/api/chats/{chat_id}/messages/", {"content": "two"}, format="json"
    )
    refused_start = start_chat(member)

    assert refused.status_code == refused_start.status_code == 429
    body = refused.json()
    assert (body["code"], body["limit"]) == ("daily_quota_exceeded", 2)
    assert body["resets_at"].endswith("+09:00")
    assert 0 < int(refused["Retry-After"]) <= 86400
    detail = member.client.get(f"/api/chats/{chat_id}/").json()
    assert detail["turn_count"] == 2
    assert member.client.get("/api/me/").json()["quota"]["remaining"] == 0


def test_reading_never_costs_quota(member: Member, anonymous: APIClient) -> None:
    chat_id = start_chat(member).json()["id"]

    for _ in range(10):
        member.client.get(f"/api/chats/{chat_id}/")
        member.client.get("/api/me/chats/")
        anonymous.get("/api/chats/")

    assert member.client.get("/api/me/").json()["quota"]["used"] == 1


def test_the_feed_lists_everyones_chats_newest_first_a_page_at_a_time(
    make_member: Callable[..., Member], anonymous: APIClient, configure
) -> None:  # type: ignore[no-untyped-def]
    configure(limit=10)
    alice, bob = make_member(), make_member()
    ids = [start_chat(m, goal=f"goal {n}").json()["id"] for n, m in enumerate([alice, bob] * 3)]

    first = anonymous.get("/api/chats/", {"page_size": 4}).json()
    second = anonymous.get(first["next"]).json()

    assert [c["id"] for c in first["results"]] == ids[::-1][:4]
    assert [c["id"] for c in second["results"]] == ids[::-1][4:]
    assert second["next"] is None
    assert first["results"][0]["author"] == {"nickname": bob.nickname}
    assert set(first["results"][0]) == {
        "id", "title", "author", "anonymous", "created_at", "updated_at", "turn_count", "hidden",
        "hidden_reason", "journey",
    }  # fmt: skip


def test_my_chats_lists_only_mine(make_member: Callable[..., Member]) -> None:
    alice, bob = make_member(), make_member()
    mine = start_chat(alice).json()["id"]
    start_chat(bob)

    response = alice.client.get("/api/me/chats/")

    assert [c["id"] for c in response.json()["results"]] == [mine]
    assert alice.client.get("/api/me/chats/").status_code == 200
    assert APIClient().get("/api/me/chats/").status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        {"page_size": 101},
        {"page_size": 0},
        {"page_size": "many"},
        {"cursor": "!!!"},
        {"cursor": "YQ"},
    ],
)
def test_bad_page_parameters_are_a_400(anonymous: APIClient, query: dict) -> None:  # type: ignore[type-arg]
    response = anonymous.get("/api/chats/", query)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_public_views_never_show_private_fields(
    make_member: Callable[..., Member], anonymous: APIClient
) -> None:
    owner = make_member(born_year=1979, job="Astronaut")
    chat_id = start_chat(owner).json()["id"]

    feed = anonymous.get("/api/chats/")
    detail = anonymous.get(f"/api/chats/{chat_id}/")

    for response in (feed, detail):
        text = response.content.decode()
        assert owner.email not in text
        assert "1979" not in without_timestamps(text)
        assert "Astronaut" not in text
        assert not keys_in(response.json()) & {
            "email", "born_year", "job", "member", "member_id", "owner", "owner_id", "password",
        }  # fmt: skip
    assert detail.json()["author"] == {"nickname": owner.nickname}


def keys_in(data: object) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in keys_in(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys_in(v)}
    return set()


def without_timestamps(text: str) -> str:
    """`text` with its ISO 8601 timestamps taken out: their microseconds may spell a year."""
    return re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?", "", text)


def test_the_api_schema_and_docs_are_served(anonymous: APIClient) -> None:
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = anonymous.get("/api/docs/")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/chats/", "/api/chats/{chat_id}/messages/", "/api/me/", "/api/auth/login/"} <= set(
        paths
    )
    assert docs.status_code == 200
