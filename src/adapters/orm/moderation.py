from datetime import datetime

from django.db import IntegrityError, transaction

from adapters.orm.models import ModerationAction
from adapters.orm.models import Report as ReportRow
from application.errors import AlreadyReported
from application.ports import ModerationLog, ReportRepository
from domain.ids import ChatId, MemberId
from domain.moderation import ModerationRecord, ReportReason


class DjangoReportRepository(ReportRepository):
    def add(
        self, chat_id: ChatId, member_id: MemberId, reason: ReportReason, detail: str, at: datetime
    ) -> None:
        # The use case holds the chat's lock, so a member's second report is found here; the
        # unique constraint backs it (in a savepoint, so the transaction stays usable).
        if ReportRow.objects.filter(chat_id=chat_id, member_id=member_id).exists():
            raise AlreadyReported("You reported this chat already.")
        try:
            with transaction.atomic():
                ReportRow.objects.create(
                    chat_id=chat_id,
                    member_id=member_id,
                    reason=reason.value,
                    detail=detail,
                    created_at=at,
                )
        except IntegrityError as error:
            raise AlreadyReported("You reported this chat already.") from error

    def open_reporters(self, chat_id: ChatId) -> int:
        return (
            ReportRow.objects.filter(
                chat_id=chat_id, closed_at__isnull=True, member__email_verified=True
            )
            .values("member_id")
            .distinct()
            .count()
        )

    def close_open(self, chat_id: ChatId, at: datetime) -> int:
        return ReportRow.objects.filter(chat_id=chat_id, closed_at__isnull=True).update(
            closed_at=at
        )


class DjangoModerationLog(ModerationLog):
    def record(self, entry: ModerationRecord) -> None:
        ModerationAction.objects.create(
            kind=entry.kind.value,
            at=entry.at,
            actor_id=entry.actor,
            chat_id=entry.chat_id,
            member_id=entry.member_id,
            reason=entry.reason,
            note=entry.note,
        )
