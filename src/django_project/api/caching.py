"""HTTP caching of the public reads: validators, conditional GET and who may keep a copy.

Browsers always revalidate (`max-age=0`): the web app reads the feed (and chats, when nobody is
logged in) without a token, and an author must see a new turn or a deleted chat at once; a
revalidation that finds nothing changed is a 304 and costs one query. Shared caches (nginx, a
CDN) may serve a chat without a pending turn for CHAT_SHARED_AGE seconds and a feed page for
FEED_SHARED_AGE seconds without asking (`s-maxage`), which absorbs bursts of anonymous reads at
the cost of a change reaching readers behind such a cache that much later. A chat whose answer
is on its way is revalidated on every use by every cache (`no-cache`). The owner's page holds
their private profile: `private, no-store`, never in a shared cache nor on disk. The page
differs by viewer, so it varies on Authorization: a cache never hands the owner's copy to anyone
else, nor the public copy to the owner. Any other logged-in reader's page shows their own
ratings of the answers (`my_rating`), so it is theirs alone too (`private, no-cache`, its
validator covering their ratings); only the anonymous page, with no rating in it, is public. A
member's own list is theirs alone: `private, no-cache`. A chat hidden by moderation is seen by
its owner and staff alone, never from a shared copy (`private, no-store`); its 404 to everyone
else is kept by no cache (`no-store`), so a restored chat is back at once and a hidden one
leaves shared caches within `s-maxage`.

Validators are weak ETags (the same content, not necessarily the same bytes: a proxy may
compress). No Last-Modified: a chat's timestamps do not move when its author is renamed, and a
second is too coarse for a turn answered within one; an ETag covers both.
"""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from application.views import ChatVersion
from domain.ids import MemberId

CHAT_SHARED_AGE = 5
FEED_SHARED_AGE = 2
PUBLIC_SETTLED = f"public, max-age=0, s-maxage={CHAT_SHARED_AGE}"
PUBLIC_PENDING = "public, no-cache"
OWNER_ONLY = "private, no-store"
FEED = f"public, max-age=0, s-maxage={FEED_SHARED_AGE}"
MINE = "private, no-cache"
# A logged-in reader's page of someone else's chat: their own ratings are in it.
READER = "private, no-cache"
# A chat that is not there (deleted, hidden by moderation, never was): no cache keeps the 404.
NOT_FOUND = "no-store"


def etag(token: str) -> str:
    return f'W/"{token}"'


def fresh(request: Request | HttpRequest, tag: str) -> bool:
    """Whether the client's copy (If-None-Match, weak comparison) is the current one."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    wanted = tag.removeprefix("W/")
    return any(t == "*" or t.removeprefix("W/") == wanted for t in parse_etags(header))


def wants_validation(request: Request) -> bool:
    return bool(request.headers.get("If-None-Match"))


def chat_policy(version: ChatVersion, viewer: MemberId | None) -> str:
    # A hidden chat is seen by its owner and staff alone: never a shared copy of it.
    if viewer == version.owner_id or version.hidden:
        return OWNER_ONLY
    if viewer is not None:
        return READER
    return PUBLIC_SETTLED if version.settled else PUBLIC_PENDING


def page_tag(parts: Iterable[Any]) -> str:
    """A validator over what a page of chats shows (its items and its next link)."""
    return etag(hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()[:32])


def with_validator(
    response: Response, tag: str, cache_control: str, vary: tuple[str, ...] = ()
) -> Response:
    response["ETag"] = tag
    response["Cache-Control"] = cache_control
    if vary:
        patch_vary_headers(response, vary)
    return response


def not_modified(tag: str, cache_control: str, vary: tuple[str, ...] = ()) -> Response:
    """304: the client's copy is current; the same caching headers a 200 would carry."""
    return with_validator(Response(status=status.HTTP_304_NOT_MODIFIED), tag, cache_control, vary)
