from datetime import timedelta

import pytest

from application.throttling import Throttle
from domain.errors import InvalidValue
from domain.throttle import Rate
from tests.unit.fakes import FakeAttemptCounter, FakeClock

MINUTE = timedelta(minutes=1)


def throttle() -> tuple[Throttle, FakeAttemptCounter, FakeClock]:
    counter, clock = FakeAttemptCounter(), FakeClock()
    return Throttle(counter, clock), counter, clock


def test_exactly_the_limit_passes_in_a_window_then_the_wait_is_until_it_ends() -> None:
    check, _, clock = throttle()
    rate = Rate(limit=3, period=MINUTE)

    first = [check(rate, ["a"]) for _ in range(3)]
    clock.advance(timedelta(seconds=20))
    refused = check(rate, ["a"])

    assert first == [None, None, None]
    assert refused == timedelta(seconds=40)


def test_the_wait_is_never_longer_than_the_period() -> None:
    # Another process read its clock a moment after this one but counted first, opening the
    # window a moment after `now`.
    check, _, clock = throttle()
    rate = Rate(limit=1, period=MINUTE)
    clock.advance(timedelta(seconds=2))
    check(rate, ["a"])
    clock.advance(timedelta(seconds=-2))
    assert check(rate, ["a"]) == MINUTE


def test_a_new_window_opens_when_the_last_one_ends() -> None:
    check, _, clock = throttle()
    rate = Rate(limit=1, period=MINUTE)
    check(rate, ["a"])
    clock.advance(MINUTE)
    assert check(rate, ["a"]) is None


def test_every_key_is_counted_and_the_first_full_one_refuses() -> None:
    check, _, _ = throttle()
    rate = Rate(limit=2, period=MINUTE)
    check(rate, ["address:1", "account:kim"])
    check(rate, ["address:2", "account:kim"])

    assert check(rate, ["address:3", "account:kim"]) is not None
    assert check(rate, ["address:1", "account:lee"]) is None


def test_keys_after_a_refusing_one_are_not_counted() -> None:
    check, counter, _ = throttle()
    rate = Rate(limit=1, period=MINUTE)
    check(rate, ["address:1"])

    check(rate, ["address:1", "account:kim"])

    assert "account:kim" not in counter.windows


@pytest.mark.parametrize(("limit", "period"), [(-1, MINUTE), (1, timedelta(0))])
def test_a_rate_needs_a_limit_and_a_period(limit: int, period: timedelta) -> None:
    with pytest.raises(InvalidValue):
        Rate(limit=limit, period=period)
