"""GET /metrics: the Prometheus text format, for those allowed to read it."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from django_project.api.errors import not_found
from django_project.observability.access import address_allowed, token_matches
from django_project.observability.metrics import registry


def may_read_metrics(request: HttpRequest) -> bool:
    """In development anyone; in production a client from CHATBOT_METRICS_ALLOW, or one that
    shows CHATBOT_METRICS_TOKEN as a bearer token."""
    if settings.DEBUG:
        return True
    if address_allowed(request.META.get("REMOTE_ADDR"), settings.CHATBOT_METRICS_ALLOW):
        return True
    return token_matches(request.headers.get("Authorization", ""), settings.CHATBOT_METRICS_TOKEN)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """A 404 like any unknown path for whoever may not read it: nothing to probe."""
    if request.method not in ("GET", "HEAD") or not may_read_metrics(request):
        return not_found(request)
    response = HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
