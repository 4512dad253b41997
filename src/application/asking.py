"""The part of a chat request shared by starting a chat and sending a message."""

from collections.abc import Sequence
from dataclasses import dataclass

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
INTERRUPTED = "interrupted"  # the server stopped while the model was answering


class ChatSettings:
    """What every chat request needs besides its ports: the bot's guide, the quota policy and
    the models members may choose from (the guide's model first, as the default)."""

    def __init__(self, guide: Guide, policy: DailyQuotaPolicy, models: Sequence[str] = ()) -> None:
        self.guide = guide
        self.policy = policy
        default = guide.sampling.model
        self.models = (default, *(m for m in models if m != default))

    def choose_model(self, wanted: str | None) -> str:
        if wanted is None or wanted == "":
            return self.models[0]
        if wanted not in self.models:
            raise ValidationFailed({"model": [f"Choose one of: {', '.join(self.models)}."]})
        return wanted


@dataclass(frozen=True, slots=True)
class PreparedTurn:
    """A stored, pending turn whose request has been paid for and not yet sent."""

    chat_id: ChatId
    turn: Turn
    reservation: Reservation


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


def answer(uow: UnitOfWork, model: ChatModel, clock: Clock, prepared: PreparedTurn) -> Turn:
    """Ask the model with no transaction open, then store the answer, or give the request back
    and mark the turn failed. The question is stored either way."""
    turn, reservation, chat_id = prepared.turn, prepared.reservation, prepared.chat_id
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
