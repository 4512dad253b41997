from datetime import timedelta

import pytest

from application.chats import MAX_PAGE, ListChatsInput, ListIntakeQuestions
from application.errors import ChatNotFound, NotChatOwner
from application.ports import Reservation
from application.start_chat_session import StartChatSessionInput
from application.views import Journey
from domain.chat import Chat
from domain.ids import ChatId, MemberId
from domain.member import Member
from domain.prompts import PromptKind, answer_intake, intake_questions
from tests.unit.fakes import Harness, a_guide, harness


def seed_chats(app: Harness, owner: Member, count: int) -> list[ChatId]:
    """Chats stored straight through the repository: listing needs no model and no quota."""
    prompts = answer_intake("en", {PromptKind.CURRENT_STATE: "Now.", PromptKind.GOAL: "Later."})
    ids = []
    for n in range(count):
        at = app.clock.now() + timedelta(minutes=n)
        chat, turn = Chat.start(owner, prompts, a_guide(), at)
        paid = Reservation(f"r{n}", owner.id, at.date())
        ids.append(app.chats.start(chat, turn, paid, at)[0])
    return ids


class TestListChats:
    def test_chats_come_newest_first_with_their_authors(self) -> None:
        app = harness()
        mina, joon = app.members.new("mina"), app.members.new("joon")
        first = seed_chats(app, mina, 1)
        second = seed_chats(app, joon, 1)

        page = app.list_chats(ListChatsInput())

        assert [c.id for c in page.items] == [*second, *first]
        assert [c.author for c in page.items] == ["joon", "mina"]
        assert page.next_before is None

    def test_items_carry_the_journey_an_anonymous_one_without_its_author(self) -> None:
        app = harness()
        mina = app.members.new("mina")
        (chat_id,) = seed_chats(app, mina, 1)
        app.chats.set_anonymous(chat_id, True)

        (item,) = app.list_chats(ListChatsInput()).items

        assert item.journey == Journey(current_state="Now.", goal="Later.")
        assert item.author is None

    def test_a_member_can_list_only_their_own_chats(self) -> None:
        app = harness()
        mina, joon = app.members.new("mina"), app.members.new("joon")
        mine = seed_chats(app, mina, 2)
        seed_chats(app, joon, 2)
        page = app.list_chats(ListChatsInput(owner=mina.id))
        assert [c.id for c in page.items] == mine[::-1]

    def test_a_full_page_with_nothing_after_it_is_the_last(self) -> None:
        app = harness()
        seed_chats(app, app.members.new(), 3)
        page = app.list_chats(ListChatsInput(limit=3))
        assert len(page.items) == 3
        assert page.next_before is None

    def test_when_more_chats_remain_the_page_says_where_to_continue(self) -> None:
        app = harness()
        ids = seed_chats(app, app.members.new(), 4)
        page = app.list_chats(ListChatsInput(limit=3))
        assert [c.id for c in page.items] == ids[:0:-1]
        assert page.next_before == ids[1]
        rest = app.list_chats(ListChatsInput(before=page.next_before, limit=3))
        assert [c.id for c in rest.items] == [ids[0]]
        assert rest.next_before is None

    def test_following_the_pages_lists_every_chat_once(self) -> None:
        app = harness()
        ids = seed_chats(app, app.members.new(), 11)
        seen: list[ChatId] = []
        before: ChatId | None = None
        while True:
            page = app.list_chats(ListChatsInput(before=before, limit=4))
            seen += [c.id for c in page.items]
            if page.next_before is None:
                break
            before = page.next_before
        assert seen == ids[::-1]

    @pytest.mark.parametrize(("asked", "served"), [(0, 1), (-5, 1), (1, 1), (101, MAX_PAGE)])
    def test_the_page_size_is_kept_between_1_and_100(self, asked: int, served: int) -> None:
        app = harness()
        seed_chats(app, app.members.new(), MAX_PAGE + 5)
        page = app.list_chats(ListChatsInput(limit=asked))
        assert len(page.items) == served
        assert page.next_before == page.items[-1].id
        assert app.queries.limits_asked == [served + 1]

    def test_the_summary_counts_the_turns(self) -> None:
        app = harness()
        mina = app.members.new()
        app.start(StartChatSessionInput(mina.id, "Now.", "Later."))
        [summary] = app.list_chats(ListChatsInput()).items
        assert summary.turn_count == 1
        assert summary.title == "Later."


class TestDeleteChat:
    def test_the_owner_deletes_a_chat_and_keeps_the_quota_spent(self) -> None:
        app = harness()
        mina = app.members.new()
        chat_id = app.start(StartChatSessionInput(mina.id, "Now.", "Later.")).id

        app.delete_chat(chat_id, mina.id)

        with pytest.raises(ChatNotFound):
            app.get_chat(chat_id, mina.id)
        assert app.list_chats(ListChatsInput()).items == []
        assert app.used_today(mina.id) == 1

    def test_nobody_else_can_delete_it(self) -> None:
        app = harness()
        mina, joon = app.members.new("mina"), app.members.new("joon")
        [chat_id] = seed_chats(app, mina, 1)
        with pytest.raises(NotChatOwner):
            app.delete_chat(chat_id, joon.id)
        assert app.chats.ids() == [chat_id]

    def test_a_missing_chat_cannot_be_deleted(self) -> None:
        app = harness()
        with pytest.raises(ChatNotFound):
            app.delete_chat(ChatId(404), MemberId(1))


def test_the_intake_questions_are_listed_in_the_language_asked() -> None:
    assert ListIntakeQuestions()("ko") == intake_questions("ko")
    assert ListIntakeQuestions()("zz") == intake_questions("en")
