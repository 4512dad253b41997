import asyncio
import contextlib
from typing import IO, Any

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.urls import set_script_prefix


class OneHopASGIHandler(ASGIHandler):
    """Django's ASGI handler with each request's synchronous work done in one trip to a thread.

    Every view and middleware here is synchronous. Django's own handler builds its chain for
    async and goes to a thread and back several times a request: for the request_started
    signal, the first synchronous middleware, the view, and closing the response, each hop in
    a thread made for that request alone (ThreadSensitiveContext); measured in-process, that
    was 1.1 ms of CPU of the 1.5 a health check cost (docs/benchmarks.md). Here the signal,
    the whole middleware chain, the view, reading the body and closing the response run in one
    call on the event loop's thread pool, and the loop only sends the bytes. So a request's
    database connection is also opened and given back in that one thread.

    A response whose body is an async iterator (a streamed answer) is sent from the loop as
    Django sends it, stopped when the client goes away, and closed afterwards. A body that is a
    synchronous iterator (WhiteNoise's files, which are small) is read whole in the thread."""

    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self._serve_in_thread = sync_to_async(self._serve, thread_sensitive=False)
        self._close_in_thread = sync_to_async(_close, thread_sensitive=False)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response, content = await self._serve_in_thread(scope, body_file)
            if content is None:
                await self._stream(response, receive, send)
            else:
                await send(
                    {
                        "type": "http.response.start",
                        "status": response.status_code,
                        "headers": _headers(response),
                    }
                )
                await send({"type": "http.response.body", "body": content})
        finally:
            body_file.close()

    def _serve(
        self, scope: dict[str, Any], body_file: IO[bytes]
    ) -> tuple[HttpResponseBase, bytes | None]:
        """The response, with its whole body unless that is an async iterator (None then, and
        the response is left open for the stream)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, refusal = self.create_request(scope, body_file)
        response = refusal if request is None else self.get_response(request)
        # create_request gives either a request or the response refusing it.
        assert response is not None
        # Django's handlers mark their responses so; django-stubs does not declare the attribute.
        response._handler_class = self.__class__  # type: ignore[attr-defined]
        if isinstance(response, StreamingHttpResponse):
            if response.is_async:
                return response, None
            content = b"".join(response)
        else:
            assert isinstance(response, HttpResponse)  # what every other response is
            content = response.content
        _close(response)  # request_finished: the connection goes back to the pool here
        return response, content

    async def _stream(self, response: HttpResponseBase, receive: Any, send: Any) -> None:
        """Send a streamed body until it ends or the client goes away, whichever comes first,
        as Django's handler does; then close the response."""
        sending = asyncio.create_task(self.send_response(response, send))
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        try:
            await asyncio.wait((sending, listening), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (listening, sending):
                if not task.done():
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                    await task
            await self._close_in_thread(response)


def _close(response: HttpResponseBase) -> None:
    response.close()
    _untangle(response)


def _untangle(response: HttpResponseBase) -> None:
    """Cut the reference cycles a DRF view leaves between itself, its request and its response
    (`view.request` and `request.parser_context["view"]`, `view.response` and
    `response.renderer_context["view"]`, and Django's `view.head = view.get`), so that
    reference counting frees a request's objects as soon as it is sent. Left to the cyclic
    garbage collector, every request's objects, its response's data included (136 for a page
    of search results), waited for the next collection, which then walked them all. Nothing
    reads the view once its response is closed. (A DRF serializer that validated a body is a
    cycle of its own, with its fields, out of reach here: a write still waits for a
    collection.)"""
    context = getattr(response, "renderer_context", None)  # a DRF Response's, once rendered
    if not context:
        return
    if (request := context.get("request")) is not None:  # None when DRF failed to make one
        request.parser_context.clear()
    context["view"].__dict__.clear()
    context.clear()


def _headers(response: HttpResponseBase) -> list[tuple[bytes, bytes]]:
    headers = [(name.encode("ascii"), value.encode("latin1")) for name, value in response.items()]
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    return headers
