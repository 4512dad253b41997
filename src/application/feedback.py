"""Members rate the coach's answers, thumbs up or down (README, "Rating answers").

Who may: any logged-in member who may read the chat, its author included; a chat hidden by
moderation is not found by anyone but its owner. What: an answer, i.e. a turn the model
finished or its owner stopped after some text came. Once per member per answer; a new rating
replaces the old one, and a member may take theirs back."""

from dataclasses import dataclass

from application.asking import acting_member, invalid
from application.chats import visible_to
from application.errors import ChatNotFound, NotAnswered
from application.ports import Clock, RatingTarget, UnitOfWork
from domain.errors import DomainError
from domain.feedback import Rating, may_be_rated, parse_rating
from domain.ids import ChatId, MemberId, TurnId


@dataclass(frozen=True, slots=True)
class RateAnswerInput:
    chat_id: ChatId
    turn_id: TurnId
    member_id: MemberId
    rating: object  # as sent: parse_rating decides


def _readable(target: RatingTarget, member_id: MemberId) -> None:
    # The rule every read of a chat follows; staff read hidden chats to moderate them, not to
    # rate their answers, so they are not let in here.
    if not visible_to(target.owner_id, target.hidden, member_id, staff=False):
        raise ChatNotFound("No such chat.")


class RateAnswer:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, data: RateAnswerInput) -> Rating:
        try:
            rating = parse_rating(data.rating)
        except DomainError as error:
            raise invalid(error) from error
        with self._uow as uow:
            acting_member(uow, data.member_id)
            target = uow.ratings.target(data.chat_id, data.turn_id)
            _readable(target, data.member_id)
            if not may_be_rated(target.status, target.has_answer_text):
                raise NotAnswered("This turn has no answer to rate.")
            uow.ratings.rate(data.turn_id, data.member_id, rating, self._clock.now())
            uow.commit()
        return rating


class WithdrawRating:
    """Take one's rating back; nothing happens when there was none."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def __call__(self, chat_id: ChatId, turn_id: TurnId, member_id: MemberId) -> None:
        with self._uow as uow:
            acting_member(uow, member_id)
            _readable(uow.ratings.target(chat_id, turn_id), member_id)
            uow.ratings.withdraw(turn_id, member_id)
            uow.commit()
