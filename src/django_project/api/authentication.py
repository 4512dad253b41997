import math
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.utils.functional import cached_property
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import (
    JWTAuthentication,
    JWTStatelessUserAuthentication,
)
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import aware_utcnow

from domain.ids import MAX_ID, MemberId

# The last second a datetime holds (9999-12-31T23:59:59Z): simplejwt turns the time claims into
# datetimes, and a later one overflowed into a 500.
_LAST_SECOND = 253_402_300_799
_TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")
_MEMBER_ID = re.compile(r"[1-9][0-9]{0,18}")
_JTI_MAX = 255  # the blacklist's column


def requesting_member(request: Request) -> MemberId:
    """The member an authenticated request comes from (the view's permission lets no one else
    in; were one to forget it, an anonymous request gets a 401 here)."""
    pk = request.user.pk
    if pk is None:
        raise NotAuthenticated()
    return MemberId(pk)


def refused(detail: str) -> InvalidToken:
    return InvalidToken({"detail": detail, "code": "token_not_valid"})


def _member_id_claim(value: Any) -> bool:
    """What simplejwt writes (the id as decimal text) or an int: a member id, nothing else (no
    float, bool, sign, space or non-ASCII digit that int() would take)."""
    if isinstance(value, str):
        return _MEMBER_ID.fullmatch(value) is not None and int(value) <= MAX_ID
    return type(value) is int and 1 <= value <= MAX_ID


def _time_claim(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= _LAST_SECOND
    )


def check_claims(payload: dict[str, Any]) -> None:
    """Raise TokenError unless every claim simplejwt or we read is of a shape they can use.
    Only a holder of the signing key can make a token that fails here; such a token is refused
    like any other bad token instead of failing the request with a 500 somewhere downstream
    (a datetime, an int() or a query parameter out of range)."""
    for claim in _TIME_CLAIMS:
        if claim in payload and not _time_claim(payload[claim]):
            raise TokenError(f"The token's {claim!r} claim is not a time.")
    member = api_settings.USER_ID_CLAIM
    if member in payload and not _member_id_claim(payload[member]):
        raise TokenError("The token names no member.")
    jti = api_settings.JTI_CLAIM
    if jti in payload and not (isinstance(payload[jti], str) and 0 < len(payload[jti]) <= _JTI_MAX):
        raise TokenError(f"The token's {jti!r} claim is not a token id.")


# One small override each rather than a shared mixin: a second base makes mypy compare
# RefreshToken's own bases (BlacklistMixin and Token), which disagree on for_user's type.
class MemberAccessToken(AccessToken):
    """simplejwt's access token, with its claims' shapes checked first (AUTH_TOKEN_CLASSES)."""

    def verify(self) -> None:
        check_claims(self.payload)
        super().verify()


class MemberRefreshToken(RefreshToken):
    """simplejwt's refresh token, with its claims' shapes checked first. A login's pair carries
    `auth_time` (OpenID Connect's name: when the member proved who they are), which rotation
    keeps and every access token made from it copies, so a step that needs a recent login can
    tell how old the login behind a token is."""

    def verify(self) -> None:
        check_claims(self.payload)
        super().verify()

    @classmethod
    def for_user(cls, user: Any) -> Any:
        token = super().for_user(user)
        token[AUTH_TIME] = int(aware_utcnow().timestamp())
        return token


AUTH_TIME = "auth_time"


def token_pair_for(member: Any) -> dict[str, str]:
    """A fresh login's pair for `member` (a member row), as POST /api/auth/login/ gives it."""
    refresh = MemberRefreshToken.for_user(member)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def logged_in_at(request: Request) -> datetime | None:
    """When the login behind the request's access token happened; None when its token says
    not (one issued before tokens carried it)."""
    token = request.auth
    value = token.get(AUTH_TIME) if isinstance(token, Token) else None
    if value is None or not _time_claim(value):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def refresh_token(raw: str) -> Any:
    """The refresh token `raw`, checked (signature, claims, expiry, type, not revoked), or a
    401. A token signed with our key but missing a claim simplejwt reads without looking
    (`jti`) is a 401 too, not a 500."""
    try:
        # simplejwt annotates this parameter as a Token; it takes the token's encoded text.
        return MemberRefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as error:
        raise refused(str(error)) from error
    except KeyError as error:
        raise refused(f"The token has no {error.args[0]!r} claim.") from error


@lru_cache(maxsize=4096)
def _checked(raw_token: bytes) -> Token:
    # Only tokens that check out are kept: an exception is never cached.
    return JWTAuthentication.get_validated_token(_PLAIN, raw_token)


_PLAIN = JWTAuthentication()


class CheckedOnce:
    """An access token's signature and claims checked once per worker process, not on every
    request: the same text checks the same way until it expires, and a member sends the same
    token with every request for its lifetime. Its expiry is checked every time; a token that
    fails goes through simplejwt again, for simplejwt's own 401. Decoding and verifying took
    0.25 ms of a chat request."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = _checked(raw_token)
        try:
            token.check_exp(current_time=aware_utcnow())
        except TokenError:
            return JWTAuthentication.get_validated_token(_PLAIN, raw_token)
        return token


class MemberJWTAuthentication(CheckedOnce, JWTAuthentication):
    """simplejwt's bearer tokens. A correctly signed token whose user id is not an id at all
    (only someone holding the key can make one) is refused like any other bad token, instead of
    failing the request with a 500."""

    def get_user(self, validated_token: Any) -> Any:
        try:
            return super().get_user(validated_token)
        except (TypeError, ValueError) as error:
            raise refused("The token names no member.") from error


# drf-spectacular's __init_subclass__ (it registers the extension) has no annotations.
class MemberJWTScheme(SimpleJWTScheme):  # type: ignore[no-untyped-call]
    """The schema's `jwtAuth` security scheme, for the subclass too."""

    target_class = "django_project.api.authentication.MemberJWTAuthentication"


class TokenMember(TokenUser):
    """The member a valid access token names, known from the token alone. Its id is the int
    the use cases take (simplejwt keeps the claim a string)."""

    # simplejwt's TokenUser returns the claim as a str; the use cases take an int.
    @cached_property
    def id(self) -> int:  # type: ignore[override]
        return int(self.token[api_settings.USER_ID_CLAIM])

    @cached_property
    def pk(self) -> int:  # type: ignore[override]  # an int, as id is
        return self.id


class TokenAuthentication(CheckedOnce, JWTStatelessUserAuthentication):
    """The access token alone, with no member read: for views whose use case reads the member
    itself, in its own query, and answers 401 for one deactivated or deleted since the token
    was issued. Saves a query on the busiest requests."""

    def get_user(self, validated_token: Token) -> Any:
        try:
            int(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidToken("Token contained no recognizable user identification") from error
        return TokenMember(validated_token)
