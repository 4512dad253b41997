"""A read served by the production handler leaves no reference cycles behind: its objects are
freed by reference counting as soon as it is sent, not by the cyclic garbage collector, which
walks every object it holds when it runs (django_project/handler.py, `_untangle`). A request
whose body a DRF serializer validates still leaves the serializer's own cycle (it and its
fields), which holds the request until the next collection."""

import gc
import io
import weakref
from typing import Any

import pytest
from rest_framework.test import APIClient

from django_project.handler import OneHopASGIHandler
from tests.integration.conftest import Member, connection_kept, start_chat


@pytest.fixture
def handler() -> OneHopASGIHandler:
    return OneHopASGIHandler()


def _scope(
    path: str,
    query: str = "",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (name.lower().encode(), value.encode())
            for name, value in {"host": "testserver", **(headers or {})}.items()
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def _left_behind(
    handler: OneHopASGIHandler, scope: dict[str, Any], status: int, body: bytes = b""
) -> list[str]:
    """Serve `scope`; what only the cyclic collector would have freed of it (the response
    itself must be freed the moment the last reference to it goes)."""
    debug = gc.get_debug()
    gc.collect()
    gc.set_debug(debug | gc.DEBUG_SAVEALL)
    try:
        with connection_kept():
            response, content = handler._serve(scope, io.BytesIO(body))
        assert response.status_code == status, content
        sent = weakref.ref(response)
        del response, content
        assert sent() is None, "the response outlived its last reference"
        gc.collect()
        return sorted({type(o).__qualname__ for o in gc.garbage})
    finally:
        gc.set_debug(debug)
        gc.garbage.clear()


def test_public_reads_leave_no_reference_cycles(handler: OneHopASGIHandler, member: Member) -> None:
    chat_id = start_chat(member).json()["id"]
    etag = APIClient().get("/api/chats/")["ETag"]
    for scope, status in [
        (_scope("/api/chats/"), 200),
        (_scope("/api/chats/", "q=개발자"), 200),
        (_scope(f"/api/chats/{chat_id}/"), 200),
        (_scope("/api/chats/", method="HEAD"), 200),
        (_scope("/api/chats/", headers={"If-None-Match": etag}), 304),
        (_scope("/api/chats/987654/"), 404),
        (_scope("/api/chats/", "q=" + "a" * 300), 400),
    ]:
        assert _left_behind(handler, scope, status) == [], (scope["path"], scope["query_string"])


def test_a_members_read_leaves_no_reference_cycles(
    handler: OneHopASGIHandler, member: Member
) -> None:
    start_chat(member)
    mine = _scope("/api/me/chats/", headers={"Authorization": f"Bearer {member.access}"})
    assert _left_behind(handler, mine, 200) == []
