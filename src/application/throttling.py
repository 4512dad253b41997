from collections.abc import Sequence
from datetime import timedelta

from application.ports import AttemptCounter, Clock
from domain.throttle import Rate


class Throttle:
    """An attempt (a login, a sign-up) counted against a rate under each of its keys: the
    client's address, the account it names. Refused under the first key whose window is full;
    the keys after it are not counted, so a flood from one address does not also fill the
    account's window."""

    def __init__(self, counter: AttemptCounter, clock: Clock) -> None:
        self._counter = counter
        self._clock = clock

    def __call__(self, rate: Rate, keys: Sequence[str]) -> timedelta | None:
        """None when the attempt may go on; else how long until the full window ends."""
        now = self._clock.now()
        for key in keys:
            window = self._counter.count(key, now, rate.period)
            if not rate.admits(window.count):
                # A concurrent attempt that read the clock after this one but counted first
                # opened the window later than `now`: the wait is never more than a period.
                return min(max(window.ends_at - now, timedelta(0)), rate.period)
        return None
