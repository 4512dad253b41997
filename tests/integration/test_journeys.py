"""List items carry the chat's journey: where its member started and the goal they set, from
the intake's answers, as public as the chat itself."""

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tests.integration.conftest import Member, start_chat

pytestmark = pytest.mark.django_db(transaction=True)

FROM = "주니어 개발자예요, 3년 차."
TO = "Lead a team of five within two years."


def test_the_feed_and_my_chats_carry_each_chats_journey(
    make_member: Callable[..., Member], anonymous: APIClient
) -> None:
    owner = make_member(born_year=1991, job="Backend developer")
    chat_id = start_chat(owner, current_state=FROM, goal=TO, misc="Evenings only.").json()["id"]
    start_chat(owner, anonymous=True)  # type: ignore[arg-type]

    feed = anonymous.get("/api/chats/").json()["results"]
    mine = owner.client.get("/api/me/chats/").json()["results"]
    detail = anonymous.get(f"/api/chats/{chat_id}/").json()

    (item,) = [i for i in feed if i["id"] == chat_id]
    assert item["journey"] == {"from": FROM, "to": TO}
    assert [i["journey"] for i in mine if i["id"] == chat_id] == [{"from": FROM, "to": TO}]
    assert detail["journey"] == {"from": FROM, "to": TO}
    # The anonymous chat keeps its journey and loses its author, as before.
    anonymous_item = feed[0]
    assert anonymous_item["author"] is None
    assert anonymous_item["journey"]["from"] == "I write Python at a small startup."
    assert "Evenings only." not in str(feed)
