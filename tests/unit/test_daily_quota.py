"""The daily allowance: the ledger's contract, and the invariant the use cases keep with it."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from application.errors import DailyQuotaExceeded, ModelBusy, ModelError
from application.ports import Reservation
from application.send_message import SendMessageInput
from application.start_chat_session import StartChatSessionInput
from domain.chat import TurnStatus
from domain.consent import PolicyVersions
from domain.ids import MemberId
from domain.llm import CompletionRequest
from domain.member import Member
from tests.unit.fakes import FakeChatModel, FakeQuotaLedger, harness

ALICE, BOB = MemberId(1), MemberId(2)
DAY, NEXT_DAY = date(2026, 1, 1), date(2026, 1, 2)


def test_a_reservation_is_refused_once_the_limit_is_reached() -> None:
    ledger = FakeQuotaLedger()
    assert ledger.reserve(ALICE, DAY, 2) is not None
    assert ledger.reserve(ALICE, DAY, 2) is not None
    assert ledger.reserve(ALICE, DAY, 2) is None
    assert ledger.used(ALICE, DAY) == 2


def test_allowances_are_per_member_and_per_day() -> None:
    ledger = FakeQuotaLedger()
    assert ledger.reserve(ALICE, DAY, 1) is not None
    assert ledger.reserve(BOB, DAY, 1) is not None
    assert ledger.reserve(ALICE, NEXT_DAY, 1) is not None
    assert (ledger.used(ALICE, DAY), ledger.used(BOB, DAY), ledger.used(ALICE, NEXT_DAY)) == (
        1,
        1,
        1,
    )


def test_a_refund_gives_the_request_back_to_the_day_it_was_taken_from_once() -> None:
    ledger = FakeQuotaLedger()
    first = ledger.reserve(ALICE, DAY, 1)
    assert first is not None
    ledger.reserve(ALICE, NEXT_DAY, 1)
    ledger.refund(first)
    ledger.refund(first)
    assert (ledger.used(ALICE, DAY), ledger.used(ALICE, NEXT_DAY)) == (0, 1)


def test_a_refund_of_a_reservation_never_taken_changes_nothing() -> None:
    ledger = FakeQuotaLedger()
    ledger.reserve(ALICE, DAY, 3)
    ledger.refund(Reservation(id="forged", member_id=ALICE, day=DAY))
    assert ledger.used(ALICE, DAY) == 1


@dataclass(frozen=True)
class Take:
    member: MemberId
    day: date


@dataclass(frozen=True)
class GiveBack:
    pick: int  # which reservation taken so far, any of them, refunded or not


takes = st.builds(Take, st.sampled_from([ALICE, BOB]), st.sampled_from([DAY, NEXT_DAY]))
give_backs = st.builds(GiveBack, st.integers(0, 30))


@given(limit=st.integers(0, 4), operations=st.lists(takes | give_backs, max_size=40))
def test_the_ledger_never_exceeds_the_limit_and_refunds_count_once(
    limit: int, operations: list[Take | GiveBack]
) -> None:
    ledger = FakeQuotaLedger()
    taken: list[Reservation] = []
    refunded: set[str] = set()
    for operation in operations:
        if isinstance(operation, Take):
            before = ledger.used(operation.member, operation.day)
            reservation = ledger.reserve(operation.member, operation.day, limit)
            assert (reservation is None) == (before >= limit)
            if reservation is not None:
                taken.append(reservation)
        elif taken:
            chosen = taken[operation.pick % len(taken)]
            ledger.refund(chosen)
            refunded.add(chosen.id)
        outstanding = Counter((r.member_id, r.day) for r in taken if r.id not in refunded)
        for member in (ALICE, BOB):
            for day in (DAY, NEXT_DAY):
                assert ledger.used(member, day) == outstanding[(member, day)]
                assert ledger.used(member, day) <= limit


class Flaky:
    """Makes the fake model fail on the calls a test chooses."""

    def __init__(self) -> None:
        self.fail = False

    def __call__(self, request: CompletionRequest) -> None:
        if self.fail:
            raise ModelBusy("The provider is overloaded.")


@dataclass(frozen=True)
class Ask:
    follow_up: bool  # a message in the member's latest chat, if they have one; else a new chat
    member: MemberId
    fails: bool


@dataclass(frozen=True)
class Wait:
    hours: int


asks = st.builds(Ask, st.booleans(), st.sampled_from([ALICE, BOB]), st.booleans())
waits = st.builds(Wait, st.integers(1, 14))


@given(
    limit=st.integers(0, 3),
    alice_override=st.none() | st.integers(0, 3),
    operations=st.lists(asks | waits, max_size=25),
)
def test_completed_turns_in_a_day_never_exceed_the_limit_and_failures_cost_nothing(
    limit: int, alice_override: int | None, operations: list[Ask | Wait]
) -> None:
    flaky = Flaky()
    app = harness(limit=limit, model=FakeChatModel(during=flaky))
    in_good_standing = {"email_verified": True, "agreed": tuple(PolicyVersions().current().items())}
    app.members.put(
        Member(ALICE, "alice@example.com", "alice", daily_limit=alice_override, **in_good_standing)
    )
    app.members.put(Member(BOB, "bob@example.com", "bob", **in_good_standing))
    policy = app.settings.policy
    limits = {ALICE: policy.limit_for(alice_override), BOB: limit}

    def completed_on(member: MemberId, day: date) -> int:
        return sum(
            1
            for chat_id in app.chats.ids()
            if app.chats.owner_of(chat_id) == member
            for turn in app.chats.turns(chat_id)
            if turn.status is TurnStatus.COMPLETED and policy.day_of(turn.created_at) == day
        )

    days = {policy.day_of(app.clock.now())}
    for operation in operations:
        if isinstance(operation, Wait):
            app.clock.advance(timedelta(hours=operation.hours))
            days.add(policy.day_of(app.clock.now()))
            continue
        member, fails = operation.member, operation.fails
        today = policy.day_of(app.clock.now())
        done_before = completed_on(member, today)
        own = [c for c in app.chats.ids() if app.chats.owner_of(c) == member]
        flaky.fail = fails
        refused_at: int | None = None
        failed = False
        try:
            if operation.follow_up and own:
                app.send(SendMessageInput(own[-1], member, "And then?"))
            else:
                app.start(StartChatSessionInput(member, "Now.", "Later."))
        except DailyQuotaExceeded as error:
            refused_at = error.limit
        except ModelError:
            failed = True
        if refused_at is not None:
            assert done_before == limits[member] == refused_at, "refused with allowance left"
        else:
            assert failed == fails
        for someone in (ALICE, BOB):
            for day in days:
                used = app.quota.used(someone, day)
                assert used == completed_on(someone, day)
                assert used <= limits[someone]
    assert not app.uow.in_transaction
