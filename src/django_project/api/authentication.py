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
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import aware_utcnow

from domain.ids import MemberId


def requesting_member(request: Request) -> MemberId:
    """The member an authenticated request comes from (the view's permission lets no one else
    in; were one to forget it, an anonymous request gets a 401 here)."""
    pk = request.user.pk
    if pk is None:
        raise NotAuthenticated()
    return MemberId(pk)


def refused(detail: str) -> InvalidToken:
    return InvalidToken({"detail": detail, "code": "token_not_valid"})


def refresh_token(raw: str) -> Any:
    """The refresh token `raw`, checked (signature, expiry, type, not revoked), or a 401. A token
    signed with our key but missing a claim simplejwt reads without looking (`jti`) is a 401
    too, not a 500."""
    try:
        # simplejwt annotates this parameter as a Token; it takes the token's encoded text.
        return RefreshToken(raw)  # type: ignore[arg-type]
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
