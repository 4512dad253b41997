"""Reports of chats, and staff's review of them (docs/security.md, "Reports and moderation").

Every rule of moderation is here: who may report, when reports hide a chat, and what each of
staff's actions does and records. The Django admin only calls these."""

from dataclasses import dataclass
from datetime import datetime

from application.asking import acting_member, invalid
from application.errors import ChatNotFound, EmailUnverified, OwnChatReport, ValidationFailed
from application.ports import Clock, UnitOfWork
from domain.errors import DomainError
from domain.ids import ChatId, MemberId
from domain.moderation import (
    REPORTS,
    Hidden,
    ModerationKind,
    ModerationRecord,
    ReportReason,
    hides_now,
    validate_detail,
)


@dataclass(frozen=True, slots=True)
class ReportChatInput:
    chat_id: ChatId
    member_id: MemberId
    reason: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ReportChatOutput:
    chat_id: ChatId
    reason: ReportReason
    detail: str
    created_at: datetime


class ReportChat:
    """A member with a verified email reports someone else's visible chat, once. When reports
    from `reports_to_hide` distinct verified members are open on it, the chat is hidden at once,
    pending staff's review, in the same transaction as the report that tipped it."""

    def __init__(self, uow: UnitOfWork, clock: Clock, reports_to_hide: int) -> None:
        self._uow = uow
        self._clock = clock
        self._reports_to_hide = reports_to_hide

    def __call__(self, data: ReportChatInput) -> ReportChatOutput:
        try:
            reason = ReportReason(data.reason)
        except ValueError:
            choices = ", ".join(r.value for r in ReportReason)
            raise ValidationFailed({"reason": [f"Choose one of: {choices}."]}) from None
        try:
            detail = validate_detail(data.detail)
        except DomainError as error:
            raise invalid(error) from error
        with self._uow as uow:
            member = acting_member(uow, data.member_id)
            if not member.email_verified:
                raise EmailUnverified("Verify your email to report chats.")
            # The chat's row stays locked until the commit: concurrent reports of one chat take
            # turns, so each counts every report committed before it and none of them can miss
            # the count that hides the chat.
            owner, hidden = uow.chats.moderation_of(data.chat_id)
            if hidden is not None:
                raise ChatNotFound("No such chat.")
            if owner == data.member_id:
                raise OwnChatReport("You cannot report your own chat; delete it instead.")
            now = self._clock.now()
            uow.reports.add(data.chat_id, data.member_id, reason, detail, now)
            reporters = uow.reports.open_reporters(data.chat_id)
            if hides_now(reporters, self._reports_to_hide):
                uow.chats.hide(data.chat_id, Hidden(REPORTS, now))
                uow.moderation_log.record(
                    ModerationRecord(
                        ModerationKind.AUTO_HIDE,
                        now,
                        actor=None,
                        chat_id=data.chat_id,
                        member_id=owner,
                        reason=REPORTS,
                        note=f"Open reports from {reporters} verified members; hidden for review.",
                    )
                )
            uow.commit()
        return ReportChatOutput(data.chat_id, reason, detail, now)


@dataclass(frozen=True, slots=True)
class ModerateInput:
    """A staff member's action on a chat; `note` says why, for the log."""

    chat_id: ChatId
    actor: MemberId
    note: str = ""


@dataclass(frozen=True, slots=True)
class HideChatInput(ModerateInput):
    reason: str = ReportReason.OTHER.value


class HideChat:
    """Staff hide a chat for a reason its owner is told (one of the report reasons). The chat's
    open reports are closed: staff have reviewed them, so a chat hidden by reports is thereby
    confirmed hidden."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, data: HideChatInput) -> None:
        if data.reason not in {r.value for r in ReportReason}:
            choices = ", ".join(r.value for r in ReportReason)
            raise ValidationFailed({"reason": [f"Choose one of: {choices}."]})
        with self._uow as uow:
            owner, _ = uow.chats.moderation_of(data.chat_id)
            now = self._clock.now()
            uow.chats.hide(data.chat_id, Hidden(data.reason, now, by=data.actor))
            uow.reports.close_open(data.chat_id, now)
            uow.moderation_log.record(
                ModerationRecord(
                    ModerationKind.HIDE,
                    now,
                    data.actor,
                    data.chat_id,
                    owner,
                    reason=data.reason,
                    note=data.note,
                )
            )
            uow.commit()


class RestoreChat:
    """Staff show a hidden chat again; its open reports are closed as reviewed, so only new
    reports (from members who have not reported it) can hide it again."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, data: ModerateInput) -> None:
        with self._uow as uow:
            owner, _ = uow.chats.moderation_of(data.chat_id)
            now = self._clock.now()
            uow.chats.unhide(data.chat_id)
            uow.reports.close_open(data.chat_id, now)
            uow.moderation_log.record(
                ModerationRecord(
                    ModerationKind.RESTORE, now, data.actor, data.chat_id, owner, note=data.note
                )
            )
            uow.commit()


class DismissReports:
    """Staff find a chat's open reports unfounded and close them. A chat that reports alone hid
    is shown again, as what hid it is gone; one staff hid stays hidden."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, data: ModerateInput) -> None:
        with self._uow as uow:
            owner, hidden = uow.chats.moderation_of(data.chat_id)
            now = self._clock.now()
            closed = uow.reports.close_open(data.chat_id, now)
            if hidden is not None and hidden.by is None:
                uow.chats.unhide(data.chat_id)
            note = data.note or f"{closed} reports dismissed."
            uow.moderation_log.record(
                ModerationRecord(
                    ModerationKind.DISMISS, now, data.actor, data.chat_id, owner, note=note
                )
            )
            uow.commit()


class DeactivateAuthor:
    """Staff deactivate the member who wrote a chat: they cannot log in, and every token they
    hold is refused from the next request on. Their chats stay as they are (hide them one by
    one); their reports of others' chats stay too."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, data: ModerateInput) -> None:
        with self._uow as uow:
            owner, _ = uow.chats.moderation_of(data.chat_id)
            uow.members.deactivate(owner)
            uow.members.revoke_logins(owner)
            uow.moderation_log.record(
                ModerationRecord(
                    ModerationKind.DEACTIVATE,
                    self._clock.now(),
                    data.actor,
                    data.chat_id,
                    owner,
                    note=data.note,
                )
            )
            uow.commit()
