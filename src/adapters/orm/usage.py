from datetime import date

from django.db.models import OuterRef, Subquery

from adapters.orm.models import DailyUsage, QuotaReservation
from adapters.orm.models import Turn as TurnRow
from application.ports import LedgerEntry, UsageQueries
from domain.chat import TurnStatus
from domain.ids import ChatId, MemberId


class DjangoUsageQueries(UsageQueries):
    """One query each, whatever the number of requests: a reservation's turn (found by
    Turn.reservation, its one turn) and chat come in subqueries on that foreign key's index."""

    def entries(self, member: MemberId, first: date, last: date) -> list[LedgerEntry]:
        turn = TurnRow.objects.filter(reservation=OuterRef("pk"))
        rows = (
            QuotaReservation.objects.filter(member_id=member, day__range=(first, last))
            .annotate(
                turn_status=Subquery(turn.values("status")[:1]),
                chat=Subquery(turn.values("chat_id")[:1]),
                chat_title=Subquery(turn.values("chat__title")[:1]),
            )
            .order_by("-created_at", "-pk")
            .values_list("created_at", "day", "refunded_at", "chat", "chat_title", "turn_status")
        )
        return [
            LedgerEntry(
                at=at,
                day=day,
                refunded=refunded_at is not None,
                chat_id=None if chat is None else ChatId(chat),
                chat_title=title,
                turn_status=None if status is None else TurnStatus(status),
            )
            for at, day, refunded_at, chat, title, status in rows
        ]

    def used_by_day(self, member: MemberId, first: date, last: date) -> dict[date, int]:
        rows = DailyUsage.objects.filter(member_id=member, day__range=(first, last), used__gt=0)
        return dict(rows.values_list("day", "used"))
