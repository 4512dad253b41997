"""Providers are chosen by configuration; a chat picks one model from a server-side allow-list,
and each request goes to the provider that serves that model."""

from collections.abc import Callable

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from adapters.llm.anthropic_messages import AnthropicChatModel
from adapters.llm.metered import MeteredChatModel
from adapters.llm.offline import OfflineChatModel
from adapters.llm.routing import RoutedChatModel
from django_project.config import from_environment
from django_project.container import routed_chat_model
from tests.integration.conftest import Configure, Member, start_chat
from tests.support.fake_anthropic import (
    FakeAnthropic,
    Reply,
    fake_anthropic_fixture,  # noqa: F401
)


def test_the_provider_defaults_to_whichever_key_is_set() -> None:
    assert from_environment({}).llm_provider == "offline"
    assert from_environment({"OPENAI_API_KEY": "sk-x"}).llm_provider == "openai"
    assert from_environment({"ANTHROPIC_API_KEY": "k"}).llm_provider == "anthropic"
    assert from_environment({"ANTHROPIC_API_KEY": "k"}).llm_model == "claude-sonnet-4-5"
    chosen = from_environment({"OPENAI_API_KEY": "sk-x", "CHATBOT_LLM_PROVIDER": "offline"})
    assert chosen.llm_provider == "offline"


def test_the_allow_list_may_mix_providers() -> None:
    settings = from_environment(
        {
            "OPENAI_API_KEY": "sk-x",
            "ANTHROPIC_API_KEY": "k",
            "CHATBOT_LLM_MODEL": "gpt-4o-mini",
            "CHATBOT_LLM_MODELS": "gpt-4.1, anthropic:claude-haiku-4-5, llama3.2:3b, gpt-4o-mini",
        }
    )

    assert settings.routes() == [
        ("openai", "gpt-4o-mini"),
        ("openai", "gpt-4.1"),
        ("anthropic", "claude-haiku-4-5"),
        ("openai", "llama3.2:3b"),
    ]


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"CHATBOT_LLM_PROVIDER": "openai"}, "OPENAI_API_KEY"),
        ({"CHATBOT_LLM_MODELS": "anthropic:claude-x"}, "ANTHROPIC_API_KEY"),
        ({"CHATBOT_LLM_PROVIDER": "gemini"}, "llm_provider"),
        ({"CHATBOT_TIME_ZONE": "Mars/Olympus"}, "time zone"),
        ({"CHATBOT_DAILY_LIMIT": "-1"}, "daily_limit"),
        ({"CHATBOT_DAILY_LIMIT": "five"}, "daily_limit"),
        ({"CHATBOT_LLM_TIMEOUT_S": "0"}, "llm_timeout_s"),
        # Leases no renewal keeps alive: a live answer would be swept and given back.
        ({"CHATBOT_TURN_LEASE_S": "0.3"}, "CHATBOT_TURN_LEASE_S"),
        ({"CHATBOT_TURN_LEASE_S": "9"}, "CHATBOT_TURN_LEASE_S"),
        # Shorter than a plain request may wait for its model, renewing nothing.
        ({"CHATBOT_TURN_LEASE_S": "35", "CHATBOT_LLM_TIMEOUT_S": "30"}, "CHATBOT_TURN_LEASE_S"),
    ],
)
def test_a_bad_configuration_stops_the_start_with_a_clear_message(
    env: dict[str, str], problem: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=problem):
        from_environment(env)


def test_a_lease_that_renewals_and_the_timeout_leave_room_for_is_taken() -> None:
    assert from_environment({"CHATBOT_TURN_LEASE_S": "10.5", "CHATBOT_LLM_TIMEOUT_S": "0.5"})
    assert from_environment({"CHATBOT_TURN_LEASE_S": "40", "CHATBOT_LLM_TIMEOUT_S": "30"})


def test_each_model_is_served_by_its_own_provider() -> None:
    model = routed_chat_model(
        from_environment(
            {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "CHATBOT_LLM_MODELS": "anthropic:claude-x"}
        )
    )

    assert isinstance(model, RoutedChatModel)
    offline, claude = model.for_model("offline-guide"), model.for_model("claude-x")
    # Each provider's adapter measured at /metrics under the provider's name.
    assert isinstance(offline, MeteredChatModel)
    assert isinstance(claude, MeteredChatModel)
    assert (offline.provider, claude.provider) == ("offline", "anthropic")
    assert isinstance(offline.inner, OfflineChatModel)
    assert isinstance(claude.inner, AnthropicChatModel)


@pytest.mark.django_db(transaction=True)
def test_a_member_picks_an_allowed_model_and_the_providers_own_exchange_is_kept(
    make_member: Callable[..., Member],
    configure: Configure,
    fake_anthropic: FakeAnthropic,
    anonymous: APIClient,
) -> None:
    claude = AnthropicChatModel(api_key="test-key", base_url=fake_anthropic.base_url, max_retries=0)
    configure(
        model=RoutedChatModel({"claude-test": claude}, default=OfflineChatModel()),
        models=["claude-test"],
    )
    fake_anthropic.script(Reply("Plan your week.", id="msg_01"), Reply("Then rest."))
    member = make_member(job="Night-shift nurse")

    listed = anonymous.get("/api/models/").json()
    started = start_chat(member, model="claude-test")
    chat_id = started.json()["id"]
    followed = member.client.post(
        f"/api/chats/{chat_id}/messages/", {"content": "And after?"}, format="json"
    )

    assert listed == {
        "default": "offline-guide",
        "models": [{"id": "offline-guide"}, {"id": "claude-test"}],
    }
    assert started.status_code == 201
    assert followed.status_code == 201
    mine = member.client.get(f"/api/chats/{chat_id}/").json()
    first, second = mine["turns"]
    assert first["answer"] == "Plan your week."
    assert first["exchange"]["request"]["model"] == "claude-test"
    native = first["exchange"]["native"]
    assert native["request"] == fake_anthropic.requests[0].body
    assert native["response"] == fake_anthropic.exchanges[0].body
    assert native["response"]["id"] == "msg_01"
    assert first["exchange"]["response"]["id"] == "msg_01"
    assert "Night-shift nurse" in native["request"]["system"]
    assert second["exchange"]["request"]["model"] == "claude-test"
    assert fake_anthropic.requests[1].body["messages"][-1]["content"] in (
        "And after?",
        [{"type": "text", "text": "And after?"}],
    )
    public = anonymous.get(f"/api/chats/{chat_id}/")
    assert "Night-shift nurse" not in public.content.decode()
    assert public.json()["turns"][0]["exchange"]["native"]["response"]["id"] == "msg_01"
