"""A member's receipts: every request taken from their daily allowance over the last days, with
its chat, its time and what became of it, from the quota ledger (README, "Usage receipts")."""

from dataclasses import dataclass
from datetime import date, datetime

from application.asking import ChatSettings, acting_member, invalid
from application.ports import Clock, UnitOfWork, UsageQueries
from domain.errors import DomainError
from domain.ids import ChatId, MemberId
from domain.quota import USAGE_DAYS_DEFAULT, QuotaStatus, RequestOutcome, usage_window


@dataclass(frozen=True, slots=True)
class Receipt:
    at: datetime
    outcome: RequestOutcome
    chat_id: ChatId | None  # None: the chat was deleted since
    chat_title: str | None


@dataclass(frozen=True, slots=True)
class UsageDay:
    day: date
    used: int  # what the day counts against the allowance (today's is the quota's `used`)
    refunded: int
    receipts: tuple[Receipt, ...]


@dataclass(frozen=True, slots=True)
class Usage:
    first_day: date
    last_day: date  # today, in the quota's time zone
    today: QuotaStatus
    days: tuple[UsageDay, ...]  # newest first; only days with a request or a count


class ListUsage:
    def __init__(
        self, uow: UnitOfWork, usage: UsageQueries, settings: ChatSettings, clock: Clock
    ) -> None:
        self._uow = uow
        self._usage = usage
        self._policy = settings.policy
        self._clock = clock

    def __call__(self, member_id: MemberId, days: int = USAGE_DAYS_DEFAULT) -> Usage:
        now = self._clock.now()
        try:
            first, last = usage_window(days, self._policy.day_of(now))
        except DomainError as error:
            raise invalid(error) from error
        member = acting_member(self._uow, member_id)
        entries = self._usage.entries(member_id, first, last)
        used = self._usage.used_by_day(member_id, first, last)
        by_day: dict[date, list[Receipt]] = {}
        for entry in entries:
            outcome = RequestOutcome.of(entry.refunded, entry.turn_status)
            receipt = Receipt(entry.at, outcome, entry.chat_id, entry.chat_title)
            by_day.setdefault(entry.day, []).append(receipt)
        days_shown = sorted({*by_day, *used}, reverse=True)
        today = QuotaStatus(
            limit=self._policy.limit_for(member.daily_limit),
            used=used.get(last, 0),
            resets_at=self._policy.resets_at(now),
        )
        return Usage(
            first_day=first,
            last_day=last,
            today=today,
            days=tuple(
                UsageDay(
                    day=day,
                    used=used.get(day, 0),
                    refunded=sum(r.outcome is RequestOutcome.REFUNDED for r in by_day.get(day, [])),
                    receipts=tuple(by_day.get(day, [])),
                )
                for day in days_shown
            ),
        )
