"""The login and sign-up throttles: DRF's scoped rates (`DEFAULT_THROTTLE_RATES`, from
CHATBOT_LOGIN_RATE and CHATBOT_SIGNUP_RATE) keyed by the client's address as DRF sees it
(REMOTE_ADDR; see NUM_PROXIES), counted by the Throttle use case in the database every worker of
every server shares, one atomic upsert per attempt (adapters/orm/throttle.py). DRF's own
counters read and write a cache entry without a lock, so a burst of simultaneous attempts all
read the same count and all pass. A refused attempt is DRF's 429 `throttled` with
Retry-After."""

import math
from datetime import timedelta
from typing import Any

from dependency_injector.wiring import Provide, inject
from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from application.throttling import Throttle
from django_project.container import Container
from domain.throttle import Rate

LOGIN = "login"


def _rate(scope: str) -> Rate:
    # DRF's parsing of "10/minute", and its class attribute, which tests may patch.
    throttle = ScopedRateThrottle()
    throttle.scope = scope
    limit, seconds = throttle.parse_rate(ScopedRateThrottle.THROTTLE_RATES[scope])
    if limit is None or seconds is None:
        raise ImproperlyConfigured(f"No throttle rate for {scope!r} in DEFAULT_THROTTLE_RATES.")
    return Rate(limit=limit, period=timedelta(seconds=seconds))


@inject
def attempt(
    scope: str, keys: list[str], throttle: Throttle = Provide[Container.throttle]
) -> timedelta | None:
    """Count an attempt in `scope` under each of `keys`; None when it may go on, else the wait."""
    return throttle(_rate(scope), [f"{scope}:{key}" for key in keys])


def login_attempt(address: str, email: Any) -> timedelta | None:
    """A login, through the API or the admin: counted by the client's address and by the account
    it names (the email as the member table stores it), whether or not that account exists, so
    the throttle says nothing about which emails are members. The account's count bounds the
    guesses at one password from many addresses; the address's, one client's guesses at many."""
    return attempt(LOGIN, address_and_account(address, email))


def address_and_account(address: str, email: Any) -> list[str]:
    """The keys of an attempt that names an account by its email (as the member table stores
    it), whether or not a member has it."""
    keys = [f"address:{address}"]
    if isinstance(email, str) and email.strip():
        keys.append(f"account:{email.strip().lower()}")
    return keys


class CountedScopedThrottle(ScopedRateThrottle):
    """ScopedRateThrottle's rates and client address, counted atomically across processes."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self._wait = self.count(request)
        return self._wait is None

    def count(self, request: Request) -> timedelta | None:
        return attempt(str(self.scope), [f"address:{self.get_ident(request)}"])

    def wait(self) -> float | None:
        return None if self._wait is None else max(1, math.ceil(self._wait.total_seconds()))


class LoginThrottle(CountedScopedThrottle):
    """By address and by account (`login_attempt`)."""

    def count(self, request: Request) -> timedelta | None:
        data = request.data
        return login_attempt(
            self.get_ident(request), data.get("email") if hasattr(data, "get") else None
        )


class PasswordResetThrottle(CountedScopedThrottle):
    """By address and by the email asked about, whether or not a member has it: one address
    cannot mail many members, and many addresses cannot flood one inbox."""

    def count(self, request: Request) -> timedelta | None:
        data = request.data
        email = data.get("email") if hasattr(data, "get") else None
        return attempt(str(self.scope), address_and_account(self.get_ident(request), email))


class MemberThrottle(CountedScopedThrottle):
    """By the member asking (authenticated before throttles run) and by address."""

    def count(self, request: Request) -> timedelta | None:
        keys = [f"member:{request.user.pk}"] if request.user is not None else []
        return attempt(str(self.scope), [*keys, f"address:{self.get_ident(request)}"])


def check_password_attempt(request: Request, email: str) -> None:
    """A step that checks the member's password (changing it, deleting the account) counts as a
    login to their account, so it gives no more guesses than the login does. 429 past it."""
    wait = login_attempt(CountedScopedThrottle().get_ident(request), email)
    if wait is not None:
        raise Throttled(wait=max(1, math.ceil(wait.total_seconds())))
