"""Every error the API gives is JSON: {"code": stable machine-readable, "detail": for people,
...}. This module is the one table from exceptions to HTTP."""

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from application import errors as app
from django_project.observability.metrics import QUOTA_REJECTIONS

log = logging.getLogger(__name__)

_STATUS: list[tuple[type[app.ApplicationError], int]] = [
    (app.ValidationFailed, status.HTTP_400_BAD_REQUEST),
    (app.PersonalDataRefused, status.HTTP_400_BAD_REQUEST),
    (app.MemberInactive, status.HTTP_401_UNAUTHORIZED),
    (app.MemberNotFound, status.HTTP_404_NOT_FOUND),
    (app.ChatNotFound, status.HTTP_404_NOT_FOUND),
    (app.NotChatOwner, status.HTTP_403_FORBIDDEN),
    (app.EmailUnverified, status.HTTP_403_FORBIDDEN),
    (app.ChatHidden, status.HTTP_403_FORBIDDEN),
    (app.SearchQueryTooLong, status.HTTP_400_BAD_REQUEST),
    (app.OwnChatReport, status.HTTP_403_FORBIDDEN),
    (app.AlreadyReported, status.HTTP_409_CONFLICT),
    (app.NotAnswered, status.HTTP_409_CONFLICT),
    (app.ConsentRequired, status.HTTP_403_FORBIDDEN),
    (app.DailyQuotaExceeded, status.HTTP_429_TOO_MANY_REQUESTS),
    (app.ModelBusy, status.HTTP_503_SERVICE_UNAVAILABLE),
    (app.ModelTimeout, status.HTTP_504_GATEWAY_TIMEOUT),
    (app.ModelError, status.HTTP_502_BAD_GATEWAY),
    (app.ProviderNotConfigured, status.HTTP_404_NOT_FOUND),
    (app.ProviderNotLinked, status.HTTP_404_NOT_FOUND),
    (app.LoginCodeInvalid, status.HTTP_400_BAD_REQUEST),
    (app.TokenInvalid, status.HTTP_400_BAD_REQUEST),
    (app.LastLoginMethod, status.HTTP_409_CONFLICT),
    (app.NoPassword, status.HTTP_400_BAD_REQUEST),
    (app.LoginTooOld, status.HTTP_400_BAD_REQUEST),
    # The provider callback turns these into `oauth_error` on the login or settings page; a JSON
    # caller would meet them as this.
    (app.ProviderEmailTaken, status.HTTP_409_CONFLICT),
    (app.ProviderAccountTaken, status.HTTP_409_CONFLICT),
    (app.ProviderAlreadyLinked, status.HTTP_409_CONFLICT),
    (app.OAuthStateUsed, status.HTTP_400_BAD_REQUEST),
    (app.ProviderFailed, status.HTTP_502_BAD_GATEWAY),
]

# DRF's own codes, renamed where a clearer stable name helps clients.
_DRF_CODES = {
    "not_authenticated": "not_authenticated",
    "authentication_failed": "authentication_failed",
    "no_active_account": "invalid_credentials",
    "token_not_valid": "token_not_valid",
    "user_not_found": "token_not_valid",
    "user_inactive": "token_not_valid",
    "permission_denied": "permission_denied",
    "not_found": "not_found",
    "method_not_allowed": "method_not_allowed",
    "not_acceptable": "not_acceptable",
    "unsupported_media_type": "unsupported_media_type",
    "parse_error": "parse_error",
    "throttled": "throttled",
}


def _application_error(exc: app.ApplicationError) -> Response:
    http_status = next(code for kind, code in _STATUS if isinstance(exc, kind))
    body: dict[str, Any] = {"code": exc.code, "detail": exc.detail, **exc.extra}
    headers = {}
    if isinstance(exc, app.ValidationFailed):
        body["errors"] = exc.errors
    if isinstance(exc, app.DailyQuotaExceeded):
        QUOTA_REJECTIONS.inc()
        body["limit"] = exc.limit
        body["resets_at"] = exc.resets_at.isoformat()
        wait = (exc.resets_at - timezone.now()).total_seconds()
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if http_status == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return Response(body, status=http_status, headers=headers)


def _first_code(codes: Any) -> str:
    while isinstance(codes, dict | list):
        if not codes:
            return "error"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return str(codes)


def handle_exception(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, app.ApplicationError):
        return _application_error(exc)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"code": "request_too_large", "detail": "The request body is too large."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django logs it and answers 500
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "code": "invalid",
            "detail": "The request has invalid fields.",
            "errors": errors,
        }
        return response
    assert isinstance(exc, exceptions.APIException)
    detail: object = exc.detail
    drf_code = _first_code(exc.get_codes())
    if isinstance(detail, dict):
        # simplejwt puts its specific code beside the detail: {"detail": ..., "code": ...}.
        drf_code = str(detail.get("code", drf_code))
        detail = detail.get("detail", next(iter(detail.values()), ""))
    response.data = {
        "code": _DRF_CODES.get(drf_code, drf_code),
        "detail": str(detail),
    }
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"code": "not_found", "detail": "Nothing is here."}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"code": "server_error", "detail": "Something went wrong on our side."}, status=500
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"code": "bad_request", "detail": "The request is malformed."}, status=400)
