"""How many attempts a client may make (log in, sign up) in a span of time."""

from dataclasses import dataclass
from datetime import timedelta

from domain.errors import InvalidValue


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `limit` attempts in a window of `period` that opens at the first attempt: a
    fixed window, so a burst gets exactly `limit` through, and a patient client at most twice
    `limit` in any `period` that spans two windows."""

    limit: int
    period: timedelta

    def __post_init__(self) -> None:
        if self.limit < 0:
            raise InvalidValue("A rate's limit cannot be negative.", field="limit")
        if self.period <= timedelta(0):
            raise InvalidValue("A rate's period must be positive.", field="period")

    def admits(self, count: int) -> bool:
        """Whether the `count`-th attempt of a window is allowed."""
        return count <= self.limit
