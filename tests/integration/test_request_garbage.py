"""A request served by the production handler leaves no reference cycles behind: its objects are
freed by reference counting as soon as it is sent, not by the cyclic garbage collector, which
walks every object it holds when it runs (django_project/handler.py, `_untangle`)."""

import contextlib
import gc
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections

from django_project.handler import OneHopASGIHandler
from tests.integration.conftest import Member, start_chat


@pytest.fixture
def handler() -> OneHopASGIHandler:
    return OneHopASGIHandler()


@contextlib.contextmanager
def _connection_kept() -> Iterator[None]:
    """As Django's test client does around a request: the test's transaction holds the
    connection, so the request's signals must not close it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _scope(path: str, query: str = "", token: str | None = None) -> dict[str, Any]:
    headers = [(b"host", b"testserver")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def _cyclic_garbage(handler: OneHopASGIHandler, scope: dict[str, Any]) -> list[str]:
    """The objects that only the cyclic collector would have freed after serving `scope`."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        with _connection_kept():
            response, content = handler._serve(scope, io.BytesIO())
        assert response.status_code == 200, content
        del response, content
        gc.collect()
        return sorted({type(o).__qualname__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_public_reads_and_searches_leave_no_reference_cycles(
    handler: OneHopASGIHandler, member: Member
) -> None:
    chat_id = start_chat(member).json()["id"]
    for path, query in [
        ("/api/chats/", ""),
        ("/api/chats/", "q=개발자"),
        (f"/api/chats/{chat_id}/", ""),
    ]:
        assert _cyclic_garbage(handler, _scope(path, query)) == [], (path, query)


def test_a_members_read_leaves_no_reference_cycles(
    handler: OneHopASGIHandler, member: Member
) -> None:
    start_chat(member)
    assert _cyclic_garbage(handler, _scope("/api/me/chats/", token=member.access)) == []
