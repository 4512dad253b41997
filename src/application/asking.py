"""The part of a chat request shared by starting a chat and sending a message.

A request goes in two steps so that a streamed answer can ask the model as early as possible:
`admit` checks the input, reads what the request needs and takes one request from the quota
(nothing is stored for a request that is turned away); the admitted turn's `record` then stores
it, pending, which a streamed answer does while the model is already working on it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.errors import (
    DailyQuotaExceeded,
    MemberInactive,
    MemberNotFound,
    ModelError,
    PersonalDataRefused,
    ValidationFailed,
)
from application.ports import Charge, ChatModel, Clock, QuotaLedger, Reservation, UnitOfWork
from application.rules import ChatRules
from domain.chat import Guide, Turn
from domain.errors import DomainError
from domain.ids import ChatId, MemberId
from domain.member import Member
from domain.personal_data import PersonalDataFound, check_public_text
from domain.quota import DailyQuotaPolicy

INTERNAL_ERROR = "internal_error"
INTERRUPTED = "interrupted"  # the server stopped while the model was answering


class ChatSettings:
    """What every chat request needs besides its ports: the bot's guide, the quota policy, the
    models members may choose from (the guide's model first, as the default), how long a
    pending turn may go without news before it counts as interrupted, and who may chat."""

    def __init__(
        self,
        guide: Guide,
        policy: DailyQuotaPolicy,
        models: Sequence[str] = (),
        lease: timedelta = timedelta(minutes=2),
        rules: ChatRules | None = None,
    ) -> None:
        self.guide = guide
        self.policy = policy
        default = guide.sampling.model
        self.models = (default, *(m for m in models if m != default))
        self.lease = lease
        self.rules = rules or ChatRules()

    def choose_model(self, wanted: str | None) -> str:
        if wanted is None or wanted == "":
            return self.models[0]
        if wanted not in self.models:
            raise ValidationFailed({"model": [f"Choose one of: {', '.join(self.models)}."]})
        return wanted


@dataclass(frozen=True, slots=True)
class PreparedTurn:
    """A stored, pending turn whose request has been paid for."""

    chat_id: ChatId
    turn: Turn
    reservation: Reservation


@dataclass(frozen=True, slots=True)
class AdmittedTurn:
    """A turn whose request has been paid for, built and not stored yet. `record()` stores it
    and returns it prepared; when that fails, the request is given back and the error raised."""

    turn: Turn
    reservation: Reservation
    record: Callable[[], PreparedTurn]


def invalid(error: DomainError) -> ValidationFailed:
    return ValidationFailed({error.field or "non_field_errors": [error.detail]})


def refuse_personal_data(fields: dict[str, str]) -> None:
    """Before anything is stored or reserved: public text must not hold a resident registration
    or payment card number (domain.personal_data)."""
    try:
        check_public_text(fields)
    except PersonalDataFound as found:
        raise PersonalDataRefused(found.detail, field=found.field or "", kind=found.kind) from None


def acting_member(uow: UnitOfWork, member_id: MemberId) -> Member:
    """The member making the request. Their token was checked without a database read, so a
    member deactivated or deleted since it was issued is turned away here."""
    try:
        return uow.members.get(member_id)
    except MemberNotFound as error:
        raise MemberInactive("This member is no longer active; log in again.") from error


def chatting_member(uow: UnitOfWork, member_id: MemberId, rules: ChatRules) -> Member:
    """The member making a chat request, once they may chat (ChatRules): checked before
    anything is reserved or stored."""
    member = acting_member(uow, member_id)
    rules.check(member)
    return member


def charge(member: Member, policy: DailyQuotaPolicy, now: datetime) -> Charge:
    """The request a chat request takes from the member's allowance of today."""
    return Charge(MemberId(member.id), policy.day_of(now), policy.limit_for(member.daily_limit))


def exceeded(charge: Charge, policy: DailyQuotaPolicy, now: datetime) -> DailyQuotaExceeded:
    return DailyQuotaExceeded(charge.limit, policy.resets_at(now))


def reserve(
    quota: QuotaLedger, member: Member, policy: DailyQuotaPolicy, clock: Clock
) -> Reservation:
    now = clock.now()
    wanted = charge(member, policy, now)
    reservation = quota.reserve(wanted.member_id, wanted.day, wanted.limit)
    if reservation is None:
        raise exceeded(wanted, policy, now)
    return reservation


def refunding_on_failure(
    uow: UnitOfWork, reservation: Reservation, store: Callable[[], PreparedTurn]
) -> PreparedTurn:
    try:
        return store()
    except BaseException:
        uow.quota.refund(reservation)
        raise


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
    turn.complete(completion, clock.now())
    if not uow.chats.save_outcome(turn):  # one write, atomic on its own
        assert turn.id is not None, "a prepared turn is stored"
        # Raises ChatNotFound when the chat was deleted while the model was answering.
        uow.chats.turn_status(chat_id, turn.id)
        raise swept(chat_id, turn)
    return turn


def swept(chat_id: ChatId, turn: Turn) -> ModelError:
    """The answer came, but a lease sweep had already failed its turn as interrupted and given
    the request back: the turn stays so, and the member is told the answer was lost."""
    error = ModelError("The answer was interrupted; ask again.")
    error.code = INTERRUPTED
    error.extra.update(chat_id=chat_id, turn_id=turn.id)
    return error
