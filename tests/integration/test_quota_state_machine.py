"""The daily quota as a state machine, against the real database adapters.

Hypothesis runs random sequences of what members do (start a chat, ask a follow-up, stream an
answer that completes, fails or is stopped, delete a chat, a burst of simultaneous requests,
refunds repeated, the day rolling over with a pinned clock) and after every step checks the
ledger against a model of what was charged: a request is charged exactly when its answer came
whole or the member stopped it after some text (docs/security.md), the ledger never goes above
the limit, a refund given twice counts once, and deleting a chat gives nothing back.
"""

import asyncio
import itertools
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from adapters.orm.blocking import DjangoBlocking
from adapters.orm.models import Chat as ChatRow
from adapters.orm.models import Member as MemberRow
from adapters.orm.models import QuotaReservation
from adapters.orm.unit_of_work import DjangoUnitOfWork
from application.asking import AdmittedTurn, ChatSettings, answer
from application.chats import DeleteChat
from application.errors import DailyQuotaExceeded, ModelBusy, ModelError
from application.ports import Reservation
from application.send_message import SendMessage, SendMessageInput
from application.start_chat_session import StartChatSession, StartChatSessionInput
from application.streaming import LiveAnswers, StreamAnswer
from domain.ids import ChatId, MemberId
from domain.quota import DailyQuotaPolicy
from tests.unit.fakes import SEOUL, FakeChatModel, FakeClock, FakeStream, a_guide

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 3
MEMBERS = 2
_emails = itertools.count(1)


class QuotaMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        MemberRow.objects.all().delete()  # each run starts from an empty ledger
        self.clock = FakeClock()
        self.model = FakeChatModel()
        self.uow = DjangoUnitOfWork()
        self.policy = DailyQuotaPolicy(limit=LIMIT, time_zone=SEOUL)
        chat_settings = ChatSettings(a_guide(), self.policy)
        self.start = StartChatSession(self.uow, self.model, chat_settings, self.clock)
        self.send = SendMessage(self.uow, self.model, chat_settings, self.clock)
        self.delete = DeleteChat(self.uow)
        self.stream_answer = StreamAnswer(
            self.uow, self.model, self.clock, DjangoBlocking(), LiveAnswers()
        )
        # Members who may chat (their email verified, the texts in force agreed to): the
        # rules themselves are tested over HTTP (test_chat_rules.py).
        self.members = [
            MemberId(
                MemberRow.objects.create_user(
                    f"m{next(_emails)}@example.com",
                    None,
                    nickname=f"m{next(_emails)}",
                    email_verified=True,
                ).pk
            )
            for _ in range(MEMBERS)
        ]
        for member in self.members:
            self.uow.consents.record(
                member, chat_settings.rules.versions.current(), self.clock.now()
            )
        self.charged: Counter[tuple[MemberId, date]] = Counter()
        self.days: set[date] = set()

    # What members do.

    def _today(self) -> date:
        day = self.policy.day_of(self.clock.now())
        self.days.add(day)
        return day

    def _chats_of(self, member: MemberId) -> list[int]:
        return list(ChatRow.objects.filter(member_id=member).values_list("pk", flat=True))

    def _admit(self, member: MemberId, follow_up: bool, *, stream: bool) -> AdmittedTurn | None:
        chats = self._chats_of(member)
        try:
            if follow_up and chats:
                return self.send.admit(
                    SendMessageInput(ChatId(chats[-1]), member, "And then?"), stream=stream
                )
            return self.start.admit(
                StartChatSessionInput(member, current_state="now", goal="later"), stream=stream
            )
        except DailyQuotaExceeded:
            # Refused exactly when the day's allowance is used up.
            assert self.charged[(member, self._today())] == LIMIT
            return None

    @rule(
        who=st.integers(0, MEMBERS - 1),
        follow_up=st.booleans(),
        answered=st.booleans(),
    )
    def ask(self, who: int, follow_up: bool, answered: bool) -> None:
        member = self.members[who]
        self.model.then("An answer." if answered else ModelBusy("busy"))
        admitted = self._admit(member, follow_up, stream=False)
        if admitted is None:
            self.model = self._fresh_model()
            return
        prepared = admitted.record()
        try:
            answer(self.uow, self.model, self.clock, prepared)
        except ModelError:
            return
        self.charged[(member, self._today())] += 1

    @rule(
        who=st.integers(0, MEMBERS - 1),
        follow_up=st.booleans(),
        pieces=st.integers(0, 3),
        ending=st.sampled_from(["done", "fail", "stop"]),
    )
    def stream(self, who: int, follow_up: bool, pieces: int, ending: str) -> None:
        member = self.members[who]
        gate = asyncio.Event()
        words = [f"w{n}" for n in range(pieces)]
        if ending == "stop":  # one more word that never comes: the member stops it first
            words.append("never")
        fail = ModelBusy("busy") if ending == "fail" else None
        self.model.then(FakeStream(words, gate=gate if ending == "stop" else None, fail_with=fail))
        admitted = self._admit(member, follow_up, stream=True)
        if admitted is None:
            self.model = self._fresh_model()
            return

        async def run() -> None:
            live = self.stream_answer.start(admitted)
            if ending == "stop":
                queue = live.watch()
                for _ in range(pieces):
                    gate.set()
                    await queue.get()
                live.stop()
                live.unwatch(queue)
            assert live.task is not None
            await live.task

        asyncio.run(run())
        # Charged when answered, or stopped by the member after some text; never when it
        # failed, whatever came before (no text at all is a failure too).
        if pieces > 0 and ending in ("done", "stop"):
            self.charged[(member, self._today())] += 1

    @rule(who=st.integers(0, MEMBERS - 1))
    def delete_a_chat(self, who: int) -> None:
        member = self.members[who]
        chats = self._chats_of(member)
        if chats:
            self.delete(ChatId(chats[0]), member)  # the ledger must not move

    @rule(who=st.integers(0, MEMBERS - 1), size=st.integers(2, 6))
    def burst(self, who: int, size: int) -> None:
        """Simultaneous requests from one member, each on its own connection."""
        member = self.members[who]
        self.model = self._fresh_model()  # every request of the burst is answered
        left = LIMIT - self.charged[(member, self._today())]

        def one(_: int) -> bool:
            try:
                self.start(StartChatSessionInput(member, current_state="now", goal="later"))
            except DailyQuotaExceeded:
                return False
            finally:
                connection.close()
            return True

        with ThreadPoolExecutor(max_workers=size) as pool:
            answered = sum(pool.map(one, range(size)))
        assert answered == min(size, left)
        self.charged[(member, self._today())] += answered

    @rule()
    def refund_again(self) -> None:
        """Every refund already given, given again: nothing changes."""
        for row in QuotaReservation.objects.exclude(refunded_at=None):
            self.uow.quota.refund(Reservation(str(row.pk), MemberId(row.member_id), row.day))

    @rule(hours=st.sampled_from([1, 9, 24]))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))

    def _fresh_model(self) -> FakeChatModel:
        """The scripted outcome went unused (the request was refused): start a clean script."""
        model = FakeChatModel()
        self.start = StartChatSession(self.uow, model, self.start._settings, self.clock)
        self.send = SendMessage(self.uow, model, self.send._settings, self.clock)
        self.stream_answer = StreamAnswer(
            self.uow, model, self.clock, DjangoBlocking(), LiveAnswers()
        )
        return model

    # What must hold after every step.

    @invariant()
    def the_ledger_is_what_was_charged(self) -> None:
        for member in self.members:
            for day in self.days | {self._today()}:
                used = self.uow.quota.used(member, day)
                assert used == self.charged[(member, day)]
                assert used <= LIMIT


def test_the_quota_holds_whatever_members_do() -> None:
    run_state_machine_as_test(
        QuotaMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
