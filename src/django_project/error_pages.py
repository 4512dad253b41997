"""What the service shows when something goes wrong, DEBUG or not.

With DEBUG on (`make run`), Django answers a disallowed Host, an unknown path and any exception
with its debug pages: the settings, every URL pattern, the local variables of each frame. A page
on another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends its foreign Host
and reads the answer. So here:

* a request whose Host is not in ALLOWED_HOSTS gets the API's JSON 400 and nothing else, on
  every path, static files included;
* outside the admin (whose pages are for people), an error Django answers itself, in HTML or
  text, is swapped for the API's JSON error of the same status: the 404 of an unknown path,
  the 500 of an exception. The traceback is in the server's log, as ever;
* the admin keeps Django's debug page, with its settings and variables cleansed by
  `CleansingExceptionReporterFilter`."""

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.views.debug import SafeExceptionReporterFilter
from pydantic import BaseModel

from django_project.api import errors

security_log = logging.getLogger("django.security.DisallowedHost")

ADMIN = "/admin/"
_JSON = ("application/json", "application/problem+json")
_CODES = {
    400: "bad_request",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    500: "server_error",
}
# The headers of Django's page that describe its body; the others (Allow, CORS, the policy,
# cookies) stay on the JSON that replaces it.
_BODY_HEADERS = {"content-type", "content-length", "content-disposition"}


def json_error(request: HttpRequest, status: int) -> JsonResponse:
    """The API's error body for `status`: the handlers' own for 400, 404 and 500."""
    match status:
        case 400:
            return errors.bad_request(request)
        case 404:
            return errors.not_found(request)
        case 500:
            return errors.server_error(request)
    code = _CODES.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "_")
    return JsonResponse({"code": code, "detail": HTTPStatus(status).phrase + "."}, status=status)


def _is_djangos_page(response: HttpResponseBase) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return response.status_code >= 400 and content_type not in _JSON


class ErrorPagesMiddleware:
    """Second in MIDDLEWARE, right after the one that logs every request: in front of
    everything that reads the Host (SecurityMiddleware, CommonMiddleware, the views) and of
    WhiteNoise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            request.get_host()
        except DisallowedHost as error:
            # What Django logs for it, without the traceback.
            security_log.error(str(error), extra={"status_code": 400, "request": request})
            return errors.bad_request(request, error)
        response = self.get_response(request)
        # A view's own page for people (share.py's 404) stays as it is.
        for_people = getattr(response, "for_people", False)
        if request.path_info.startswith(ADMIN) or for_people or not _is_djangos_page(response):
            return response
        replacement = json_error(request, response.status_code)
        for name, value in response.items():
            if name.lower() not in _BODY_HEADERS:
                replacement[name] = value
        replacement.cookies = response.cookies
        response.close()
        return replacement


class CleansingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter hides a setting, a dict entry or a header whose name looks secret (KEY,
    SECRET, TOKEN, PASS, ...), but prints every other value with its repr, and local variables
    only when a view is decorated for it. Here a pydantic model (CHATBOT, the service's
    settings) is shown field by field under the same rule, and every frame's variables are
    cleansed by name too."""

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        if isinstance(value, BaseModel):
            value = {name: getattr(value, name) for name in type(value).model_fields}
        return super().cleanse_setting(key, value)

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        return [
            (name, self.cleanse_setting(name, value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
