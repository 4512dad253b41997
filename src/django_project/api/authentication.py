from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken


def refused(detail: str) -> InvalidToken:
    return InvalidToken({"detail": detail, "code": "token_not_valid"})


def refresh_token(raw: str) -> Any:
    """The refresh token `raw`, checked (signature, expiry, type, not revoked), or a 401. A token
    signed with our key but missing a claim simplejwt reads without looking (`jti`) is a 401
    too, not a 500."""
    try:
        return RefreshToken(raw)
    except TokenError as error:
        raise refused(str(error)) from error
    except KeyError as error:
        raise refused(f"The token has no {error.args[0]!r} claim.") from error


class MemberJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer tokens. A correctly signed token whose user id is not an id at all
    (only someone holding the key can make one) is refused like any other bad token, instead of
    failing the request with a 500."""

    def get_user(self, validated_token: Any) -> Any:
        try:
            return super().get_user(validated_token)
        except (TypeError, ValueError) as error:
            raise refused("The token names no member.") from error


class MemberJWTScheme(SimpleJWTScheme):
    """The schema's `jwtAuth` security scheme, for the subclass too."""

    target_class = MemberJWTAuthentication
