from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.quota import DailyQuotaPolicy, QuotaStatus

SEOUL = ZoneInfo("Asia/Seoul")
seoul_policy = DailyQuotaPolicy(limit=5, time_zone=SEOUL)
utc_policy = DailyQuotaPolicy(limit=5, time_zone=ZoneInfo("UTC"))

LAST_SECOND_OF_JAN_1_IN_SEOUL = datetime(2026, 1, 1, 14, 59, 59, tzinfo=UTC)
MIDNIGHT_JAN_2_IN_SEOUL = datetime(2026, 1, 1, 15, 0, 0, tzinfo=UTC)


def test_the_day_ends_at_midnight_in_seoul_not_in_utc() -> None:
    assert seoul_policy.day_of(LAST_SECOND_OF_JAN_1_IN_SEOUL) == date(2026, 1, 1)
    assert seoul_policy.day_of(MIDNIGHT_JAN_2_IN_SEOUL) == date(2026, 1, 2)
    assert utc_policy.day_of(LAST_SECOND_OF_JAN_1_IN_SEOUL) == date(2026, 1, 1)
    assert utc_policy.day_of(MIDNIGHT_JAN_2_IN_SEOUL) == date(2026, 1, 1)


def test_the_day_does_not_depend_on_the_offset_the_instant_is_written_in() -> None:
    same_instant = MIDNIGHT_JAN_2_IN_SEOUL.astimezone(timezone(timedelta(hours=-5)))
    assert same_instant.date() == date(2026, 1, 1)
    assert seoul_policy.day_of(same_instant) == date(2026, 1, 2)


def test_the_allowance_resets_at_the_next_local_midnight() -> None:
    resets = seoul_policy.resets_at(LAST_SECOND_OF_JAN_1_IN_SEOUL)
    assert resets == datetime(2026, 1, 2, 0, 0, tzinfo=SEOUL)
    assert resets.utcoffset() == timedelta(hours=9)
    assert resets.isoformat() == "2026-01-02T00:00:00+09:00"
    assert resets == MIDNIGHT_JAN_2_IN_SEOUL


def test_at_midnight_itself_the_reset_is_a_full_day_away() -> None:
    assert seoul_policy.resets_at(MIDNIGHT_JAN_2_IN_SEOUL) == datetime(2026, 1, 3, tzinfo=SEOUL)


def test_in_utc_the_allowance_resets_at_utc_midnight() -> None:
    resets = utc_policy.resets_at(MIDNIGHT_JAN_2_IN_SEOUL)
    assert resets == datetime(2026, 1, 2, tzinfo=UTC)
    assert resets.utcoffset() == timedelta(0)


@pytest.mark.parametrize("ask", [seoul_policy.day_of, seoul_policy.resets_at])
def test_naive_instants_are_rejected(ask: Callable[[datetime], object]) -> None:
    with pytest.raises(InvalidValue, match="timezone-aware"):
        ask(datetime(2026, 1, 1, 12, 0))


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, SEOUL, ZoneInfo("America/New_York")]),
    )
)
def test_the_reset_is_the_start_of_the_next_local_day(instant: datetime) -> None:
    resets = seoul_policy.resets_at(instant)
    # A day of absolute time: adding one to a wall clock across a DST change gives 23 or 25 hours.
    assert instant < resets <= instant.astimezone(UTC) + timedelta(days=1)
    assert seoul_policy.day_of(resets) == seoul_policy.day_of(instant) + timedelta(days=1)
    assert seoul_policy.day_of(resets - timedelta(microseconds=1)) == seoul_policy.day_of(instant)


def test_a_member_override_replaces_the_default_limit() -> None:
    assert seoul_policy.limit_for(None) == 5
    assert seoul_policy.limit_for(12) == 12


def test_an_override_of_zero_blocks_the_member_rather_than_meaning_the_default() -> None:
    assert seoul_policy.limit_for(0) == 0


def test_a_negative_limit_is_rejected_and_zero_is_allowed() -> None:
    with pytest.raises(InvalidValue) as error:
        DailyQuotaPolicy(limit=-1, time_zone=SEOUL)
    assert error.value.field == "limit"
    assert DailyQuotaPolicy(limit=0, time_zone=SEOUL).limit == 0


@given(st.integers(0, 50), st.integers(0, 60))
def test_what_remains_is_never_negative(limit: int, used: int) -> None:
    status = QuotaStatus(limit=limit, used=used, resets_at=MIDNIGHT_JAN_2_IN_SEOUL)
    assert status.remaining == max(0, limit - used)
