"""Plain requests to a model answer or fail within one deadline, retries included.

A plain chat request's turn is pending, with no lease renewal, for as long as the model takes
(docs/security.md, "Nothing is lost when a process dies"): the configuration can only promise
that a live request outlasts no lease if the adapter promises an upper bound. The SDKs' own
retries would add their back-off, and a Retry-After header of up to two minutes (OpenAI) or of
any length (Anthropic), on top of every attempt's timeout; so plain requests retry here instead.
"""

import itertools
import time
from collections.abc import Callable
from typing import TypeVar

from application.errors import ModelBusy, ModelError

_T = TypeVar("_T")
_Errors = type[BaseException]
BACKOFF_S = 0.5


def within(
    timeout_s: float,
    max_retries: int,
    attempt: Callable[[float], _T],
    retryable: Callable[[ModelError], bool],
) -> _T:
    """`attempt(seconds_left)` until it returns, at most `1 + max_retries` times, all of it
    within `timeout_s`; a retry only after a `retryable` error and only when its pause fits."""
    deadline = time.monotonic() + timeout_s
    for tries in itertools.count():
        remaining = deadline - time.monotonic()
        try:
            return attempt(remaining)
        except ModelError as error:
            pause = BACKOFF_S * 2**tries
            if not retryable(error) or tries >= max_retries or remaining <= pause:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


def retryable(error: ModelError, *, timeout: _Errors, connection: _Errors, status: _Errors) -> bool:
    """Worth asking again: the provider was busy, unreachable, or failed on its side. The SDK's
    error that caused `error` is told apart by its classes (both SDKs name them alike)."""
    cause = error.__cause__
    if isinstance(error, ModelBusy):
        return True
    if isinstance(cause, timeout):
        return False  # the time is spent already
    if isinstance(cause, connection):
        return True
    return isinstance(cause, status) and getattr(cause, "status_code", 0) >= 500
