"""Search engines and other crawlers: nothing is indexed unless the operator says so.

Every chat is public to read, but a reader who found one through a search engine is not what
its author signed up for (shared chats of other products ended up in search results by the
hundred thousand). So every answer, the web app's files included, says `X-Robots-Tag: noindex`,
and /robots.txt asks crawlers to stay away. With CHATBOT_ALLOW_INDEXING=1 a view may mark a
response as indexable (`response.indexable = True`: the share pages of visible chats that show
their author); everything else stays noindex.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_safe

NOINDEX = "noindex, nofollow"
# Where share pages live; the only path a crawler may visit when indexing is allowed.
SHARE_PREFIX = "/c/"


class NoIndexMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        indexable = settings.CHATBOT_ALLOW_INDEXING and getattr(response, "indexable", False)
        if not indexable:
            response.headers["X-Robots-Tag"] = NOINDEX
        return response


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *"]
    if settings.CHATBOT_ALLOW_INDEXING:
        lines.append(f"Allow: {SHARE_PREFIX}")
    lines.append("Disallow: /")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    # Crawlers fetch it often; a day's copy is plenty for a setting that rarely changes.
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
