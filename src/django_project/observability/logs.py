"""Log lines as one JSON object each (or plain text in development), every one carrying the id of
the request it was written for, with anything that looks like a credential blotted out.

The request id lives in a context variable: a sync view running in a thread and the task that
generates a streamed answer both start from a copy of the request's context, so their lines carry
the id of the request that started them without anyone passing it along."""

import json
import logging
import re
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# A safety net, not the rule: the code never logs tokens, keys, passwords, Authorization headers
# or request bodies. These catch one that slips into a message anyway (an SDK's error text, say).
_SECRETS = [
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?"), "[redacted-jwt]"),
    (re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_-]{6,}"), "sk-[redacted]"),
]

# What every LogRecord has; anything else on a record came from `extra=` and is worth writing.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "request_id_text", "taskName", "color_message"}
)


# What each of them begins with: most text has none, and one search rules all three out.
_MAYBE_SECRET = re.compile(r"(?i)bearer|eyJ|sk-")


def redact(text: str) -> str:
    if not _MAYBE_SECRET.search(text):
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on the record as `request_id` (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class RedactSecretsFilter(logging.Filter):
    """Rewrites the message, the traceback and the stack of a record so that no bearer token,
    JWT or `sk-` / `sk-ant-` API key in them reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: the formatter reports it as logging always does
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, pid,
    the record's `extra` fields that are plain values, and `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
            "pid": record.process,  # which worker process wrote it
        }
        for key, value in vars(record).items():
            # Objects (a request, a socket) are left out: their text is not ours to vouch for.
            if key not in _STANDARD and not key.startswith("_") and _plain(value):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The development format: `time LEVEL logger [request id] message`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id_text)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id_text = getattr(record, "request_id", None) or request_id.get() or "-"
        return redact(super().format(record))
