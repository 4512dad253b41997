import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest

from application.errors import ModelUnavailable, ValidationFailed
from application.send_message import SendMessageInput
from application.start_chat_session import StartChatSessionInput
from domain.chat import TurnStatus
from domain.errors import InvalidValue
from domain.ids import MemberId
from domain.quota import RequestOutcome, usage_window
from tests.unit.fakes import FakeChatModel, Harness, harness


@pytest.mark.parametrize(
    ("refunded", "status", "outcome"),
    [
        (False, TurnStatus.COMPLETED, RequestOutcome.CHARGED),
        (True, TurnStatus.FAILED, RequestOutcome.REFUNDED),
        (False, TurnStatus.STOPPED, RequestOutcome.STOPPED),
        (True, TurnStatus.STOPPED, RequestOutcome.REFUNDED),  # stopped before any text
        (False, TurnStatus.PENDING, RequestOutcome.PENDING),
        (False, None, RequestOutcome.CHARGED),  # its chat was deleted
        (True, None, RequestOutcome.REFUNDED),
    ],
)
def test_a_receipts_outcome(refunded: bool, status: TurnStatus, outcome: RequestOutcome) -> None:
    assert RequestOutcome.of(refunded, status) is outcome


def test_the_window_is_days_calendar_days_ending_today() -> None:
    today = date(2026, 3, 1)

    assert usage_window(1, today) == (today, today)
    assert usage_window(30, today) == (date(2026, 1, 31), today)
    assert usage_window(90, today) == (date(2025, 12, 2), today)


@pytest.mark.parametrize("days", [0, -1, 91, True, 1.0])
def test_the_window_is_1_to_90_days(days: int) -> None:
    with pytest.raises(InvalidValue):
        usage_window(days, date(2026, 3, 1))


def ask(app: Harness, member: MemberId) -> None:
    view = app.start(StartChatSessionInput(member_id=member, current_state="Now.", goal="Later."))
    app.clock.advance(timedelta(minutes=1))
    with contextlib.suppress(ModelUnavailable):
        app.send(SendMessageInput(chat_id=view.id, member_id=member, content="And?"))


def test_receipts_are_grouped_by_seoul_day_newest_first_with_todays_quota() -> None:
    # 23:30 in Seoul on Jan 1 (14:30 UTC), then 00:30 on Jan 2 (still Jan 1 in UTC).
    app = harness(
        model=FakeChatModel("One.", ModelUnavailable("down"), "Three.", "Four."),
        at=datetime(2026, 1, 1, 14, 30, tzinfo=UTC),
    )
    member = app.members.new("mina").id
    ask(app, member)
    app.clock.advance(timedelta(hours=1))
    ask(app, member)

    usage = app.list_usage(member, days=2)

    assert (usage.first_day, usage.last_day) == (date(2026, 1, 1), date(2026, 1, 2))
    assert [d.day for d in usage.days] == [date(2026, 1, 2), date(2026, 1, 1)]
    assert [[r.outcome for r in d.receipts] for d in usage.days] == [
        [RequestOutcome.CHARGED, RequestOutcome.CHARGED],
        [RequestOutcome.REFUNDED, RequestOutcome.CHARGED],
    ]
    assert [(d.used, d.refunded) for d in usage.days] == [(2, 0), (1, 1)]
    assert (usage.today.used, usage.today.limit) == (2, 5)
    assert usage.today.resets_at == datetime(2026, 1, 2, 15, 0, tzinfo=UTC)
    assert app.list_usage(member, days=1).days == usage.days[:1]


def test_only_the_members_own_requests_and_bad_windows_are_refused() -> None:
    app = harness()
    mina, joon = app.members.new("mina").id, app.members.new("joon").id
    ask(app, joon)

    assert app.list_usage(mina).days == ()
    with pytest.raises(ValidationFailed) as refused:
        app.list_usage(mina, days=91)
    assert "days" in refused.value.errors
