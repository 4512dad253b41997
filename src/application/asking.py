"""The part of a chat request shared by starting a chat and sending a message."""

from application.errors import (
    ChatNotFound,
    DailyQuotaExceeded,
    ModelError,
    ValidationFailed,
)
from application.ports import ChatModel, Clock, QuotaLedger, Reservation, UnitOfWork
from domain.chat import Guide, Turn
from domain.errors import DomainError
from domain.ids import ChatId, MemberId
from domain.member import Member
from domain.quota import DailyQuotaPolicy

INTERNAL_ERROR = "internal_error"


class ChatSettings:
    """What every chat request needs besides its ports: the bot's guide and the quota policy."""

    def __init__(self, guide: Guide, policy: DailyQuotaPolicy) -> None:
        self.guide = guide
        self.policy = policy


def invalid(error: DomainError) -> ValidationFailed:
    return ValidationFailed({error.field or "non_field_errors": [error.detail]})


def reserve(
    quota: QuotaLedger, member: Member, policy: DailyQuotaPolicy, clock: Clock
) -> Reservation:
    now = clock.now()
    limit = policy.limit_for(member.daily_limit)
    reservation = quota.reserve(MemberId(member.id), policy.day_of(now), limit)
    if reservation is None:
        raise DailyQuotaExceeded(limit, policy.resets_at(now))
    return reservation


def answer(
    uow: UnitOfWork,
    model: ChatModel,
    clock: Clock,
    reservation: Reservation,
    chat_id: ChatId,
    turn: Turn,
) -> Turn:
    """Ask the model with no transaction open, then store the answer, or give the request back
    and mark the turn failed. The question is stored either way."""
    try:
        completion = model.complete(turn.request)
    except BaseException as error:
        code = error.code if isinstance(error, ModelError) else INTERNAL_ERROR
        with uow:
            uow.quota.refund(reservation)
            turn.fail(code, clock.now())
            uow.chats.save_outcome(turn)
            uow.commit()
        if isinstance(error, ModelError):
            error.extra.update(chat_id=chat_id, turn_id=turn.id)
        raise
    with uow:
        turn.complete(completion, clock.now())
        kept = uow.chats.save_outcome(turn)
        uow.commit()
    if not kept:
        raise ChatNotFound("The chat was deleted while the model was answering.")
    return turn
