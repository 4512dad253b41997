"""Logging in with GitHub or Kakao. The browser walks start → provider → callback → the web app,
which trades the one-time code it got in the URL's fragment for the usual JWT pair.

start and callback are navigations, not JSON calls: their answers are redirects, and anything
that goes wrong in the callback sends the person back to the login page with `oauth_error` set
to a stable code, never to an error page. The state and the PKCE verifier travel in a signed,
HttpOnly, SameSite=Lax cookie scoped to these paths, so the callback only completes in the
browser that started the login; the server remembers each state whose code it traded, so a
state works once even when a copy of the cookie is replayed.

A logged-in member links a provider the same way, with the same callback (so nothing more is
registered at the providers), but the flow starts with a JSON call carrying their token: its
answer holds the provider's URL and sets a cookie of its own, naming the state and the member.
The callback links the account to that member and lands on the web app's settings page.
"""

import hmac
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlencode

from dependency_injector.wiring import Provide, inject
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponseBase, HttpResponseRedirect
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
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from application.errors import (
    MemberNotFound,
    OAuthStateUsed,
    ProviderAccountTaken,
    ProviderAlreadyLinked,
    ProviderEmailTaken,
    ProviderFailed,
    ProviderNotConfigured,
    ValidationFailed,
)
from application.ports import IdentityProvider
from application.provider_links import (
    CompleteProviderLink,
    CompleteProviderLinkInput,
    ForgetProviderAccount,
)
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
from django_project.api.parsers import SafeJSONParser
from django_project.api.serializers import ErrorOutput
from django_project.api.throttling import CountedScopedThrottle
from django_project.container import Container

COOKIE_PATH = "/api/auth/oauth/"
COOKIE_SALT = "chatbot.oauth.pending"
LINK_COOKIE_SALT = "chatbot.oauth.link"
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


def _link_cookie_name(provider: str) -> str:
    return f"chatbot_link_{provider}"


def _callback_uri(request: Request, provider: str) -> str:
    return request.build_absolute_uri(reverse("oauth-callback", kwargs={"provider": provider}))


def _to_frontend(frontend_url: str, route: str = "login", **params: str) -> HttpResponseRedirect:
    # In the fragment, which browsers never send to a server nor put in a Referer: the one-time
    # code stays out of access logs and proxies, and it is worthless once redeemed anyway.
    return HttpResponseRedirect(f"{frontend_url}#/{route}?{urlencode(params)}")


def _keep_pending(
    response: HttpResponseBase,
    request: Request,
    name: str,
    salt: str,
    pending: Mapping[str, object],
    same_site: Literal["Lax", "None"],
) -> None:
    """The pending login or link, for the callback in this browser alone: signed, HttpOnly,
    ten minutes, on the callback's path."""
    response.set_signed_cookie(
        name,
        json.dumps(pending),
        salt=salt,
        max_age=PENDING_MAX_AGE_S,
        path=COOKIE_PATH,
        secure=request.is_secure(),
        httponly=True,
        samesite=same_site,
    )


def _same_state(expected: str, given: str) -> bool:
    return secrets.compare_digest(expected.encode(), given.encode())


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
        _keep_pending(response, request, _cookie_name(provider), COOKIE_SALT, pending, "Lax")
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
            "Where the provider sends the browser back. A login redirects to the web app's "
            "login page with `#/login?oauth_code=...` (one-time, 60 s) or `#/login?oauth_error=` "
            "`oauth_state_invalid`, `oauth_denied`, `oauth_provider_error`, "
            "`oauth_email_taken` or `oauth_account_conflict`. A link (started with "
            "`POST /api/me/oauth/{provider}/link/`) redirects to `#/settings?linked={provider}` "
            "or `#/settings?oauth_error=` `oauth_state_invalid`, `oauth_denied`, "
            "`oauth_provider_error`, `oauth_account_taken` or `oauth_provider_already_linked`."
        ),
    )
    @inject
    def get(
        self,
        request: Request,
        provider: str,
        complete: CompleteSocialLogin = Provide[Container.complete_social_login],
        link: CompleteProviderLink = Provide[Container.complete_provider_link],
        providers: Mapping[str, IdentityProvider] = Provide[Container.identity_providers],
    ) -> HttpResponseRedirect:
        ensure_configured(providers, provider)
        frontend_url = settings.CHATBOT.frontend_url
        linking = _pending_link(request, provider)
        state = request.query_params.get("state", "")
        # The flow whose state came back; a stale link with no login pending still answers on
        # the settings page, where the member started it.
        if linking is not None and (
            _same_state(linking["state"], state) or _pending(request, provider) is None
        ):
            response = _link_outcome(request, provider, linking, link, frontend_url)
            name = _link_cookie_name(provider)
        else:
            response = self._outcome(request, provider, complete, frontend_url)
            name = _cookie_name(provider)
        # Used or not, the pending login or link is over: a second callback finds no state.
        response.delete_cookie(name, path=COOKIE_PATH, samesite="Lax")
        return response

    def _outcome(
        self, request: Request, provider: str, complete: CompleteSocialLogin, frontend_url: str
    ) -> HttpResponseRedirect:
        query = request.query_params
        pending = _pending(request, provider)
        if pending is None or not _same_state(pending["state"], query.get("state", "")):
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


def _pending_link(request: Request, provider: str) -> dict[str, Any] | None:
    raw = request.get_signed_cookie(
        _link_cookie_name(provider),
        default=None,
        salt=LINK_COOKIE_SALT,
        max_age=PENDING_MAX_AGE_S,
    )
    try:
        pending = json.loads(raw) if raw else None
    except ValueError:
        return None
    if (
        not isinstance(pending, dict)
        or not all(isinstance(pending.get(k), str) for k in ("state", "verifier"))
        or type(pending.get("member")) is not int
    ):
        return None
    return pending


def _link_outcome(
    request: Request,
    provider: str,
    pending: dict[str, Any],
    link: CompleteProviderLink,
    frontend_url: str,
) -> HttpResponseRedirect:
    query = request.query_params
    if not _same_state(pending["state"], query.get("state", "")):
        return _to_frontend(frontend_url, "settings", oauth_error="oauth_state_invalid")
    if "error" in query or not query.get("code"):
        denied = query.get("error") == "access_denied"
        code = "oauth_denied" if denied else "oauth_provider_error"
        return _to_frontend(frontend_url, "settings", oauth_error=code)
    try:
        link(
            CompleteProviderLinkInput(
                member_id=pending["member"],
                provider=provider,
                state=pending["state"],
                code=query["code"],
                code_verifier=pending["verifier"],
                redirect_uri=_callback_uri(request, provider),
            )
        )
    except (
        ProviderFailed,
        OAuthStateUsed,
        ProviderAccountTaken,
        ProviderAlreadyLinked,
    ) as error:
        return _to_frontend(frontend_url, "settings", oauth_error=error.code)
    except MemberNotFound:
        # The member left (or was deactivated) after starting the link.
        return _to_frontend(frontend_url, "settings", oauth_error="oauth_state_invalid")
    return _to_frontend(frontend_url, "settings", linked=provider)


def _link_cookie_same_site(request: Request) -> Literal["Lax", "None"]:
    # The link starts with a fetch from the web app. A browser keeps a cookie from the answer
    # to a cross-site fetch only when it is SameSite=None (and so Secure, which needs HTTPS);
    # for the same origin or the same site (another port or subdomain), Lax is kept, and Lax is
    # all the callback needs: it is a top-level navigation.
    origin = request.headers.get("Origin")
    own = f"{request.scheme}://{request.get_host()}"
    return "None" if origin and origin != own and request.is_secure() else "Lax"


class MeOAuthLinkApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("OAuthLinkStart", {"url": serializers.URLField()}),
            401: OpenApiResponse(ErrorOutput, description="Not logged in."),
            404: _NOT_CONFIGURED,
        },
        tags=["me"],
        description=(
            "Start connecting a provider to this account: the provider's authorization URL to "
            "send the browser to. The answer sets an HttpOnly cookie (for the callback's path, "
            "10 minutes) that binds the link to this member and this browser, so call it with "
            "credentials (`fetch(..., {credentials: 'include'})`) from a listed origin. The "
            "callback returns to the web app's `#/settings?linked={provider}`, or "
            "`#/settings?oauth_error=...`."
        ),
    )
    @inject
    def post(
        self,
        request: Request,
        provider: str,
        begin: BeginSocialLogin = Provide[Container.begin_social_login],
    ) -> Response:
        member = requesting_member(request)
        started = begin(provider, _callback_uri(request, provider))
        pending = {"state": started.state, "verifier": started.code_verifier, "member": member}
        response = Response({"url": started.url}, headers={"Cache-Control": "no-store"})
        _keep_pending(
            response,
            request,
            _link_cookie_name(provider),
            LINK_COOKIE_SALT,
            pending,
            _link_cookie_same_site(request),
        )
        return response


class KakaoAdminKeyHeader(BaseAuthentication):
    """Kakao calls with `Authorization: KakaoAK <admin key>`; the view compares the key. This
    names the scheme in a 401's `WWW-Authenticate`."""

    def authenticate(self, request: Request) -> None:
        return None

    def authenticate_header(self, request: Request) -> str:
        return 'KakaoAK realm="kakao-unlink"'


def _check_kakao_key(request: Request, admin_key: str | None) -> None:
    if not admin_key:
        raise ProviderNotConfigured("Kakao's unlink callback is not configured here.")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme != "KakaoAK" or not presented:
        raise NotAuthenticated("Kakao's admin key is required (Authorization: KakaoAK ...).")
    if not hmac.compare_digest(presented.strip().encode(), admin_key.encode()):
        raise PermissionDenied("That is not this app's admin key.")


class KakaoUnlinkedApi(APIView):
    """Kakao's unlink callback: the person disconnected this app at Kakao (from their account
    settings, by deleting their Kakao account, or by Kakao's own action)."""

    permission_classes = (AllowAny,)
    authentication_classes = (KakaoAdminKeyHeader,)
    parser_classes = (FormParser, SafeJSONParser)

    @extend_schema_serializer(component_name="KakaoUnlinkedInput")
    class InputSerializer(serializers.Serializer[Any]):
        app_id = serializers.CharField(max_length=40, required=False)
        user_id = serializers.RegexField(r"^[0-9]{1,20}$", max_length=20)
        referrer_type = serializers.CharField(max_length=60, required=False)

    @extend_schema(
        request={
            "application/x-www-form-urlencoded": InputSerializer,
            "application/json": InputSerializer,
        },
        parameters=[
            OpenApiParameter("app_id", OpenApiTypes.STR),
            OpenApiParameter("user_id", OpenApiTypes.STR),
            OpenApiParameter("referrer_type", OpenApiTypes.STR),
        ],
        responses={
            200: inline_serializer("KakaoUnlinked", {"unlinked": serializers.BooleanField()}),
            400: OpenApiResponse(ErrorOutput, description="No numeric `user_id` (`invalid`)."),
            401: OpenApiResponse(
                ErrorOutput, description="No `KakaoAK` key (`not_authenticated`)."
            ),
            403: OpenApiResponse(ErrorOutput, description="Another key (`permission_denied`)."),
            404: OpenApiResponse(
                ErrorOutput,
                description="No Kakao admin key configured (`oauth_provider_not_found`).",
            ),
        },
        tags=["auth"],
        auth=[],
        description=(
            "Called by Kakao with `Authorization: KakaoAK <CHATBOT_KAKAO_ADMIN_KEY>` when a "
            "person disconnects this app at Kakao; `app_id`, `user_id`, `referrer_type` in the "
            "form body or the query. Unlinks that Kakao account here; the member stays. "
            "`unlinked` says whether it was linked to anyone."
        ),
    )
    @inject
    def post(
        self,
        request: Request,
        admin_key: str | None = Provide[Container.kakao_admin_key],
        forget: ForgetProviderAccount = Provide[Container.forget_provider_account],
    ) -> Response:
        _check_kakao_key(request, admin_key)
        sent = {**request.query_params.dict()}
        if hasattr(request.data, "dict"):
            sent.update(request.data.dict())
        elif isinstance(request.data, dict):
            sent.update(request.data)
        body = self.InputSerializer(data=sent)
        body.is_valid(raise_exception=True)
        member = forget("kakao", body.validated_data["user_id"])
        return Response({"unlinked": member is not None})


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
