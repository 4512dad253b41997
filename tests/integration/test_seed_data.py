"""The data generator behind the read benchmarks (bench/read_bench.py), at a tiny size."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from adapters.orm.management.commands.seed_data import Plan, Rows
from adapters.orm.models import Chat, Choice, Member, Prompt, Turn


def test_it_fills_every_table_with_chats_the_api_can_show(db: None) -> None:
    call_command("seed_data", chats=7, turns_per_chat=3, members=4, chunk=3)

    assert (Member.objects.count(), Chat.objects.count()) == (4, 7)
    assert Turn.objects.count() == Choice.objects.count() == 21
    assert Prompt.objects.count() >= 14
    feed = APIClient().get("/api/chats/", {"page_size": 5}).json()
    assert len(feed["results"]) == 5
    assert feed["results"][0]["turn_count"] == 3
    chat = APIClient().get(f"/api/chats/{feed['results'][0]['id']}/").json()
    assert [t["status"] for t in chat["turns"]] == ["completed"] * 3
    assert chat["turns"][2]["answer"]
    assert chat["turns"][0]["exchange"]["request"]["messages"][1]["content"].startswith("[private")


def test_it_refuses_a_database_with_chats_unless_told_to_append(db: None) -> None:
    call_command("seed_data", chats=2, turns_per_chat=1, members=1)
    with pytest.raises(CommandError):
        call_command("seed_data", chats=2, turns_per_chat=1, members=1)

    call_command("seed_data", chats=2, turns_per_chat=1, members=1, append=True)

    assert Chat.objects.count() == 4
    assert Member.objects.count() == 2
    # The sequences follow: the app's own inserts do not collide with generated ids.
    assert Member.objects.create(email="after@example.com", nickname="after").pk == 3


def test_the_same_seed_gives_the_same_rows() -> None:
    plan = Plan(members=3, chats=5, turns_per_chat=2, seed=11, chunk=2)
    assert list(Rows(plan, 1, 1, 1).chunks()) == list(Rows(plan, 1, 1, 1).chunks())
    other = Plan(members=3, chats=5, turns_per_chat=2, seed=12, chunk=2)
    assert list(Rows(plan, 1, 1, 1).chunks()) != list(Rows(other, 1, 1, 1).chunks())
