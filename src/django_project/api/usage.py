import re
from typing import Any

from dependency_injector.wiring import Provide, inject
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.errors import ValidationFailed
from application.usage import ListUsage, Usage
from django_project.api.authentication import requesting_member
from django_project.api.serializers import QuotaOutput, errors
from django_project.container import Container
from domain.quota import USAGE_DAYS_DEFAULT, USAGE_DAYS_MAX, RequestOutcome

_RECEIPT = inline_serializer(
    "UsageReceipt",
    {
        "at": serializers.DateTimeField(help_text="When the request was made."),
        "outcome": serializers.ChoiceField(
            choices=[o.value for o in RequestOutcome],
            help_text="`charged`; `refunded`: given back (the model failed, or the answer was "
            "stopped before any text); `stopped`: stopped after some text came, charged; "
            "`pending`: the answer is still being written.",
        ),
        "chat": inline_serializer(
            "UsageChat",
            {"id": serializers.IntegerField(), "title": serializers.CharField()},
            allow_null=True,
            help_text="null: the chat was deleted since.",
        ),
    },
    many=True,
)
_USAGE = inline_serializer(
    "Usage",
    {
        "first_day": serializers.DateField(),
        "last_day": serializers.DateField(help_text="Today, in the quota's time zone."),
        "today": QuotaOutput(help_text="As GET /api/me/ shows it."),
        "days": inline_serializer(
            "UsageDay",
            {
                "day": serializers.DateField(),
                "used": serializers.IntegerField(help_text="What the day counts (or counted)."),
                "refunded": serializers.IntegerField(),
                "receipts": _RECEIPT,
            },
            many=True,
            help_text="Newest first; days without requests are left out.",
        ),
    },
)


def _days(request: Request) -> int:
    raw = request.query_params.get("days")
    if raw is None:
        return USAGE_DAYS_DEFAULT
    if not re.fullmatch(r"[0-9]{1,3}", raw):
        raise ValidationFailed({"days": [f"days is a whole number from 1 to {USAGE_DAYS_MAX}."]})
    return int(raw)


def usage_data(usage: Usage) -> dict[str, Any]:
    zone = usage.today.resets_at.tzinfo
    return {
        "first_day": usage.first_day.isoformat(),
        "last_day": usage.last_day.isoformat(),
        "today": QuotaOutput(usage.today).data,
        "days": [
            {
                "day": day.day.isoformat(),
                "used": day.used,
                "refunded": day.refunded,
                "receipts": [
                    {
                        "at": r.at.astimezone(zone).isoformat(),
                        "outcome": r.outcome.value,
                        "chat": None
                        if r.chat_id is None
                        else {"id": r.chat_id, "title": r.chat_title},
                    }
                    for r in day.receipts
                ],
            }
            for day in usage.days
        ],
    }


class MeUsageApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "days",
                int,
                description=f"How many calendar days (in the quota's time zone) ending today: "
                f"1 to {USAGE_DAYS_MAX}, {USAGE_DAYS_DEFAULT} by default; 1 is today alone.",
            )
        ],
        responses={200: _USAGE, **errors(400, 401)},
        tags=["me"],
    )
    @inject
    def get(
        self, request: Request, list_usage: ListUsage = Provide[Container.list_usage]
    ) -> Response:
        """The member's receipts: each request taken from their daily allowance over the last
        days, with its chat, time and outcome, grouped by day, and today's quota."""
        usage = list_usage(requesting_member(request), _days(request))
        response = Response(usage_data(usage))
        response["Cache-Control"] = "private, no-store"
        return response
