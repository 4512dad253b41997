"""The HTTP API with the openai provider: the real adapter and SDK, a fake OpenAI on loopback.

What the fake server received and sent is the reference: the chat's stored exchanges must be
those bodies, field for field, whatever the database.
"""

import json
from collections.abc import Callable
from typing import Any

import pytest

from adapters.llm.openai_compatible import OpenAIChatModel
from tests.integration.conftest import Configure, Member, start_chat
from tests.support.fake_openai import (
    Behaviour,
    Delay,
    Fail,
    FakeOpenAI,
    Reply,
    fake_openai_fixture,  # noqa: F401
)

pytestmark = pytest.mark.django_db(transaction=True)

API_KEY = "sk-test-5c8e0a1f93d2-never-shown"
SYSTEM_PROMPT = "You are a test coach."

FAILURES = [
    pytest.param(Fail(500), 502, "upstream_error", id="500"),
    pytest.param(Fail(429), 503, "upstream_busy", id="429"),
    pytest.param(Delay(10), 504, "upstream_timeout", id="timeout"),
]


@pytest.fixture
def openai_provider(configure: Configure, fake_openai: FakeOpenAI) -> FakeOpenAI:
    """The app's chat model is the OpenAI adapter pointed at the fake; returns the fake."""
    configure(
        model=OpenAIChatModel(
            api_key=API_KEY, base_url=fake_openai.base_url, timeout_s=0.5, max_retries=0
        ),
        model_name="gpt-test",
        system_prompt=SYSTEM_PROMPT,
    )
    return fake_openai


def quota_used(member: Member) -> int:
    used: int = member.client.get("/api/me/").json()["quota"]["used"]
    return used


def chat_of(member: Member, chat_id: int) -> Any:
    response = member.client.get(f"/api/chats/{chat_id}/")
    assert response.status_code == 200
    return response.json()


def assert_no_api_key(*responses: Any) -> None:
    for response in responses:
        assert API_KEY not in response.content.decode()


def test_the_owner_sees_the_exchange_exactly_as_it_went_over_the_wire(
    openai_provider: FakeOpenAI,
    make_member: Callable[..., Member],
    anonymous: Any,
) -> None:
    owner = make_member(born_year=1990, job="Backend developer")
    openai_provider.script(
        Reply(
            "Pick one skill and practise it daily.",
            id="chatcmpl-E2E1",
            created=1_735_689_600,
            model="gpt-test-2024-08-06",
            usage=(120, 8),
        )
    )

    started = start_chat(owner)

    assert started.status_code == 201
    (received,) = openai_provider.requests
    sent = openai_provider.exchanges[0].body
    (turn,) = chat_of(owner, started.json()["id"])["turns"]
    assert turn["exchange"] == {"request": received.body, "response": sent, "native": None}
    assert started.json()["turns"][0]["exchange"] == turn["exchange"]
    assert turn["status"] == "completed"
    assert turn["answer"] == "Pick one skill and practise it daily."
    assert turn["usage"] == {"prompt_tokens": 120, "completion_tokens": 8, "total_tokens": 128}
    assert received.body["model"] == "gpt-test"
    assert received.body["temperature"] == 0.5
    assert received.body["max_tokens"] == 256
    assert received.body["stream"] is False
    system, profile, question = received.body["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert profile["role"] == "system"
    assert "Backend developer" in profile["content"]
    assert question == {"role": "user", "content": turn["question"]}
    assert "I write Python at a small startup." in question["content"]
    # Anyone else reads the same chat with the member's profile taken out.
    public = anonymous.get(f"/api/chats/{started.json()['id']}/").json()
    assert "Backend developer" not in str(public["turns"][0]["exchange"]["request"])
    assert_no_api_key(started)


def test_a_follow_up_sends_the_conversation_so_far(
    openai_provider: FakeOpenAI, member: Member
) -> None:
    openai_provider.script(Reply("Start with code reviews."), Reply("Review one PR a day."))
    chat_id = start_chat(member).json()["id"]

    sent = member.client.post(
        f"/api/chats/{chat_id}/messages/", {"content": "How often?"}, format="json"
    )

    assert sent.status_code == 201
    first, second = openai_provider.requests
    assert second.body["messages"] == [
        *first.body["messages"],
        {"role": "assistant", "content": "Start with code reviews."},
        {"role": "user", "content": "How often?"},
    ]
    assert [m["role"] for m in second.body["messages"]] == [
        "system",
        "user",
        "assistant",
        "user",
    ]
    turns = chat_of(member, chat_id)["turns"]
    assert [t["exchange"]["request"] for t in turns] == [first.body, second.body]
    assert [t["exchange"]["response"] for t in turns] == [e.body for e in openai_provider.exchanges]
    assert sent.json()["exchange"] == turns[1]["exchange"]
    assert turns[1]["answer"] == "Review one PR a day."
    assert_no_api_key(sent)


@pytest.mark.parametrize(("behaviour", "status", "code"), FAILURES)
def test_a_failed_first_answer_keeps_the_question_and_gives_the_request_back(
    openai_provider: FakeOpenAI, member: Member, behaviour: Behaviour, status: int, code: str
) -> None:
    openai_provider.script(behaviour)

    started = start_chat(member)

    assert started.status_code == status
    body = started.json()
    assert body["code"] == code
    assert quota_used(member) == 0
    chat = chat_of(member, body["chat_id"])
    (turn,) = chat["turns"]
    assert turn["id"] == body["turn_id"]
    assert (turn["status"], turn["error_code"]) == ("failed", code)
    assert turn["answer"] is None
    assert turn["exchange"] == {
        "request": openai_provider.requests[0].body,
        "response": None,
        "native": None,
    }
    assert turn["question"] == openai_provider.requests[0].body["messages"][-1]["content"]
    assert_no_api_key(started, member.client.get(f"/api/chats/{body['chat_id']}/"))


@pytest.mark.parametrize(("behaviour", "status", "code"), FAILURES)
def test_a_failed_follow_up_keeps_the_question_and_gives_the_request_back(
    openai_provider: FakeOpenAI, member: Member, behaviour: Behaviour, status: int, code: str
) -> None:
    openai_provider.script(Reply("First answer."), behaviour)
    chat_id = start_chat(member).json()["id"]
    used_before = quota_used(member)

    sent = member.client.post(
        f"/api/chats/{chat_id}/messages/", {"content": "And then?"}, format="json"
    )

    assert sent.status_code == status
    assert sent.json()["code"] == code
    assert sent.json()["chat_id"] == chat_id
    assert quota_used(member) == used_before == 1
    first, failed = chat_of(member, chat_id)["turns"]
    assert first["status"] == "completed"
    assert (failed["status"], failed["error_code"], failed["question"]) == (
        "failed",
        code,
        "And then?",
    )
    assert failed["id"] == sent.json()["turn_id"]
    assert failed["exchange"] == {
        "request": openai_provider.requests[1].body,
        "response": None,
        "native": None,
    }
    assert_no_api_key(sent)


def test_a_provider_error_quoting_the_key_never_shows_it(
    openai_provider: FakeOpenAI, member: Member, anonymous: Any
) -> None:
    # OpenAI's 401 quotes the key it was given; nothing of it may reach a client.
    openai_provider.script(
        Fail(401, message=f"Incorrect API key provided: {API_KEY}."),
        Fail(400, message=f"Request with Authorization: Bearer {API_KEY} was rejected."),
    )
    started = start_chat(member)
    chat_id = started.json()["chat_id"]

    sent = member.client.post(
        f"/api/chats/{chat_id}/messages/", {"content": "Hello?"}, format="json"
    )

    assert (started.status_code, sent.status_code) == (502, 502)
    assert started.json()["code"] == sent.json()["code"] == "upstream_error"
    assert openai_provider.requests[0].headers["authorization"] == f"Bearer {API_KEY}"
    assert all(API_KEY in json.dumps(e.body) for e in openai_provider.exchanges)
    assert_no_api_key(
        started,
        sent,
        member.client.get(f"/api/chats/{chat_id}/"),
        anonymous.get(f"/api/chats/{chat_id}/"),
        member.client.get("/api/me/chats/"),
        member.client.get("/api/me/"),
    )
