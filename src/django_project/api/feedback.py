from typing import Any

from dependency_injector.wiring import Provide, inject
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.feedback import RateAnswer, RateAnswerInput, WithdrawRating
from django_project.api.authentication import requesting_member
from django_project.api.serializers import errors
from django_project.container import Container
from domain.ids import ChatId, TurnId


class RatingField(serializers.IntegerField):
    """Takes the value as sent: the use case decides (domain.feedback.parse_rating), so `true`,
    "1" and 1.0 are refused rather than turned into 1 as DRF's IntegerField would."""

    def to_internal_value(self, data: Any) -> Any:
        return data


class TurnFeedbackApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema_serializer(component_name="RatingInput")
    class InputSerializer(serializers.Serializer[Any]):
        rating = RatingField(help_text="1 (thumbs up) or -1 (thumbs down), a JSON integer.")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: inline_serializer("Rating", {"my_rating": serializers.IntegerField()}),
            **errors(400, 401, 404, 409),
        },
        tags=["chats"],
    )
    @inject
    def post(
        self,
        request: Request,
        chat_id: int,
        turn_id: int,
        rate: RateAnswer = Provide[Container.rate_answer],
    ) -> Response:
        """Rate an answer, thumbs up or down: once per member per answer, a second rating
        replaces the first. Any logged-in member who may read the chat, its author too. A
        turn without an answer (pending, failed) is `not_answered`."""
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rating = rate(
            RateAnswerInput(
                chat_id=ChatId(chat_id),
                turn_id=TurnId(turn_id),
                member_id=requesting_member(request),
                rating=body.validated_data["rating"],
            )
        )
        return Response({"my_rating": int(rating)})

    @extend_schema(request=None, responses={204: None, **errors(401, 404)}, tags=["chats"])
    @inject
    def delete(
        self,
        request: Request,
        chat_id: int,
        turn_id: int,
        withdraw: WithdrawRating = Provide[Container.withdraw_rating],
    ) -> Response:
        """Take one's rating of the answer back (204 also when there was none)."""
        withdraw(ChatId(chat_id), TurnId(turn_id), requesting_member(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
