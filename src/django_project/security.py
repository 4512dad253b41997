"""Content-Security-Policy for what Django itself renders. Django 5.2 has no CSP of its own.

The web app (frontend/public/, served by WhiteNoise before this middleware runs) carries its own
policy. Here: the admin and the API docs are pages from our own origin only, scripts from files
only, never inline (the docs' start-up script is a file too: SpectacularSwaggerSplitView);
styles may be inline, as both set style attributes from their scripts. Everything else Django
answers (JSON, errors, metrics) is no page at all: nothing may load or run if a browser is sent
to it, and nobody may frame it."""

from django.http import HttpRequest, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

PAGE = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
NO_PAGE = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
PAGES = ("/admin/", "/api/docs/")


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if "Content-Security-Policy" not in response:
            page = request.path.startswith(PAGES)
            response["Content-Security-Policy"] = PAGE if page else NO_PAGE
        return response
