"""The login and sign-up throttles: DRF's scoped rates (`DEFAULT_THROTTLE_RATES`, from
CHATBOT_LOGIN_RATE and CHATBOT_SIGNUP_RATE) keyed by the client's address as DRF sees it
(REMOTE_ADDR; see NUM_PROXIES), counted by the Throttle use case in the database every worker of
every server shares, one atomic upsert per attempt (adapters/orm/throttle.py). DRF's own
counters read and write a cache entry without a lock, so a burst of simultaneous attempts all
read the same count and all pass. A refused attempt is DRF's 429 `throttled` with
Retry-After."""

import math
import threading
import time
from datetime import timedelta
from typing import Any

from dependency_injector.wiring import Provide, inject
from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from application.throttling import Throttle
from django_project.container import Container
from domain.throttle import Rate

LOGIN = "login"
ANON_READ = "anon_read"


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


class _Windows:
    """Fixed windows per key, in this process's memory. Reads are the hot path and write
    nothing to the database; this limit keeps one client from monopolising a worker, and the
    proxy in front (deploy/nginx: limit_req) holds the line across workers."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, list[float]] = {}  # key: [ends_at, count]

    def count(self, key: str, period: float) -> tuple[int, float]:
        """Count one read under `key`: the window's count with it, and seconds until it ends."""
        now = time.monotonic()
        with self._lock:
            window = self._windows.get(key)
            if window is None or window[0] <= now:
                if len(self._windows) >= self.MAX_KEYS:
                    self._forget_ended(now)
                window = self._windows[key] = [now + period, 0]
            window[1] += 1
            return int(window[1]), window[0] - now

    def forgive(self, key: str) -> None:
        with self._lock:
            window = self._windows.get(key)
            if window is not None and window[1] > 0:
                window[1] -= 1

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()

    def _forget_ended(self, now: float) -> None:
        ended = [key for key, (ends_at, _) in self._windows.items() if ends_at <= now]
        for key in ended:
            del self._windows[key]
        if len(self._windows) >= self.MAX_KEYS:
            # Every window still open: a flood of addresses. Starting them all afresh lets some
            # reads through early; keeping the memory bounded matters more.
            self._windows.clear()


ANON_READS = _Windows()


class AnonymousReadThrottle(BaseThrottle):
    """Reads without a login, per client address (CHATBOT_ANON_READ_RATE). Members are not
    limited by it; a 304 is not counted (AnonymousReadLimited gives it back)."""

    _left = 0.0

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method not in ("GET", "HEAD") or request.user is not None:
            return True
        rate = _rate(ANON_READ)
        key = self.get_ident(request)
        count, left = ANON_READS.count(key, rate.period.total_seconds())
        request.anonymous_read_key = key
        self._left = left
        return rate.admits(count)

    def wait(self) -> float | None:
        return max(1, math.ceil(self._left))


class AnonymousReadLimited(APIView):
    """A public read view: anonymous readers are throttled, their 304s not counted."""

    throttle_classes = (AnonymousReadThrottle,)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        key = getattr(request, "anonymous_read_key", None)
        if key is not None and response.status_code == 304:
            ANON_READS.forgive(key)
        return super().finalize_response(request, response, *args, **kwargs)
