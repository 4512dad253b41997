"""Django's session, authentication and messages middleware, for the admin's pages alone, and
the throttle on the admin's login form.

Nothing but the admin keeps a session, logs in by cookie or flashes a message: the API
authenticates each request by its bearer token (DRF), and the probes, metrics and API docs need
none of the three. For everything else they only cost time: 0.11 ms of CPU a request, an eighth
of a health check's (docs/benchmarks.md). They are subclasses, so the admin's system checks
(admin.E408 to E410) still find them in MIDDLEWARE."""

import math
from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from django_project.api.throttling import login_attempt

ADMIN = "/admin/"
ADMIN_LOGIN = f"{ADMIN}login/"


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


class AdminLoginThrottleMiddleware:
    """Every password tried at the admin's login form counts as a login through the API does,
    by address and by account and in the same counters (CHATBOT_LOGIN_RATE): a staff password is
    guessed no faster here than there. Checked before Django reads the password, so a refused
    attempt learns nothing, right password or not."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method == "POST" and request.path_info == ADMIN_LOGIN:
            wait = login_attempt(request.META.get("REMOTE_ADDR", ""), request.POST.get("username"))
            if wait is not None:
                seconds = max(1, math.ceil(wait.total_seconds()))
                return HttpResponse(
                    f"Too many login attempts. Try again in {seconds} seconds.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                    headers={"Retry-After": str(seconds)},
                )
        return self.get_response(request)
