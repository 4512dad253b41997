"""Middleware of our own that is not about observability."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest


class OneThreadPerRequest:
    """Last in MIDDLEWARE, and synchronous only, so that Django runs the whole middleware chain
    and the (synchronous) view in one thread.

    Under ASGI Django keeps every middleware that can run asynchronously on the event loop, and
    the ones built on MiddlewareMixin (sessions, CSRF, messages, …) then hand each of their
    hooks to a thread and back: about a dozen hops between the loop and a thread per request.
    A synchronous-only middleware at the bottom makes everything above it synchronous too: the
    request goes to a thread once, and the view runs there."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)
