from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.errors import InvalidValue


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
