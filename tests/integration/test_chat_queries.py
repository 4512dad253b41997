"""The SQL a chat request costs, counted: the same few statements however much is stored.

On PostgreSQL every write is one statement (data-modifying CTEs) and the access token is checked
without a query; SQLite runs the same steps as several ORM statements in a transaction (with no
round trips to pay for there)."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.integration.conftest import INTAKE, Configure, Member, start_chat

pytestmark = pytest.mark.django_db

# member read; quota (with its reservation), chat, prompts, turn and search row; the answer
# (added to the search row too: on PostgreSQL within the same statements)
START_STATEMENTS = {"postgresql": 3, "sqlite": 10}
# + the chat, its prompts and its turns with their answers, to build the request
FOLLOW_UP_STATEMENTS = {"postgresql": 7, "sqlite": 13}


def counted(call: Any) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    # Savepoints mark the transactions (BEGIN and COMMIT outside a test): not statements.
    return response, [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


@pytest.mark.parametrize("earlier_chats", [0, 12])
def test_starting_a_chat_costs_the_same_statements_whatever_is_stored(
    member: Member, configure: Configure, earlier_chats: int
) -> None:
    configure(limit=100)
    for _ in range(earlier_chats):
        assert start_chat(member).status_code == 201

    response, statements = counted(lambda: start_chat(member))

    assert response.status_code == 201
    assert len(statements) == START_STATEMENTS[connection.vendor], statements


@pytest.mark.parametrize("earlier_turns", [0, 8])
def test_a_follow_up_costs_the_same_statements_however_long_the_chat(
    member: Member, configure: Configure, earlier_turns: int
) -> None:
    configure(limit=100)
    chat_id = start_chat(member).json()["id"]
    path = f"/api/chats/{chat_id}/messages/"
    for n in range(earlier_turns):
        assert member.client.post(path, {"content": f"more {n}"}, format="json").status_code == 201

    response, statements = counted(
        lambda: member.client.post(path, {"content": "And then?"}, format="json")
    )

    assert response.status_code == 201
    assert len(statements) == FOLLOW_UP_STATEMENTS[connection.vendor], statements


def test_a_refused_request_stores_nothing_and_reads_little(member: Member) -> None:
    response, statements = counted(
        lambda: member.client.post("/api/chats/", {**INTAKE, "goal": ""}, format="json")
    )
    assert response.status_code == 400
    assert statements == []
