"""A streamed answer that ends without `done` or `error`, as it does through nginx when the app
server writing it dies (docs/deploy.md, "Several app servers"): nginx has already sent part of
the stream, so it cannot try another server, and closes the connection without ending the
chunked body. The page follows the turn again (GET .../turns/{id}/stream/) from the text it
already shows until the stored answer; only a cut before the turn was stored says the answer was
interrupted and offers to reload the chat."""

import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.e2e.conftest import Member, Members, screenshot, sign_in
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.live_server import LiveServer

WORDS = [f"word{n}" for n in range(100)]  # 10 s at TOKEN_DELAY_S: still pending at the reload
SLOW_ANSWER = " ".join(WORDS)
DELTA = b"event: delta"
TOKEN_DELAY_S = 0.1


class CuttingProxy:
    """A TCP proxy on loopback in front of the API. Once armed, it closes the connection that
    carries the `after`-th `event: delta` of a response, both ways, mid-body: what a browser
    gets from nginx when the upstream it was streaming from goes away."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.armed_after: int | None = None
        self.cuts = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def arm(self, after: int) -> None:
        with self._lock:
            self.armed_after = after

    def close(self) -> None:
        self.listener.close()
        for sock in self._sockets:
            with suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        seen = 0
        try:
            while data := source.recv(65536):
                target.sendall(data)
                if not answers:
                    continue
                seen += data.count(DELTA)
                with self._lock:
                    cut = self.armed_after is not None and seen >= self.armed_after
                    if cut:
                        self.armed_after = None
                        self.cuts += 1
                if cut:
                    break
        except OSError:
            pass
        for sock in (source, target):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def proxy(api: LiveServer) -> Iterator[CuttingProxy]:
    cutter = CuttingProxy(api.port)
    yield cutter
    cutter.close()


def stored_turn(api: LiveServer, member: Member, chat_id: int, question: str) -> dict[str, Any]:
    with api.client(member.access) as client:
        turns = client.get(f"/api/chats/{chat_id}/").json()["turns"]
    return next(turn for turn in turns if turn["question"] == question)


def wait_for_status(
    api: LiveServer, member: Member, chat_id: int, question: str, status: str
) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while (turn := stored_turn(api, member, chat_id, question))["status"] != status:
        assert time.monotonic() < deadline, turn
        time.sleep(0.2)
    return turn


def test_a_stream_cut_mid_answer_is_followed_to_its_end_without_a_reload(
    page: Page, api: LiveServer, model: FakeOpenAI, members: Members, proxy: CuttingProxy
) -> None:
    member = members.create("cut")
    chat = members.start_chat(member)
    sign_in(page, api, member, f"/chats/{chat['id']}", origin=proxy.url)
    box = page.get_by_label("Your message")

    model.script(Reply(SLOW_ANSWER, token_delay_s=TOKEN_DELAY_S))
    proxy.arm(after=3)
    box.fill("What comes next?")
    box.press("Enter")

    # Cut after a few words while the server goes on writing (here it lives; only the way to
    # the client was cut): the page picks the answer up where it is and follows it to its end,
    # with nothing to reload and nothing inviting to ask (and pay) twice.
    answer = page.locator(".msg-answer").last
    expect(answer.locator(".markdown")).to_contain_text("word0")
    wait_for_cut = time.monotonic() + 30
    while proxy.cuts < 1:
        assert time.monotonic() < wait_for_cut, "the proxy never cut the stream"
        time.sleep(0.05)
    assert wait_for_status(api, member, chat["id"], "What comes next?", "pending")
    expect(answer).to_have_attribute("data-status", "streaming")
    screenshot(page, "17-answer-cut-followed")
    expect(answer).to_have_attribute("data-status", "completed", timeout=30_000)
    # Each word once: the text the cut stream drew is continued, not drawn again.
    text = answer.locator(".markdown").inner_text()
    assert text.split() == WORDS
    assert proxy.cuts == 1
    expect(answer.get_by_role("button", name="Ask again")).to_have_count(0)
    expect(answer.get_by_role("alert")).to_have_count(0)
    expect(page.locator(".msg-user .plain", has_text="What comes next?")).to_have_count(1)
    expect(box).to_be_editable()


def test_a_stream_that_ends_without_done_is_followed_to_the_stored_answer_in_korean(
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    model: FakeOpenAI,
    members: Members,
) -> None:
    member = members.create("endsearly")
    chat = members.start_chat(member)
    page = new_context(locale="ko-KR").new_page()
    sign_in(page, api, member, f"/chats/{chat['id']}")

    # A response that ends cleanly but early: the events up to the first delta, then nothing.
    def without_the_end(route: Route) -> None:
        response = route.fetch()
        body = response.body()
        cut = body.index(b"\n\n", body.index(DELTA)) + 2
        route.fulfill(response=response, body=body[:cut])

    page.route("**/api/chats/*/messages/", without_the_end)
    model.script(Reply("첫 마디만 오고 끝나는 답"))
    box = page.get_by_label("메시지")
    box.fill("다음은요?")
    box.press("Enter")

    answer = page.locator(".msg-answer").last
    expect(answer).to_have_attribute("data-status", "completed")
    expect(answer.locator(".markdown")).to_have_text("첫 마디만 오고 끝나는 답")
    expect(answer.get_by_role("alert")).to_have_count(0)
    screenshot(page, "18-answer-cut-followed-ko")


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("en-US", "The server stopped before this answer was finished."),
        ("ko-KR", "답을 쓰던 서버가 멈춰서 답이 끝나지 못했어요."),
    ],
)
def test_an_answer_whose_server_died_says_so_and_that_the_request_came_back(
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    members: Members,
    database_url: str,
    locale: str,
    message: str,
) -> None:
    member = members.create("swept")
    chat = members.start_chat(member)
    # What the lease sweep writes for a turn whose server died mid-answer (application/
    # recovery.py; the sweep itself is tested in tests/integration/test_crash_safety.py).
    with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db, db:
        db.execute(
            "UPDATE chatbot_turn SET status = 'failed', error_code = 'interrupted' "
            "WHERE chat_id = ?",
            (chat["id"],),
        )
    page = new_context(locale=locale).new_page()
    sign_in(page, api, member, f"/chats/{chat['id']}")

    answer = page.locator(".msg-answer").last
    expect(answer).to_have_attribute("data-status", "failed")
    expect(answer.get_by_role("alert")).to_contain_text(message)
