"""Usage receipts of streamed answers the member stopped, through the real server (uvicorn) and
a fake OpenAI that streams slowly: stopping needs a live stream."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import INTAKE

# The streaming tests' server (uvicorn, the openai provider pointed at a slow fake) and members.
from tests.integration.test_streaming_api import (  # noqa: F401 - fixtures
    Event,
    Remote,
    app_server_options,
    fake,
    member,
    upstream,
)
from tests.support.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]


def stream_and_stop(remote: Remote, *, after: str) -> dict[str, Any]:
    """Start a chat and stop its answer at the first event named `after`; the chat's ids."""
    ids: dict[str, Any] = {}

    def on_event(event: Event) -> None:
        if event.name == "chat":
            ids.update(event.data)
        if event.name == after and "stopped" not in ids:
            ids["stopped"] = True
            with remote.client() as client:
                client.post(f"/api/chats/{ids['chat_id']}/turns/{ids['turn_id']}/stop/")

    streamed = remote.stream("/api/chats/", INTAKE, on_event=on_event)
    assert streamed.last.data["status"] == "stopped"
    return ids


def test_a_stopped_answer_is_a_stopped_receipt_and_one_stopped_before_any_text_is_given_back(
    member: Remote,  # noqa: F811
    fake: FakeOpenAI,  # noqa: F811
) -> None:
    fake.script(
        Reply(" ".join(f"word{n}" for n in range(60)), token_delay_s=0.05),
        Reply("too late", first_token_delay_s=4.0),
    )
    with_text = stream_and_stop(member, after="delta")
    before_text = stream_and_stop(member, after="chat")

    with member.client() as client:
        seen = client.get("/api/me/usage/").json()
        quota = client.get("/api/me/").json()["quota"]

    (today,) = seen["days"]
    assert [(r["outcome"], r["chat"]["id"]) for r in today["receipts"]] == [
        ("refunded", before_text["chat_id"]),
        ("stopped", with_text["chat_id"]),
    ]
    assert (today["used"], today["refunded"]) == (1, 1)
    assert seen["today"] == quota
