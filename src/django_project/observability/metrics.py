"""Prometheus metrics of the HTTP side, and the registry /metrics shows.

uvicorn serves with several worker processes, each with its own counters. With
PROMETHEUS_MULTIPROC_DIR set (the server's start script points it at an empty directory), every
process writes its samples there and /metrics, whichever worker answers it, adds them all up.
Without it, /metrics shows the one process's own registry (`make run`, tests)."""

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess

# Route names, not paths, so that /api/chats/1/, /api/chats/2/ ... are one series; a path no
# route matches is one series too, whatever was asked for.
STATIC_ROUTE = "static"
UNMATCHED_ROUTE = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "chatbot_http_requests",
    "HTTP requests answered, by route name, method and status.",
    ["route", "method", "status"],
)
# Without the status, as django-prometheus does, to keep the series few; a streamed answer is
# timed until its last byte.
HTTP_DURATION = Histogram(
    "chatbot_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route name and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
QUOTA_REJECTIONS = Counter(
    "chatbot_quota_rejections",
    "Model requests refused because the member's daily allowance was used up.",
)


def method_label(method: str | None) -> str:
    return method if method in _METHODS else "other"


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    method = method_label(method)
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_DURATION.labels(route, method).observe(seconds)


def registry() -> CollectorRegistry:
    """Every worker's samples in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        combined = CollectorRegistry()
        # prometheus_client leaves this constructor unannotated.
        multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
        return combined
    return REGISTRY
