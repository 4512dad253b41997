"""Logging in with GitHub or Kakao. The browser walks start → provider → callback → the web app,
which trades the one-time code it got in the URL's fragment for the usual JWT pair.

start and callback are navigations, not JSON calls: their answers are redirects, and anything
that goes wrong in the callback sends the person back to the login page with `oauth_error` set
to a stable code, never to an error page. The state and the PKCE verifier travel in a signed,
HttpOnly, SameSite=Lax cookie scoped to these paths, so the callback only completes in the
browser that started the login; the server remembers each state whose code it traded, so a
state works once even when a copy of the cookie is replayed.
"""

import json
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from dependency_injector.wiring import Provide, inject
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.errors import (
    OAuthStateUsed,
    ProviderEmailTaken,
    ProviderFailed,
    ValidationFailed,
)
from application.ports import IdentityProvider
from application.social_login import (
    PENDING_LOGIN_TTL,
    BeginSocialLogin,
    CompleteSocialLogin,
    CompleteSocialLoginInput,
    RedeemLoginCode,
    UnlinkProvider,
    UnlinkProviderInput,
    ensure_configured,
)
from django_project.api.authentication import requesting_member, token_pair_for
from django_project.api.serializers import ErrorOutput
from django_project.api.throttling import CountedScopedThrottle
from django_project.container import Container

COOKIE_PATH = "/api/auth/oauth/"
COOKIE_SALT = "chatbot.oauth.pending"
PENDING_MAX_AGE_S = int(PENDING_LOGIN_TTL.total_seconds())
# The same paths the web app's router accepts as `next` (frontend/public/js/router.js).
_SAFE_NEXT = re.compile(r"^/(?![/\\])[\w\-/?=&%.]*$")

_TOKENS = inline_serializer(
    "OAuthTokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()}
)
_NOT_CONFIGURED = OpenApiResponse(
    ErrorOutput, description="No such provider, or not configured (`oauth_provider_not_found`)."
)
_REDIRECT = {302: OpenApiResponse(description="A redirect.")}


def _cookie_name(provider: str) -> str:
    return f"chatbot_oauth_{provider}"


def _callback_uri(request: Request, provider: str) -> str:
    return request.build_absolute_uri(reverse("oauth-callback", kwargs={"provider": provider}))


def _to_frontend(frontend_url: str, **params: str) -> HttpResponseRedirect:
    # In the fragment, which browsers never send to a server nor put in a Referer: the one-time
    # code stays out of access logs and proxies, and it is worthless once redeemed anyway.
    return HttpResponseRedirect(f"{frontend_url}#/login?{urlencode(params)}")


class OAuthProvidersApi(APIView):
    """The login providers configured here; the web app shows a button for each."""

    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(
        responses={
            200: inline_serializer(
                "OAuthProviders",
                {"providers": serializers.ListField(child=serializers.CharField())},
            )
        },
        tags=["auth"],
        auth=[],
    )
    @inject
    def get(
        self,
        request: Request,
        providers: Mapping[str, IdentityProvider] = Provide[Container.identity_providers],
    ) -> Response:
        return Response({"providers": sorted(providers)})


class OAuthStartApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "next", OpenApiTypes.STR, description="The web app's path to return to."
            )
        ],
        responses={**_REDIRECT, 404: _NOT_CONFIGURED},
        tags=["auth"],
        auth=[],
        description="Redirects to the provider's consent page, with a state bound to this browser.",
    )
    @inject
    def get(
        self,
        request: Request,
        provider: str,
        begin: BeginSocialLogin = Provide[Container.begin_social_login],
    ) -> HttpResponseRedirect:
        started = begin(provider, _callback_uri(request, provider))
        wanted = request.query_params.get("next", "")
        pending = {
            "state": started.state,
            "verifier": started.code_verifier,
            "next": wanted if _SAFE_NEXT.fullmatch(wanted) else "",
        }
        response = HttpResponseRedirect(started.url)
        response.set_signed_cookie(
            _cookie_name(provider),
            json.dumps(pending),
            salt=COOKIE_SALT,
            max_age=PENDING_MAX_AGE_S,
            path=COOKIE_PATH,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
        return response


def _pending(request: Request, provider: str) -> dict[str, str] | None:
    raw = request.get_signed_cookie(
        _cookie_name(provider), default=None, salt=COOKIE_SALT, max_age=PENDING_MAX_AGE_S
    )
    try:
        pending = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(pending, dict) or not all(
        isinstance(pending.get(k), str) for k in ("state", "verifier", "next")
    ):
        return None
    return pending


class OAuthCallbackApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR),
            OpenApiParameter("state", OpenApiTypes.STR),
            OpenApiParameter("error", OpenApiTypes.STR),
        ],
        responses={**_REDIRECT, 404: _NOT_CONFIGURED},
        tags=["auth"],
        auth=[],
        description=(
            "Where the provider sends the browser back. Redirects to the web app's login page "
            "with `#/login?oauth_code=...` (one-time, 60 s) or `#/login?oauth_error=` "
            "`oauth_state_invalid`, `oauth_denied`, `oauth_provider_error`, "
            "`oauth_email_taken` or `oauth_account_conflict`."
        ),
    )
    @inject
    def get(
        self,
        request: Request,
        provider: str,
        complete: CompleteSocialLogin = Provide[Container.complete_social_login],
        providers: Mapping[str, IdentityProvider] = Provide[Container.identity_providers],
    ) -> HttpResponseRedirect:
        ensure_configured(providers, provider)
        response = self._outcome(request, provider, complete, settings.CHATBOT.frontend_url)
        # Used or not, the pending login is over: a second callback finds no state.
        response.delete_cookie(_cookie_name(provider), path=COOKIE_PATH, samesite="Lax")
        return response

    def _outcome(
        self, request: Request, provider: str, complete: CompleteSocialLogin, frontend_url: str
    ) -> HttpResponseRedirect:
        query = request.query_params
        pending = _pending(request, provider)
        if pending is None or not secrets.compare_digest(
            pending["state"].encode(), query.get("state", "").encode()
        ):
            return _to_frontend(frontend_url, oauth_error="oauth_state_invalid")
        if "error" in query or not query.get("code"):
            denied = query.get("error") == "access_denied"
            return _to_frontend(
                frontend_url, oauth_error="oauth_denied" if denied else "oauth_provider_error"
            )
        try:
            done = complete(
                CompleteSocialLoginInput(
                    provider=provider,
                    state=pending["state"],
                    code=query["code"],
                    code_verifier=pending["verifier"],
                    redirect_uri=_callback_uri(request, provider),
                )
            )
        except (ProviderFailed, OAuthStateUsed, ProviderEmailTaken) as error:
            return _to_frontend(frontend_url, oauth_error=error.code)
        except ValidationFailed:
            # A concurrent first login of the same account won the race; trying again finds it.
            return _to_frontend(frontend_url, oauth_error="oauth_account_conflict")
        params = {"oauth_code": done.login_code}
        if pending["next"]:
            params["next"] = pending["next"]
        return _to_frontend(frontend_url, **params)


def token_pair(member_id: int) -> dict[str, str]:
    """The same pair POST /api/auth/login/ gives."""
    return token_pair_for(get_user_model().objects.get(pk=member_id))


class OAuthExchangeApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (CountedScopedThrottle,)
    throttle_scope = "login"

    @extend_schema_serializer(component_name="OAuthExchangeInput")
    class InputSerializer(serializers.Serializer[Any]):
        code = serializers.CharField(max_length=200)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: _TOKENS,
            400: OpenApiResponse(
                ErrorOutput, description="Unknown, used or expired code (`oauth_code_invalid`)."
            ),
            429: OpenApiResponse(ErrorOutput, description="Throttled (`throttled`)."),
        },
        tags=["auth"],
        auth=[],
        description="Trade the one-time code from a provider login for a JWT pair, once.",
    )
    @inject
    def post(
        self, request: Request, redeem: RedeemLoginCode = Provide[Container.redeem_login_code]
    ) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(token_pair(redeem(body.validated_data["code"])))


class MeOAuthApi(APIView):
    @extend_schema(
        responses={
            204: OpenApiResponse(description="Unlinked."),
            401: OpenApiResponse(ErrorOutput, description="Not logged in."),
            404: OpenApiResponse(
                ErrorOutput,
                description=(
                    "No such provider, or not configured (`oauth_provider_not_found`); "
                    "configured but not linked to this member (`oauth_provider_not_linked`)."
                ),
            ),
            409: OpenApiResponse(
                ErrorOutput,
                description="The only way left to log in (`last_login_method`).",
            ),
        },
        tags=["me"],
    )
    @inject
    def delete(
        self,
        request: Request,
        provider: str,
        unlink: UnlinkProvider = Provide[Container.unlink_provider],
    ) -> Response:
        unlink(UnlinkProviderInput(member_id=requesting_member(request), provider=provider))
        return Response(status=status.HTTP_204_NO_CONTENT)
