"""Data migrations give existing rows the values the code would have given them."""

from importlib import import_module

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from domain.search import index_terms, normalize

BEFORE = [("chatbot", "0003_social_login")]
AFTER = [("chatbot", "0004_member_email_verified")]


@pytest.mark.django_db(transaction=True)
def test_only_members_made_by_a_provider_with_a_real_address_start_verified() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Member = old.get_model("chatbot", "Member")
    SocialAccount = old.get_model("chatbot", "SocialAccount")

    def member(email: str, password: str | None, provider: str | None = None) -> int:
        made = Member.objects.create(email=email, nickname=email, password=make_password(password))
        if provider:
            SocialAccount.objects.create(member=made, provider=provider, account_id=email)
        return int(made.pk)

    ids = {
        "password": member("pw@example.com", "a passphrase"),
        "password, linked": member("pwlinked@example.com", "a passphrase", "github"),
        "provider": member("gh@example.com", None, "github"),
        "provider, no address": member("kakao.1234@oauth.invalid", None, "kakao"),
        "no password, never linked": member("admin-made@example.com", None),
    }

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("chatbot", "Member")
    verified = {name: new.objects.get(pk=pk).email_verified for name, pk in ids.items()}
    assert verified == {
        "password": False,
        "password, linked": False,
        "provider": True,
        "provider, no address": False,
        "no password, never linked": False,
    }
    migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_existing_look_alike_nicknames_are_told_apart_in_sign_up_order() -> None:
    # Members whose nicknames already read the same keep their order: the first keeps the
    # nickname, each later one gets the next free name2, name3, ...
    before, after = [("chatbot", "0006_throttle_window")], [("chatbot", "0007_member_nickname_key")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("chatbot", "Member")
    # Pairs the old constraint, lower(nickname), let through on both databases.
    nicknames = ["Jos\u00e9", "Jose\u0301", "Stra\u00dfe", "STRASSE", "kim", "\uff4b\uff49\uff4d"]
    for n, nickname in enumerate(nicknames):
        old.objects.create(email=f"m{n}@example.com", nickname=nickname, password="!")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("chatbot", "Member")
    rows = list(new.objects.order_by("id").values_list("nickname", "nickname_key"))
    assert rows == [
        ("Jos\u00e9", "jos\u00e9"),
        ("Jos\u00e92", "jos\u00e92"),
        ("Stra\u00dfe", "strasse"),
        ("STRASSE2", "strasse2"),
        ("kim", "kim"),
        ("\uff4b\uff49\uff4d2", "kim2"),
    ]
    migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_chats_stored_before_search_get_the_rows_new_chats_get(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Batches of 2 chats, so that a batch's range of ids ends inside the chats and a chat's
    # turns and answers are not mixed up with a neighbour's.
    monkeypatch.setattr(import_module("adapters.orm.migrations.0015_chat_search"), "BATCH", 2)
    before, after = [("chatbot", "0014_turn_answer_so_far")], [("chatbot", "0015_chat_search")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Chat, Prompt, Turn, Choice = (
        old.get_model("chatbot", name) for name in ("Chat", "Prompt", "Turn", "Choice")
    )
    member = old.get_model("chatbot", "Member").objects.create(
        email="m@example.com", nickname="m", nickname_key="m", password="!"
    )
    now = timezone.now()
    expected = {}
    for n in range(5):
        chat = Chat.objects.create(
            member=member, title=f"Chat {n}", created_at=now, updated_at=now, model="offline"
        )
        answers = [f"주니어 개발자예요 {n}", f"Team Lead {n}", f"ＦＵＬＬ width {n}"]
        # Stored out of order: the rows follow position and index, not insertion.
        for position, kind in reversed(list(enumerate(("current_state", "goal", "misc")))):
            Prompt.objects.create(
                chat=chat, position=position, kind=kind, question="?", answer=answers[position]
            )
        texts = []
        for index in range(n % 3):  # chats with no turn, one and two
            message = f"message {n}.{index}"
            turn = Turn.objects.create(
                chat=chat, index=index, content=message, status="completed", created_at=now,
                model="offline", temperature=0.7, max_tokens=100, messages=[],
            )  # fmt: skip
            choices = [f"answer {n}.{index}.{c}" for c in range(index + 1)]
            for c in reversed(range(index + 1)):
                Choice.objects.create(turn=turn, index=c, role="assistant", content=choices[c])
            texts += [message, *choices]
        head = "\n".join([chat.title, *answers])
        expected[chat.pk] = {
            "head": normalize(head),
            "body": normalize("\n".join([head, *texts])),
            "from_text": normalize(answers[0]),
            "to_text": normalize(answers[1]),
            "terms": (set(index_terms(head)), set(index_terms("\n".join([head, *texts])))),
        }

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    wanted = list(expected.values())  # in the order made
    assert wanted[2]["body"].endswith("message 2.1\nanswer 2.1.0\nanswer 2.1.1")
    assert "full width 4" in wanted[4]["head"]
    fields = ("head", "body", "from_text", "to_text")
    ChatSearch = executor.loader.project_state(after).apps.get_model("chatbot", "ChatSearch")
    rows = {row["chat_id"]: row for row in ChatSearch.objects.values("chat_id", *fields)}
    assert {pk: {f: row[f] for f in fields} for pk, row in rows.items()} == {
        pk: {f: want[f] for f in fields} for pk, want in expected.items()
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT chat_id, head_terms::text, body_terms::text FROM chatbot_chatsearch"
            )
            terms = {pk: (terms_of(head), terms_of(body)) for pk, head, body in cursor}
        assert terms == {pk: want["terms"] for pk, want in expected.items()}
    migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_search_rows_stored_before_trigrams_are_indexed_again_with_them() -> None:
    head, body = "compilers\n팀장이 되고 싶어요", "compilers\n팀장이 되고 싶어요\nlexers"
    bigrams = [g for run in ("compilers", "팀장이", "lexers") for g in bigrams_of(run)]
    chat = search_row_at(
        [("chatbot", "0016_chat_search_serial_scans")], head, body, bigrams[:8], bigrams
    )

    MigrationExecutor(connection).migrate([("chatbot", "0017_chat_search_trigrams")])
    head_terms, body_terms, texts = stored_search_row(chat)
    if connection.vendor == "postgresql":
        assert head_terms == set(index_terms(head))
        assert body_terms == set(index_terms(body))
        assert {"com", "pil", "lex"} <= body_terms
    assert texts == [head, body]  # as they were
    migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_search_rows_get_the_terms_of_their_short_words() -> None:
    head, body = "ai\nux 디자인", "ai\nux 디자인\nour pms said"
    chat = search_row_at(
        [("chatbot", "0017_chat_search_trigrams")],
        head, body, bigrams_of("ai"), bigrams_of("ai") + bigrams_of("said"),
    )  # fmt: skip

    MigrationExecutor(connection).migrate([("chatbot", "0018_chat_search_whole_words")])
    head_terms, body_terms, texts = stored_search_row(chat)
    if connection.vendor == "postgresql":
        assert {"=ai", "=ux"} <= head_terms
        assert {"=ai", "=ux", "=pm", "=our"} & body_terms == {"=ai", "=ux", "=pm"}
        assert head_terms == set(index_terms(head))
    assert texts == [head, body]
    migrate_to_latest()


def bigrams_of(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def terms_of(tsvector: str) -> set[str]:
    return {term.strip("'") for term in tsvector.split()}


def search_row_at(
    state: list[tuple[str, str]], head: str, body: str, head_terms: list[str], body_terms: list[str]
) -> int:
    """Migrate to `state` and store a chat with this search row as it stood then; its id."""
    executor = MigrationExecutor(connection)
    executor.migrate(state)
    old = executor.loader.project_state(state).apps
    member = old.get_model("chatbot", "Member").objects.create(
        email="m@example.com", nickname="m", nickname_key="m", password="!"
    )
    now = timezone.now()
    chat = old.get_model("chatbot", "Chat").objects.create(
        member=member, title=head.split("\n")[0], created_at=now, updated_at=now, model="offline"
    )
    old.get_model("chatbot", "ChatSearch").objects.create(
        chat=chat, head=head, body=body, from_text="", to_text="",
        head_terms=head_terms, body_terms=body_terms,
    )  # fmt: skip
    return int(chat.pk)


def stored_search_row(chat_id: int) -> tuple[set[str], set[str], list[str]]:
    """A search row's terms (PostgreSQL's tsvectors; none on SQLite) and its texts."""
    if connection.vendor != "postgresql":  # SQLite keeps no terms
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT head, body FROM chatbot_chatsearch WHERE chat_id = %s", [chat_id]
            )
            return set(), set(), list(cursor.fetchone())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT head_terms::text, body_terms::text, head, body FROM chatbot_chatsearch "
            "WHERE chat_id = %s",
            [chat_id],
        )
        head_terms, body_terms, *texts = cursor.fetchone()
    return terms_of(head_terms), terms_of(body_terms), texts


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
