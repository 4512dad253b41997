"""Share pages: `/c/{id}`, a small HTML page per public chat that link previews (KakaoTalk, Slack,
X) can read, since the web app's own links (`#/chats/12`) carry nothing a crawler runs. The page
says what the chat is (its title, its journey, its author unless anonymous) in Open Graph and
Twitter card tags, and sends a browser on to the web app's page of the chat: a meta refresh and
a link, no script (the page's policy allows none).

Only what the chat's public page shows is shown: never the member's email, birth year or job.
A chat that is not there, deleted or hidden by moderation is a 404 page that no cache keeps.
The page is cached like the chat's public read (s-maxage), with an ETag; it costs one query,
the feed's for one chat, however long the chat."""

from typing import Any

from dependency_injector.wiring import Provide, inject
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from application.chats import GetChat
from application.errors import ChatNotFound
from application.views import ChatSummary
from django_project.api import caching
from django_project.container import Container
from domain.ids import ChatId
from domain.prompts import language_of

SITE_NAME = "chatbot"
IMAGE = "/img/share-card.png"  # frontend/public/img/, served by WhiteNoise from this origin
DEFAULT_LANGUAGE = "ko"
# Previews cut a description at about 200 characters; each side of the journey gets half.
_SIDE = 100
# The policy of a page that runs nothing and loads nothing but its own inline style.
POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_WORDS = {
    "ko": {
        "open": "대화 보기",
        "by": "작성자",
        "missing": "찾을 수 없는 대화입니다",
        "missing_detail": "삭제되었거나 공개되지 않은 대화입니다.",
        "home": "chatbot으로 가기",
    },
    "en": {
        "open": "Open the chat",
        "by": "By",
        "missing": "No such chat",
        "missing_detail": "It was deleted or is not public.",
        "home": "Go to chatbot",
    },
}


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def web_app_url(route: str = "/") -> str:
    """The web app's page for `route`, where CHATBOT_FRONTEND_URL says the web app lives."""
    return f"{settings.CHATBOT.frontend_url}#{route}"


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int
) -> HttpResponse:
    response = HttpResponse(
        render_to_string(template, context, request=request),
        status=status,
        content_type="text/html; charset=utf-8",
    )
    response["Content-Security-Policy"] = POLICY
    # A page for people, which error_pages.py leaves as it is (it turns Django's own error
    # pages into the API's JSON).
    response.for_people = True  # type: ignore[attr-defined]
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    words = _WORDS[DEFAULT_LANGUAGE]
    context = {"lang": DEFAULT_LANGUAGE, "words": words, "home": web_app_url()}
    response = _page(request, "share/not_found.html", context, 404)
    response["Cache-Control"] = caching.NOT_FOUND
    return response


def _context(request: HttpRequest, chat: ChatSummary) -> dict[str, Any]:
    journey = chat.journey
    lang = language_of(journey.current_state, journey.goal) or DEFAULT_LANGUAGE
    return {
        "lang": lang,
        "words": _WORDS.get(lang, _WORDS[DEFAULT_LANGUAGE]),
        "site_name": SITE_NAME,
        "title": chat.title,
        "description": f"{_clip(journey.current_state, _SIDE)} → {_clip(journey.goal, _SIDE)}",
        "from": journey.current_state,
        "to": journey.goal,
        "author": chat.author,
        "url": request.build_absolute_uri(f"/c/{chat.id}"),
        "image": request.build_absolute_uri(IMAGE),
        "target": web_app_url(f"/chats/{chat.id}"),
    }


@require_safe
@inject
def share_page(
    request: HttpRequest, chat_id: int, get_chat: GetChat = Provide[Container.get_chat]
) -> HttpResponse:
    try:
        # The chat as the feed shows it to anyone: one query, however long the chat.
        chat = get_chat.summary(ChatId(chat_id))
    except ChatNotFound:
        return _not_found(request)
    tag = caching.page_tag(("share", chat))
    if caching.fresh(request, tag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = _page(request, "share/chat.html", _context(request, chat), 200)
    response["ETag"] = tag
    response["Cache-Control"] = caching.PUBLIC_SETTLED
    # Search engines may list it when the operator allows indexing and the chat shows its
    # author (django_project/robots.py); an anonymous chat stays out of them.
    response.indexable = not chat.anonymous  # type: ignore[attr-defined]
    return response
