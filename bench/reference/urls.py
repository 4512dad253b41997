"""The feed, a chat and a plain new chat, written plainly (see the package's docstring)."""

from typing import Any

import openai
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from adapters.orm.models import Chat, Choice, Prompt, Turn

client = openai.OpenAI(max_retries=0)


class ChatSummary(serializers.ModelSerializer):
    author = serializers.CharField(source="member.nickname")

    class Meta:
        model = Chat
        fields = ("id", "title", "author", "created_at", "updated_at", "turn_count", "model")


class Feed(APIView):
    def get(self, request: Request) -> Response:
        chats = Chat.objects.select_related("member").order_by("-id")[:20]
        return Response({"results": ChatSummary(chats, many=True).data})


class PromptOut(serializers.ModelSerializer):
    class Meta:
        model = Prompt
        fields = ("position", "kind", "question", "answer")


class ChoiceOut(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ("index", "role", "content", "finish_reason")


class ChatTurnOut(serializers.ModelSerializer):
    choices = ChoiceOut(many=True)

    class Meta:
        model = Turn
        fields = (
            "index", "content", "status", "created_at", "answered_at", "model", "temperature",
            "max_tokens", "stream", "messages", "response_id", "response_created",
            "response_model", "prompt_tokens", "completion_tokens", "total_tokens", "choices",
        )  # fmt: skip


class ChatOut(ChatSummary):
    prompts = PromptOut(many=True)
    turns = ChatTurnOut(many=True)

    class Meta(ChatSummary.Meta):
        fields = (*ChatSummary.Meta.fields, "prompts", "turns")


class ChatDetail(APIView):
    def get(self, request: Request, pk: int) -> Response:
        # The usual way: the chat with its author, then a query per relation (4 in all).
        chat = get_object_or_404(
            Chat.objects.select_related("member").prefetch_related(
                Prefetch("prompts", Prompt.objects.order_by("position")),
                Prefetch("turns", Turn.objects.order_by("index")),
                Prefetch("turns__choices", Choice.objects.order_by("index")),
            ),
            pk=pk,
        )
        return Response(ChatOut(chat).data)


class Intake(serializers.Serializer):
    current_state = serializers.CharField(max_length=2000)
    goal = serializers.CharField(max_length=2000)
    misc = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class TurnOut(serializers.ModelSerializer):
    class Meta:
        model = Turn
        fields = (
            "id", "chat", "index", "content", "status", "created_at", "answered_at", "model",
            "temperature", "max_tokens", "messages", "response_id", "prompt_tokens",
            "completion_tokens", "total_tokens",
        )  # fmt: skip


class NewChat(APIView):
    def post(self, request: Request) -> Response:
        intake = Intake(data=request.data)
        intake.is_valid(raise_exception=True)
        answers: dict[str, Any] = intake.validated_data
        content = f"Now: {answers['current_state']}\nGoal: {answers['goal']}"
        messages: list[Any] = [
            {"role": "system", "content": "You are a career coach. Answer briefly."},
            {"role": "user", "content": content},
        ]
        now = timezone.now()
        with transaction.atomic():
            chat = Chat.objects.create(
                member_id=settings.REFERENCE_MEMBER, title=answers["goal"][:80],
                created_at=now, updated_at=now, turn_count=1, model=settings.MODEL,
            )  # fmt: skip
            Prompt.objects.bulk_create(
                Prompt(chat=chat, position=i, kind=k, question=k, answer=answers.get(k, ""))
                for i, k in enumerate(("current_state", "goal", "misc"))
            )
            turn = Turn.objects.create(
                chat=chat, index=0, content=content, created_at=now, model=settings.MODEL,
                temperature=0.7, max_tokens=800, stream=False, messages=messages,
            )  # fmt: skip
        completion = client.chat.completions.create(
            model=settings.MODEL, messages=messages, temperature=0.7, max_tokens=800
        )
        with transaction.atomic():
            turn.status = Turn.Status.COMPLETED
            turn.answered_at = timezone.now()
            turn.response_id = completion.id
            turn.response_created = completion.created
            turn.response_model = completion.model
            if completion.usage is not None:
                turn.prompt_tokens = completion.usage.prompt_tokens
                turn.completion_tokens = completion.usage.completion_tokens
                turn.total_tokens = completion.usage.total_tokens
            turn.save()
            Choice.objects.bulk_create(
                Choice(turn=turn, index=c.index, role=c.message.role,
                       content=c.message.content or "", finish_reason=c.finish_reason)
                for c in completion.choices
            )  # fmt: skip
        return Response(TurnOut(turn).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("api/chats/", Feed.as_view()),
    path("api/chats/<int:pk>/", ChatDetail.as_view()),
    path("api/new-chat/", NewChat.as_view()),
]
