"""Django's session, authentication and messages middleware, for the admin's pages alone.

Nothing but the admin keeps a session, logs in by cookie or flashes a message: the API
authenticates each request by its bearer token (DRF), and the probes, metrics and API docs need
none of the three. For everything else they only cost time: 0.11 ms of CPU a request, an eighth
of a health check's (docs/benchmarks.md). They are subclasses, so the admin's system checks
(admin.E408 to E410) still find them in MIDDLEWARE."""

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponseBase

ADMIN = "/admin/"


def for_admin(request: HttpRequest) -> bool:
    return request.path_info.startswith(ADMIN)


class _OnlyForAdminRequests:
    """Runs the middleware's process_request for the admin's pages alone.

    A mixin: the super() calls reach the Django middleware after it in each subclass's MRO,
    which mypy, checking the mixin alone, cannot see (hence their type: ignore[misc])."""

    def process_request(self, request: HttpRequest) -> None:
        if for_admin(request):
            super().process_request(request)  # type: ignore[misc]


class _OnlyForAdmin(_OnlyForAdminRequests):
    """The same, for process_response too."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> Any:
        if for_admin(request):
            return super().process_response(request, response)  # type: ignore[misc]
        return response


class AdminSessionMiddleware(_OnlyForAdmin, SessionMiddleware):
    pass


# Django's has no process_response, so only its process_request is skipped.
class AdminAuthenticationMiddleware(_OnlyForAdminRequests, AuthenticationMiddleware):
    pass


class AdminMessageMiddleware(_OnlyForAdmin, MessageMiddleware):
    pass
