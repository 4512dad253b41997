from collections.abc import Callable, Sequence
from typing import Any

from dependency_injector.wiring import Provide, inject
from django.utils import translation
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.asking import ChatSettings
from application.chats import (
    DeleteChat,
    GetChat,
    ListChats,
    ListChatsInput,
    ListIntakeQuestions,
    UpdateChat,
    UpdateChatInput,
)
from application.following import FollowAnswer
from application.search import SearchChats, SearchChatsInput, parse_query
from application.send_message import SendMessage, SendMessageInput
from application.start_chat_session import StartChatSession, StartChatSessionInput
from application.streaming import StopAnswer, StreamAnswer
from django_project.api import caching
from django_project.api.authentication import TokenAuthentication, requesting_member
from django_project.api.pagination import (
    next_search_url,
    next_url,
    page_query,
    search_page_query,
)
from django_project.api.serializers import (
    ChatListItemOutput,
    ChatOutput,
    StrictBooleanField,
    TextField,
    TurnOutput,
    chat_data,
    errors,
    search_data,
    summaries_data,
    turn_data,
    validated,
)
from django_project.api.streaming import (
    FOLLOWING_NOTE,
    STREAMING_NOTE,
    StreamingNegotiation,
    follow_response,
    stream_response,
    wants_stream,
)
from django_project.api.throttling import AnonymousReadLimited
from django_project.container import Container
from domain.chat import MESSAGE_MAX
from domain.ids import ChatId, TurnId
from domain.prompts import ANSWER_MAX
from domain.search import QUERY_MAX, WORDS_MAX

# The same bearer token as everywhere else (drf-spectacular knows simplejwt's classes by name).
_BEARER: list[dict[str, list[str]]] = [{"jwtAuth": []}]
_NOT_MODIFIED = OpenApiResponse(
    description="Not modified: the If-None-Match validator is current (no body)."
)
# The owner's page of a chat differs from everyone else's.
_BY_VIEWER = ("Authorization",)
_PAGE_PARAMS = [
    OpenApiParameter("cursor", str, description="The `next` link's cursor."),
    OpenApiParameter("page_size", int, description="1 to 100; 20 by default."),
]
_SEARCH_PARAMS = [
    OpenApiParameter(
        "q",
        str,
        description="Search: chats holding every word (title, intake answers, messages, "
        "answers); Korean words are found inside inflected forms, English ones in other word "
        "forms; a word of one or two English letters or digits only whole (`ai`: not in "
        f"'said'). At most {QUERY_MAX} characters and {WORDS_MAX} words (else 400 "
        "`query_too_long`). Results are ranked (words in the title or the intake answers "
        "first), then newest first, and carry `snippet` and `highlights`. Blank: the list.",
    ),
    OpenApiParameter("from", str, description="Search the current-state answer only."),
    OpenApiParameter("to", str, description="Search the goal answer only."),
]
_PAGE = inline_serializer(
    "ChatPage",
    {
        "next": serializers.URLField(allow_null=True),
        "results": ChatListItemOutput(many=True),
    },
)


def _viewer(request: Request) -> Any:
    return request.user.pk if request.user is not None else None


def _staff(request: Request) -> bool:
    """Staff see chats hidden by moderation (the member read by the token; the token alone
    says nothing about staff)."""
    return bool(request.user is not None and getattr(request.user, "is_staff", False))


def _language(request: Request) -> str:
    return translation.get_language_from_request(request._request)


def _searched(request: Request, search_chats: SearchChats, owner: Any) -> Response | None:
    """The page of a search, or None when the request asks for none (no q, from or to)."""
    params = request.query_params
    asked = [params.get(name) for name in ("q", "from", "to")]
    if not any(a and a.strip() for a in asked):
        return None
    query = parse_query(*asked)
    after, size = search_page_query(request)
    page = search_chats(SearchChatsInput(owner=owner, after=after, limit=size), query)
    return _listing(request, owner, next_search_url(request, page), page.items, search_data)


def _page(
    request: Request, list_chats: ListChats, search_chats: SearchChats, owner: Any
) -> Response:
    if (found := _searched(request, search_chats, owner)) is not None:
        return found
    before, size = page_query(request)
    page = list_chats(ListChatsInput(owner=owner, before=before, limit=size))
    return _listing(request, owner, next_url(request, page), page.items, summaries_data)


def _listing(
    request: Request,
    owner: Any,
    following: str | None,
    items: Sequence[Any],
    data: Callable[[Any], list[dict[str, Any]]],
) -> Response:
    """A page of the feed or of a member's own chats, with its validator and caching policy."""
    tag = caching.page_tag((following, *items))
    policy, vary = (caching.FEED, ()) if owner is None else (caching.MINE, ("Authorization",))
    if caching.fresh(request, tag):
        return caching.not_modified(tag, policy, vary)
    body = {"next": following, "results": data(items)}
    return caching.with_validator(Response(body), tag, policy, vary)


class _ReadIsPublic(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return bool(request.user is not None and request.user.is_authenticated)


class ChatCollectionApi(AnonymousReadLimited):
    # The use case reads the member anyway, and turns away a deactivated one.
    authentication_classes = (TokenAuthentication,)
    permission_classes = (_ReadIsPublic,)
    content_negotiation_class = StreamingNegotiation

    @extend_schema_serializer(component_name="IntakeAnswers")
    class InputSerializer(serializers.Serializer[Any]):
        current_state = TextField(max_length=ANSWER_MAX)
        goal = TextField(max_length=ANSWER_MAX)
        misc = TextField(max_length=ANSWER_MAX, required=False, allow_blank=True)
        model = TextField(
            max_length=200,
            required=False,
            help_text="One of GET /api/models/; the default if left out.",
        )
        anonymous = StrictBooleanField(
            required=False,
            help_text="Show the chat without its author; the profile's default if left out.",
        )

    @extend_schema(
        operation_id="chats_list",
        parameters=_PAGE_PARAMS + _SEARCH_PARAMS,
        responses={200: _PAGE, 304: _NOT_MODIFIED, **errors(400, 429)},
        tags=["chats"],
        auth=[],
    )
    @inject
    def get(
        self,
        request: Request,
        list_chats: ListChats = Provide[Container.list_chats],
        search_chats: SearchChats = Provide[Container.search_chats],
    ) -> Response:
        """Every member's chats, newest first; or a search of them (`q`, `from`, `to`)."""
        return _page(request, list_chats, search_chats, owner=None)

    @extend_schema(
        request=InputSerializer,
        responses={201: ChatOutput, **errors(400, 401, 403, 429, 502, 503, 504)},
        tags=["chats"],
        auth=_BEARER,  # type: ignore[arg-type]  # annotated as names; takes security requirements
        description=STREAMING_NOTE,
    )
    @inject
    def post(
        self,
        request: Request,
        start: StartChatSession = Provide[Container.start_chat_session],
        stream_answer: StreamAnswer = Provide[Container.stream_answer],
    ) -> Any:
        """Answer the intake; the bot asks the model and the chat comes back with its reply."""
        data = StartChatSessionInput(
            member_id=requesting_member(request),
            language=_language(request),
            **validated(self.InputSerializer, request.data),
        )
        if wants_stream(request):
            return stream_response(request, stream_answer, start.admit(data, stream=True))
        chat = start(data)
        return Response(
            chat_data(chat),
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/chats/{chat.id}/"},
        )


class MyChatsApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="me_chats_list",
        parameters=_PAGE_PARAMS + _SEARCH_PARAMS,
        responses={200: _PAGE, 304: _NOT_MODIFIED, **errors(400, 401)},
        tags=["me"],
    )
    @inject
    def get(
        self,
        request: Request,
        list_chats: ListChats = Provide[Container.list_chats],
        search_chats: SearchChats = Provide[Container.search_chats],
    ) -> Response:
        """The member's own chats, newest first; or a search of them (`q`, `from`, `to`)."""
        return _page(request, list_chats, search_chats, owner=request.user.pk)


class IntakeApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(
        responses=inline_serializer(
            "Intake",
            {
                "language": serializers.CharField(),
                "questions": inline_serializer(
                    "IntakeQuestion",
                    {
                        "kind": serializers.CharField(),
                        "text": serializers.CharField(),
                        "required": serializers.BooleanField(),
                    },
                    many=True,
                ),
            },
        ),
        tags=["chats"],
        auth=[],
    )
    @inject
    def get(
        self,
        request: Request,
        questions: ListIntakeQuestions = Provide[Container.list_intake_questions],
    ) -> Response:
        """The questions the bot asks before a chat starts, in the language the client asks for
        (Accept-Language: ko or en)."""
        language = _language(request)
        items = [
            {"kind": q.kind.value, "text": q.text, "required": q.required}
            for q in questions(language)
        ]
        return Response(
            {"language": language, "questions": items},
            headers={"Content-Language": language, "Vary": "Accept-Language"},
        )


class ChatDetailApi(AnonymousReadLimited):
    permission_classes = (_ReadIsPublic,)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if self.request.method in ("GET", "HEAD") and response.status_code == 404:
            # A chat hidden (or deleted) since a shared cache took its page: the cache's copy
            # ends with its s-maxage, and this answer is kept by no one, so the chat is back
            # for every reader the moment staff restore it.
            response["Cache-Control"] = caching.NOT_FOUND
        return response

    @extend_schema(
        responses={200: ChatOutput, 304: _NOT_MODIFIED, **errors(404, 429)}, tags=["chats"], auth=[]
    )
    @inject
    def get(
        self, request: Request, chat_id: int, get_chat: GetChat = Provide[Container.get_chat]
    ) -> Response:
        """The whole chat, readable by anyone. Its owner also sees their private profile in the
        stored requests. Conditional with If-None-Match (304)."""
        viewer, staff = _viewer(request), _staff(request)
        if caching.wants_validation(request):
            version = get_chat.version(ChatId(chat_id), viewer, staff)
            tag = caching.etag(version.tag(viewer))
            if caching.fresh(request, tag):
                return caching.not_modified(tag, caching.chat_policy(version, viewer), _BY_VIEWER)
        chat = get_chat(ChatId(chat_id), viewer, staff)
        version = chat.version()
        return caching.with_validator(
            Response(chat_data(chat)),
            caching.etag(version.tag(viewer)),
            caching.chat_policy(version, viewer),
            _BY_VIEWER,
        )

    @extend_schema_serializer(component_name="ChatUpdate")
    class UpdateSerializer(serializers.Serializer[Any]):
        anonymous = StrictBooleanField(
            help_text="Show the chat without its author (true) or with the owner's nickname."
        )

    @extend_schema(
        request=UpdateSerializer,
        responses={200: ChatOutput, **errors(400, 401, 403, 404)},
        tags=["chats"],
    )
    @inject
    def patch(
        self, request: Request, chat_id: int, update: UpdateChat = Provide[Container.update_chat]
    ) -> Response:
        """The owner shows the chat with or without their nickname. Shared caches may serve
        the old author for their few seconds (`s-maxage`)."""
        changes = validated(self.UpdateSerializer, request.data)
        chat = update(
            UpdateChatInput(
                chat_id=ChatId(chat_id),
                member_id=requesting_member(request),
                anonymous=changes["anonymous"],
            )
        )
        version = chat.version()
        viewer = requesting_member(request)
        return caching.with_validator(
            Response(chat_data(chat)),
            caching.etag(version.tag(viewer)),
            caching.chat_policy(version, viewer),
            _BY_VIEWER,
        )

    @extend_schema(responses={204: None, **errors(401, 403, 404)}, tags=["chats"])
    @inject
    def delete(
        self, request: Request, chat_id: int, delete: DeleteChat = Provide[Container.delete_chat]
    ) -> Response:
        """The owner deletes the chat. Quota already used is not given back."""
        delete(ChatId(chat_id), requesting_member(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatMessageCreateApi(APIView):
    authentication_classes = (TokenAuthentication,)
    permission_classes = (IsAuthenticated,)
    content_negotiation_class = StreamingNegotiation

    @extend_schema_serializer(component_name="MessageInput")
    class InputSerializer(serializers.Serializer[Any]):
        content = TextField(max_length=MESSAGE_MAX, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={201: TurnOutput, **errors(400, 401, 403, 404, 429, 502, 503, 504)},
        tags=["chats"],
        auth=_BEARER,  # type: ignore[arg-type]  # annotated as names; takes security requirements
        description=STREAMING_NOTE,
    )
    @inject
    def post(
        self,
        request: Request,
        chat_id: int,
        send: SendMessage = Provide[Container.send_message],
        stream_answer: StreamAnswer = Provide[Container.stream_answer],
    ) -> Any:
        """A follow-up message in one of the member's chats."""
        data = SendMessageInput(
            chat_id=ChatId(chat_id),
            member_id=requesting_member(request),
            **validated(self.InputSerializer, request.data),
        )
        if wants_stream(request):
            return stream_response(request, stream_answer, send.admit(data, stream=True))
        return Response(turn_data(send(data)), status=status.HTTP_201_CREATED)


class TurnStopApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer("Stopping", {"stopping": serializers.BooleanField()}),
            **errors(401, 403, 404),
        },
        tags=["chats"],
    )
    @inject
    def post(
        self,
        request: Request,
        chat_id: int,
        turn_id: int,
        stop: StopAnswer = Provide[Container.stop_answer],
    ) -> Response:
        """The owner stops an answer being generated; the part already generated is kept (and
        charged when some text came). `stopping` is false when the answer had already ended."""
        stopping = stop(ChatId(chat_id), TurnId(turn_id), requesting_member(request))
        return Response({"stopping": stopping}, status=status.HTTP_202_ACCEPTED)


class TurnStreamApi(AnonymousReadLimited):
    permission_classes = (AllowAny,)
    content_negotiation_class = StreamingNegotiation

    @extend_schema(
        responses={
            (200, "text/event-stream"): OpenApiResponse(description=FOLLOWING_NOTE),
            **errors(404),
        },
        tags=["chats"],
        auth=[],
    )
    @inject
    def get(
        self,
        request: Request,
        chat_id: int,
        turn_id: int,
        follow: FollowAnswer = Provide[Container.follow_answer],
    ) -> Any:
        """Follow a turn's answer from anywhere (another tab, device or server process): the
        text so far, then the rest as it comes, then the stored turn. Anyone who may read the
        chat may follow it."""
        viewer, staff = _viewer(request), _staff(request)
        return follow_response(follow, ChatId(chat_id), TurnId(turn_id), viewer, staff)


class ModelListApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(
        responses=inline_serializer(
            "Models",
            {
                "default": serializers.CharField(),
                "models": inline_serializer("Model", {"id": serializers.CharField()}, many=True),
            },
        ),
        tags=["chats"],
        auth=[],
    )
    @inject
    def get(
        self, request: Request, settings: ChatSettings = Provide[Container.chat_settings]
    ) -> Response:
        """The models a member may choose from when starting a chat."""
        return Response(
            {"default": settings.models[0], "models": [{"id": m} for m in settings.models]}
        )
