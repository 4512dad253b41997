"""Every request gets an id (the client's X-Request-ID when it is a sane one, else a new one),
returned in the X-Request-ID header and written on every log line made while serving it; then an
access line and the HTTP metrics.

It works in both of Django's modes, and Django picks one from its neighbours: under uvicorn the
chain runs sync in a thread as long as a sync-only middleware sits further in (WhiteNoise does
today), and async on the event loop once none does. Either way the id reaches whatever runs after
the middleware returns: Django's own line for an error response, a streamed body, the task that
generates a streamed answer. It is first in MIDDLEWARE, so it times and logs everything, static
files and CORS preflights included."""

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from contextvars import Token
from functools import partial
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import FileResponse, HttpRequest, HttpResponseBase, StreamingHttpResponse

from django_project.observability import logs
from django_project.observability.metrics import STATIC_ROUTE, UNMATCHED_ROUTE, observe_request

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_PATH_MAX = 256

access_log = logging.getLogger("chatbot.access")


def _forget(token: Token[str | None]) -> None:
    with suppress(ValueError):  # closed in another context: nothing of ours is left there
        logs.request_id.reset(token)


def incoming_id(request: HttpRequest) -> str:
    """The client's id when it is short and plain (it goes into logs and a header as it is),
    else a fresh one."""
    given = request.headers.get(HEADER, "")
    return given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex


def route_name(request: HttpRequest, response: HttpResponseBase | None) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        # The admin has a name per model and action; one series is enough for it.
        if match.namespace == "admin":
            return "admin"
        return match.view_name or UNMATCHED_ROUTE
    # WhiteNoise answers the web app's files before URL routing.
    return STATIC_ROUTE if isinstance(response, FileResponse) else UNMATCHED_ROUTE


class RequestObservabilityMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        rid = incoming_id(request)
        started = time.perf_counter()
        token = logs.request_id.set(rid)
        try:
            response = self.get_response(request)
        except BaseException:  # Django turns exceptions into responses; this is a last resort
            self._finish(request, None, rid, started)
            logs.request_id.reset(token)
            raise
        # Django logs an error response after the middleware is done, and the body is sent later
        # still: the id stays until the response is closed. Under ASGI this runs in a thread
        # whose context asgiref carries back to the request's task, body and answer included.
        response._resource_closers.append(partial(_forget, token))
        return self._respond(request, response, rid, started)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        rid = incoming_id(request)
        started = time.perf_counter()
        # Never reset: Django serves each request in a task of its own, whose context ends with
        # it, and everything after this returns (its log line for an error response, a streamed
        # body, the task that generates a streamed answer) belongs to this request.
        logs.request_id.set(rid)
        try:
            response = await self.get_response(request)
        except BaseException:
            self._finish(request, None, rid, started)
            raise
        return self._respond(request, response, rid, started)

    def _respond(
        self, request: HttpRequest, response: HttpResponseBase, rid: str, started: float
    ) -> HttpResponseBase:
        response[HEADER] = rid
        if isinstance(response, StreamingHttpResponse) and response.is_async:
            # A streamed answer is sent after this returns: its access line waits for the end.
            response.streaming_content = self._streamed(
                request, response, rid, started, response.streaming_content
            )
        else:
            self._finish(request, response, rid, started)
        return response

    async def _streamed(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        rid: str,
        started: float,
        content: Any,
    ) -> AsyncIterator[bytes]:
        complete = False
        body = aiter(content)
        try:
            async for part in body:
                yield part
            complete = True
        finally:
            with suppress(Exception):
                await body.aclose()
            self._finish(request, response, rid, started, streamed=True, complete=complete)

    def _finish(
        self,
        request: HttpRequest,
        response: HttpResponseBase | None,
        rid: str,
        started: float,
        **stream: bool,
    ) -> None:
        seconds = time.perf_counter() - started
        status = response.status_code if response is not None else 500
        route = route_name(request, response)
        observe_request(route, request.method or "", status, seconds)
        path = request.path[:_PATH_MAX]
        # Never the query string, headers or body: they may carry what must not be logged.
        access_log.info(
            "%s %s %s %.1f ms",
            request.method,
            path,
            status,
            seconds * 1000,
            extra={
                "method": request.method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "request_id": rid,
                **stream,
            },
        )
