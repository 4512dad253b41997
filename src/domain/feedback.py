"""Members' thumbs up or down on the coach's answers (README, "Rating answers")."""

from enum import IntEnum

from domain.chat import TurnStatus
from domain.errors import InvalidValue


class Rating(IntEnum):
    UP = 1
    DOWN = -1


def parse_rating(value: object) -> Rating:
    """JSON's integer 1 or -1 and nothing else: not `true` (a bool is an int in Python), not
    "1", not 1.0."""
    if type(value) is not int or value not in (Rating.UP, Rating.DOWN):
        raise InvalidValue("A rating is 1 (thumbs up) or -1 (thumbs down).", field="rating")
    return Rating(value)


def may_be_rated(status: TurnStatus, has_answer_text: bool) -> bool:
    """An answer exists to be rated: the model finished it, or the member stopped it after some
    text came (a charged stop). A pending or failed turn has no answer of its own."""
    if status is TurnStatus.COMPLETED:
        return True
    return status is TurnStatus.STOPPED and has_answer_text
