from typing import Any

from dependency_injector.wiring import Provide, inject
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.moderation import ReportChat, ReportChatInput
from django_project.api.authentication import requesting_member
from django_project.api.serializers import TextField, errors, validated
from django_project.api.throttling import PerMemberThrottle
from django_project.container import Container
from domain.ids import ChatId
from domain.moderation import DETAIL_MAX, ReportReason

_REPORT = inline_serializer(
    "Report",
    {
        "chat_id": serializers.IntegerField(),
        "reason": serializers.CharField(),
        "detail": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
    },
)


class ChatReportCreateApi(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_classes = (PerMemberThrottle,)
    throttle_scope = "report"

    @extend_schema_serializer(component_name="ReportInput")
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.ChoiceField(choices=[r.value for r in ReportReason])
        detail = TextField(max_length=DETAIL_MAX, required=False, allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses={201: _REPORT, **errors(400, 401, 403, 404, 409, 429)},
        tags=["chats"],
    )
    @inject
    def post(
        self, request: Request, chat_id: int, report: ReportChat = Provide[Container.report_chat]
    ) -> Response:
        """Report someone else's chat to staff, once per chat; needs a verified email
        (`email_unverified`). Your own chat is `own_chat`, a second report `already_reported`.
        When enough members' reports are open on a chat it is hidden pending review."""
        body = validated(self.InputSerializer, request.data)
        made = report(
            ReportChatInput(
                chat_id=ChatId(chat_id),
                member_id=requesting_member(request),
                reason=body["reason"],
                detail=body.get("detail"),
            )
        )
        return Response(
            {
                "chat_id": made.chat_id,
                "reason": made.reason.value,
                "detail": made.detail,
                "created_at": made.created_at,
            },
            status=status.HTTP_201_CREATED,
        )
