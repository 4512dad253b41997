"""Server-Sent Events for streamed answers.

Events, in order: `chat` {chat_id, turn_id, turn_index}; `delta` {text} per piece of the answer;
then `done` (the stored turn) or `error` {code, detail, chat_id, turn_id, turn}. Comment lines
(`: ping`, every CHATBOT_SSE_HEARTBEAT_S seconds of silence) keep idle proxies from closing the
connection while the model thinks.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpResponse, StreamingHttpResponse
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from application.asking import AdmittedTurn
from application.following import FollowAnswer
from application.streaming import Delta, Finished, LiveAnswer, StreamAnswer
from application.views import TurnView
from django_project.api.serializers import turn_data
from domain.chat import TurnStatus
from domain.ids import ChatId, MemberId, TurnId

EVENT_STREAM = "text/event-stream"
STREAMING_NOTE = (
    "With `Accept: text/event-stream` the answer streams as Server-Sent Events: `chat` "
    "{chat_id, turn_id, turn_index}, then `delta` {text} per piece, then `done` (the stored turn) "
    "or `error` {code, detail, chat_id, turn_id, turn}; `: ping` comments keep the connection "
    "alive. Errors before the stream starts (400, 401, 403, 404, 429) are plain JSON. The answer "
    "is generated and stored even if the client goes away; "
    "`POST /api/chats/{id}/turns/{turn_id}/stop/` ends it early."
)


class StreamingNegotiation(DefaultContentNegotiation):
    """A client asking for an event stream gets one from the view itself; anything said before
    the stream starts (errors included) is JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        if wants_stream(request):
            return JSONRenderer(), JSONRenderer.media_type
        chosen: tuple[BaseRenderer, str] = super().select_renderer(
            request, renderers, format_suffix
        )
        return chosen


def wants_stream(request: Request) -> bool:
    return EVENT_STREAM in request.META.get("HTTP_ACCEPT", "")


def _event(name: str, data: Any) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + JSONRenderer().render(data) + b"\n\n"


# What JSONRenderer writes (compact, UTF-8, U+2028 and U+2029 escaped), without building a
# renderer and an encoder for each of an answer's many deltas.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _delta(text: str) -> bytes:
    data = _encode(text).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return b'event: delta\ndata: {"text":' + data.encode() + b"}\n\n"


def _error(finished: Finished) -> bytes:
    assert finished.error is not None
    error = finished.error
    body: dict[str, Any] = {"code": error.code, "detail": error.detail, **error.extra}
    if finished.turn is not None:
        body["turn"] = turn_data(finished.turn)
    return _event("error", body)


def _done(turn: TurnView) -> bytes:
    return _event("done", turn_data(turn))


async def _start(stream_answer: StreamAnswer, admitted: AdmittedTurn) -> LiveAnswer:
    return stream_answer.start(admitted)


async def _events(
    stream_answer: StreamAnswer,
    admitted: AdmittedTurn,
    heartbeat_s: float,
    live: LiveAnswer | None,
) -> AsyncIterator[bytes]:
    if live is None:
        live = stream_answer.start(admitted)
    prepared = await live.recorded()
    if prepared is None:  # the question could not be stored; nothing was charged
        assert live.finished is not None
        yield _error(live.finished)
        return
    turn = prepared.turn
    yield _event(
        "chat", {"chat_id": prepared.chat_id, "turn_id": turn.id, "turn_index": turn.index}
    )
    queue = live.watch()
    try:
        while True:
            if queue.empty():
                # A timer, not wait_for's task per event: this runs once per token.
                try:
                    async with asyncio.timeout(heartbeat_s):
                        event = await queue.get()
                except TimeoutError:
                    yield b": ping\n\n"
                    continue
            else:
                event = queue.get_nowait()
            if isinstance(event, Delta):
                yield _delta(event.text)
                continue
            if event.error is None:
                assert event.turn is not None
                yield _event("done", turn_data(event.turn))
            else:
                yield _error(event)
            return
    finally:
        # The member went away or the answer ended; generation goes on without a watcher.
        live.unwatch(queue)


FOLLOWING_NOTE = (
    "Server-Sent Events: first `delta` {text} with all the text generated so far (none when "
    "nothing came yet), then a `delta` per piece as it comes, then `done` with the stored turn "
    "(completed, failed or stopped: its `status` says), at once when the turn has ended "
    "already; `error` {code, detail} if the chat is deleted or hidden meanwhile. `: ping` "
    "comments keep the connection alive. Works from any server process; errors before the "
    "stream starts (404) are plain JSON."
)


async def _following(
    follow: FollowAnswer,
    chat_id: ChatId,
    turn_id: TurnId,
    viewer: MemberId | None,
    staff: bool,
    heartbeat_s: float,
) -> AsyncIterator[bytes]:
    events = aiter(follow.events(chat_id, turn_id, viewer, staff))
    coming: asyncio.Future[Delta | Finished] | None = None
    try:
        while True:
            if coming is None:
                coming = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait((coming,), timeout=heartbeat_s)
            if not done:
                yield b": ping\n\n"
                continue
            event, coming = coming.result(), None
            if isinstance(event, Delta):
                yield _delta(event.text)
            elif event.turn is not None:
                yield _done(event.turn)
                return
            else:
                yield _error(event)
                return
    finally:
        if coming is not None:
            coming.cancel()
        await events.aclose()  # type: ignore[attr-defined]  # an async generator's


def follow_response(
    follow: FollowAnswer, chat_id: ChatId, turn_id: TurnId, viewer: MemberId | None, staff: bool
) -> HttpResponse | StreamingHttpResponse:
    response: HttpResponse | StreamingHttpResponse
    if follow.check(chat_id, turn_id, viewer, staff) is not TurnStatus.PENDING:
        # Ended: the final event, read in this request's thread, and nothing to wait for.
        finished = follow.stored(chat_id, turn_id, viewer, staff)
        event = _error(finished) if finished.turn is None else _done(finished.turn)
        response = HttpResponse(event, content_type=EVENT_STREAM)
    else:
        _release_connections()
        heartbeat_s = settings.CHATBOT.sse_heartbeat_s
        response = StreamingHttpResponse(
            _following(follow, chat_id, turn_id, viewer, staff, heartbeat_s),
            content_type=EVENT_STREAM,
        )
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response


def _release_connections() -> None:
    """Give the request's database connection back to the pool now. Django would keep it until
    the response ends, so every open stream would hold one for minutes and the pool would run dry
    (requests waiting, then failing); the answer's task takes one only for its final write."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def stream_response(
    request: Request, stream_answer: StreamAnswer, admitted: AdmittedTurn
) -> StreamingHttpResponse:
    _release_connections()
    live = None
    if isinstance(request._request, ASGIRequest):
        # Ask the model now, on the server's event loop, rather than once the response has gone
        # back through the middleware and its headers are out: about a millisecond sooner.
        live = async_to_sync(_start)(stream_answer, admitted)
    heartbeat_s = settings.CHATBOT.sse_heartbeat_s
    response = StreamingHttpResponse(
        _events(stream_answer, admitted, heartbeat_s, live), content_type=EVENT_STREAM
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
