from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.chat import TurnStatus
from domain.errors import InvalidValue

USAGE_DAYS_MAX = 90
USAGE_DAYS_DEFAULT = 30


@dataclass(frozen=True, slots=True)
class DailyQuotaPolicy:
    """At most `limit` model requests per member per calendar day in `time_zone`."""

    limit: int
    time_zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.limit < 0:
            raise InvalidValue("The daily limit cannot be negative.", field="limit")

    def day_of(self, instant: datetime) -> date:
        if instant.tzinfo is None:
            raise InvalidValue("Instants must be timezone-aware.")
        return instant.astimezone(self.time_zone).date()

    def resets_at(self, instant: datetime) -> datetime:
        """The next local midnight after `instant`, when a new allowance starts."""
        next_day = self.day_of(instant) + timedelta(days=1)
        return datetime.combine(next_day, time.min, tzinfo=self.time_zone)

    def limit_for(self, override: int | None) -> int:
        return self.limit if override is None else override


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    limit: int
    used: int
    resets_at: datetime

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


def usage_window(days: int, today: date) -> tuple[date, date]:
    """The first and last day of a usage read of `days` calendar days ending with `today`
    (days=1: today alone)."""
    if type(days) is not int or not 1 <= days <= USAGE_DAYS_MAX:
        raise InvalidValue(f"days is a whole number from 1 to {USAGE_DAYS_MAX}.", field="days")
    return today - timedelta(days=days - 1), today


class RequestOutcome(StrEnum):
    """What became of a request taken from the allowance, as its receipt says."""

    CHARGED = "charged"  # the answer came: it counts
    REFUNDED = "refunded"  # the model failed (or was stopped before any text): given back
    STOPPED = "stopped"  # the member stopped the answer after some text came: it counts
    PENDING = "pending"  # the answer is still being written: it counts unless it fails

    @classmethod
    def of(cls, refunded: bool, status: TurnStatus | None) -> "RequestOutcome":
        """From the ledger (given back or not) and the turn it paid for (None: its chat was
        deleted, and with it whether it was stopped)."""
        if refunded:
            return cls.REFUNDED
        if status is TurnStatus.STOPPED:
            return cls.STOPPED
        if status is TurnStatus.PENDING:
            return cls.PENDING
        return cls.CHARGED
