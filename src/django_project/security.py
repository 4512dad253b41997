"""Content-Security-Policy for what Django itself renders. Django 5.2 has no CSP of its own.

The web app (frontend/public/, served by WhiteNoise before this middleware runs) carries its own
policy. Here: the admin and the API docs are pages from our own origin only, scripts from files
only, never inline (the docs' start-up script is a file too: SpectacularSwaggerSplitView);
styles may be inline, as both set style attributes from their scripts. Everything else Django
answers (JSON, errors, metrics) is no page at all: nothing may load or run if a browser is sent
to it, and nobody may frame it."""

import re

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


# The one call whose answer sets a cookie a browser must keep: starting a provider link
# (api/oauth.py). Credentialed CORS is allowed there alone, for the origins django-cors-headers
# already allowed; every other call carries a Bearer token and no cookie.
CREDENTIALED_PATH = re.compile(r"^/api/me/oauth/[-\w]+/link/$")


class CredentialedLinkCorsMiddleware(MiddlewareMixin):
    """Adds `Access-Control-Allow-Credentials: true` to the link call's answers, its preflight
    included, when django-cors-headers allowed the origin (an exact listed origin, never *)."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        allowed = response.get("Access-Control-Allow-Origin")
        if allowed and allowed != "*" and CREDENTIALED_PATH.match(request.path):
            response["Access-Control-Allow-Credentials"] = "true"
        return response
