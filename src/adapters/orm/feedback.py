from datetime import datetime

from django.db.models import Exists, OuterRef

from adapters.orm.models import AnswerRating
from adapters.orm.models import Choice as ChoiceRow
from adapters.orm.models import Turn as TurnRow
from application.errors import ChatNotFound
from application.ports import GivenRating, RatingRepository, RatingTarget
from domain.chat import TurnStatus
from domain.feedback import Rating
from domain.ids import ChatId, MemberId, TurnId


class DjangoRatingRepository(RatingRepository):
    def target(self, chat_id: ChatId, turn_id: TurnId) -> RatingTarget:
        text = ChoiceRow.objects.filter(turn=OuterRef("pk")).exclude(content="")
        row = (
            TurnRow.objects.filter(pk=turn_id, chat_id=chat_id)
            .annotate(has_text=Exists(text))
            .values_list("chat__member_id", "chat__hidden_at", "status", "has_text")
            .first()
        )
        if row is None:
            raise ChatNotFound("No such turn in this chat.")
        owner, hidden_at, status, has_text = row
        return RatingTarget(MemberId(owner), hidden_at is not None, TurnStatus(status), has_text)

    def rate(self, turn_id: TurnId, member_id: MemberId, rating: Rating, at: datetime) -> None:
        # One upsert (INSERT … ON CONFLICT DO UPDATE on both databases): two racing requests of
        # one member leave one row, the last one's.
        AnswerRating.objects.bulk_create(
            [AnswerRating(turn_id=turn_id, member_id=member_id, rating=int(rating), rated_at=at)],
            update_conflicts=True,
            unique_fields=["turn", "member"],
            update_fields=["rating", "rated_at"],
        )

    def withdraw(self, turn_id: TurnId, member_id: MemberId) -> None:
        AnswerRating.objects.filter(turn_id=turn_id, member_id=member_id).delete()

    def of_member(self, member_id: MemberId) -> list[GivenRating]:
        rows = AnswerRating.objects.filter(member_id=member_id).order_by("rated_at", "id")
        return [
            GivenRating(ChatId(chat), TurnId(turn), Rating(rating), at)
            for chat, turn, rating, at in rows.values_list(
                "turn__chat_id", "turn_id", "rating", "rated_at"
            )
        ]
