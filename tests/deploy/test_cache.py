"""nginx's shared cache of the public reads (deploy/nginx/snippets/chatbot-cache.conf), for real
over TLS in front of the app: anonymous readers share a copy of the feed and of a settled chat
for as long as the app's `s-maxage` allows and no longer, and nothing a token sees, nothing
private, pending or posted is ever stored or served from it. `X-Cache-Status` tells what nginx
did.

The servers are tests/deploy/conftest.py's (`site`: nginx in front of `app`), this module's own,
with a model that answers at once unless a test scripts a slower one. Time bounds are taken from
the client's clock around each request and allow for nginx's: it counts a lifetime in whole
seconds, so a copy of the feed (s-maxage=2) lasts more than 2 s and less than 3."""

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.deploy.conftest import Nginx
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.live_server import LiveServer
from tests.support.members import sign_up_and_log_in

pytestmark = pytest.mark.django_db(transaction=True)

FEED_AGE = 2  # s-maxage of the feed (src/django_project/api/caching.py)
CHAT_AGE = 5  # s-maxage of a settled chat
FEED = f"public, max-age=0, s-maxage={FEED_AGE}"
SETTLED = f"public, max-age=0, s-maxage={CHAT_AGE}"
PENDING = "public, no-cache"
OWNER_ONLY = "private, no-store"
# nginx's clock for lifetimes has a resolution of one second; and a busy machine may run a
# worker late, on a clock it read a moment before.
CLOCK_S = 1
SLACK_S = 0.5
POLL_S = 0.2
# Far beyond any lifetime here and any stall of a loaded machine: only a broken cache gets there.
DEADLINE_S = 120.0
INTAKE = {"current_state": "I write Python at a small startup.", "goal": "Lead a team in 2 years."}
# What only the owner's page shows: their profile, sent to the model with their question.
PRIVATE_JOB = "lighthouse keeper on Skerryvore"


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    """The model, answering at once: these tests make chats, they do not watch them stream."""
    with FakeOpenAI(default=Reply("Ship one small project end to end, then mentor.")) as server:
        yield server


@dataclass(frozen=True)
class Read:
    """One GET and when it was sent and answered (the client's monotonic clock)."""

    answer: httpx.Response
    sent_at: float
    received_at: float

    @property
    def status(self) -> str:
        return str(self.answer.headers.get("x-cache-status", ""))

    @property
    def ids(self) -> list[int]:
        return [chat["id"] for chat in self.answer.json()["results"]]


def read(client: httpx.Client, path: str, method: str = "GET", **headers: str) -> Read:
    sent_at = time.monotonic()
    answer = client.request(method, path, headers=headers)
    return Read(answer, sent_at, time.monotonic())


def poll(client: httpx.Client, path: str, until: Callable[[Read], bool]) -> list[Read]:
    """Read `path` every POLL_S until `until` holds; every read, the last one the first that
    satisfied it."""
    reads: list[Read] = []
    deadline = time.monotonic() + DEADLINE_S
    while True:
        reads.append(read(client, path))
        if until(reads[-1]):
            return reads
        assert time.monotonic() < deadline, [(r.status, r.answer.status_code) for r in reads]
        time.sleep(POLL_S)


def assert_hits_within(reads: list[Read], stored: Read, age: int) -> None:
    """nginx served its copy (stored by `stored`) only within `age` seconds of storing it, as
    its whole-second clock counts them: a HIT is sent before the copy's lifetime is over."""
    for hit in (r for r in reads if r.status == "HIT"):
        assert hit.sent_at - stored.received_at < age + CLOCK_S + SLACK_S, (hit, stored)


def join(site: Nginx, nickname: str) -> str:
    with site.client() as client:
        return sign_up_and_log_in(client, nickname).access


def start_chat(client: httpx.Client, path: str = "/api/chats/") -> int:
    """POST a chat (JSON, not a stream) with `client`, which carries a token."""
    answer = client.post(path, json=INTAKE)
    assert answer.status_code == 201, answer.text
    assert "x-cache-status" not in answer.headers
    return int(answer.json()["id"])


def cached_bytes(site: Nginx) -> bytes:
    """Everything nginx has stored in its cache folder."""
    return b"".join(f.read_bytes() for f in site.paths.cache.rglob("*") if f.is_file())


# ---------------------------------------------------------------- the feed


def test_the_feed_is_shared_for_its_s_maxage_then_refetched_or_revalidated(site: Nginx) -> None:
    token = join(site, "feedwriter")
    path = "/api/chats/?page_size=50"  # an entry of this test's own
    with site.client(token) as member, site.client() as anonymous:
        start_chat(member)
        # A member's read neither comes from the cache nor goes into it.
        members = read(member, path)
        assert members.status == "BYPASS"
        assert members.answer.headers["cache-control"] == FEED

        miss = read(anonymous, path)
        hit = read(anonymous, path)
        assert (miss.status, hit.status) == ("MISS", "HIT")
        assert hit.answer.json() == miss.answer.json() == members.answer.json()
        # The app's headers go out unchanged: browsers still revalidate every time (max-age=0),
        # and nginx answers their If-None-Match from its copy.
        assert hit.answer.headers["cache-control"] == FEED
        assert hit.answer.headers["etag"] == miss.answer.headers["etag"]
        revalidated = read(anonymous, path, **{"If-None-Match": miss.answer.headers["etag"]})
        assert (revalidated.answer.status_code, revalidated.status) == (304, "HIT")

        # A new chat: its author sees it at once; anonymous readers once the copy has expired,
        # which nginx notices and refetches (the app's ETag changed, so it answers 200).
        new = start_chat(member)
        assert new in read(member, path).ids
        reads = poll(anonymous, path, lambda r: new in r.ids)
        refetched = reads[-1]
        assert refetched.status == "EXPIRED"
        assert all(r.status == "HIT" for r in reads[:-1])  # the old copy, without the new chat
        assert_hits_within([hit, revalidated, *reads], stored=miss, age=FEED_AGE)
        assert refetched.received_at - miss.sent_at > FEED_AGE  # kept for its whole s-maxage

        # Nothing changes now: once expired, the copy is revalidated (304 from the app) and
        # serves again.
        reads = poll(anonymous, path, lambda r: r.status != "HIT")
        assert reads[-1].status == "REVALIDATED", [r.status for r in reads]
        assert reads[-1].answer.status_code == 200
        assert reads[-1].answer.json() == refetched.answer.json()
        assert_hits_within(reads, stored=refetched, age=FEED_AGE)
        assert reads[-1].received_at - refetched.sent_at > FEED_AGE
        assert read(anonymous, path).status == "HIT"


def test_each_query_string_is_a_page_of_its_own(site: Nginx) -> None:
    token = join(site, "pager")
    with site.client(token) as member, site.client() as anonymous:
        for _ in range(3):
            start_chat(member)

        one = read(anonymous, "/api/chats/?page_size=1")
        two = read(anonymous, "/api/chats/?page_size=2")
        assert (one.status, two.status) == ("MISS", "MISS")
        assert (len(one.ids), len(two.ids)) == (1, 2)
        following = httpx.URL(one.answer.json()["next"])
        assert following.params["cursor"]
        later = read(anonymous, following.raw_path.decode())
        assert later.status == "MISS"
        assert later.ids != one.ids

        again = [read(anonymous, r.answer.request.url.raw_path.decode()) for r in (one, two, later)]
        assert [r.status for r in again] == ["HIT"] * 3
        assert [r.ids for r in again] == [one.ids, two.ids, later.ids]
        # HEAD is answered from the GET's copy.
        head = read(anonymous, "/api/chats/?page_size=1", method="HEAD")
        assert (head.answer.status_code, head.status, head.answer.content) == (200, "HIT", b"")


# ---------------------------------------------------------------- a chat's page


def test_a_settled_chat_is_shared_but_the_owners_page_never_is(site: Nginx) -> None:
    owner, other = join(site, "keeper"), join(site, "visitor")
    with site.client(owner) as mine, site.client(other) as member, site.client() as anonymous:
        profile = mine.patch("/api/me/", json={"job": PRIVATE_JOB, "born_year": 1971})
        assert profile.status_code == 200, profile.text
        path = f"/api/chats/{start_chat(mine)}/"

        owners = read(mine, path)
        assert owners.status == "BYPASS"
        assert owners.answer.headers["cache-control"] == OWNER_ONLY
        assert PRIVATE_JOB in owners.answer.text

        # The owner's read left nothing behind: the first anonymous read goes to the app, and
        # gets the public page.
        first = read(anonymous, path)
        again = read(anonymous, path)
        assert (first.status, again.status) == ("MISS", "HIT")
        assert first.answer.headers["cache-control"] == SETTLED
        assert "authorization" in first.answer.headers["vary"].lower()
        assert again.answer.json() == first.answer.json()
        assert PRIVATE_JOB not in first.answer.text

        # With the public copy in the cache, the owner still gets their own page from the app,
        # and another member the public page, from the app too.
        owners_again = read(mine, path)
        assert owners_again.status == "BYPASS"
        assert PRIVATE_JOB in owners_again.answer.text
        assert owners_again.answer.json() != first.answer.json()
        others = read(member, path)
        assert others.status == "BYPASS"
        assert others.answer.json() == first.answer.json()

    stored = cached_bytes(site)
    assert path.encode() in stored  # the public copy is on disk...
    assert PRIVATE_JOB.encode() not in stored  # ...and nothing of the owner's is


def test_a_chat_whose_answer_is_pending_is_never_served_from_the_cache(
    site: Nginx, model: FakeOpenAI
) -> None:
    token = join(site, "waiter")
    # An answer slow enough to read the chat a few times while it is on its way.
    model.script(Reply(" ".join(["word"] * 20), token_delay_s=0.1))
    headers = {"Accept": "text/event-stream"}
    with site.client(token) as member, site.client() as anonymous:
        with member.stream("POST", "/api/chats/", json=INTAKE, headers=headers) as stream:
            assert "x-cache-status" not in stream.headers
            lines = stream.iter_lines()
            chat_id = next(json.loads(line[6:])["chat_id"] for line in lines if '"chat_id"' in line)
            path = f"/api/chats/{chat_id}/"
            pending = [read(anonymous, path) for _ in range(3)]
            rest = list(lines)
        assert [r.status for r in pending] == ["MISS"] * 3
        assert {r.answer.headers["cache-control"] for r in pending} == {PENDING}
        assert {r.answer.json()["turns"][0]["status"] for r in pending} == {"pending"}
        assert any(line == "event: done" for line in rest), rest[-5:]

        # Answered: now it is shared.
        settled = [read(anonymous, path) for _ in range(2)]
        assert [r.status for r in settled] == ["MISS", "HIT"]
        assert settled[0].answer.headers["cache-control"] == SETTLED


def test_a_burst_of_readers_on_a_page_nginx_has_no_copy_of_reaches_the_app_once(
    site: Nginx, app: LiveServer
) -> None:
    token = join(site, "popular")
    with site.client(token) as member:
        path = f"/api/chats/{start_chat(member)}/"
    readers = 8
    start = threading.Barrier(readers)
    answers: dict[str, httpx.Response] = {}

    def reader(rid: str) -> None:
        with site.client() as anonymous:  # a connection each, so they are truly at once
            anonymous.get("/healthz")  # the TLS handshake out of the way
            start.wait(timeout=30)
            answers[rid] = anonymous.get(path, headers={"X-Request-ID": rid})

    since = app.log_size()
    threads = [threading.Thread(target=reader, args=(f"burst-{i}",)) for i in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answers) == sorted(f"burst-{i}" for i in range(readers))
    assert {a.status_code for a in answers.values()} == {200}
    assert len({a.text for a in answers.values()}) == 1
    statuses = sorted(a.headers["x-cache-status"] for a in answers.values())
    # One went to the app; the others waited for its answer (proxy_cache_lock) and got the copy.
    assert statuses == ["HIT"] * (readers - 1) + ["MISS"], statuses
    logged = [json.loads(line) for line in app.logs(since).splitlines() if line.startswith("{")]
    reached = [e["request_id"] for e in logged if e.get("logger") == "chatbot.access"]
    assert len([rid for rid in reached if rid.startswith("burst-")]) == 1, reached


def test_a_deleted_chat_is_gone_once_its_copy_expires_and_its_404_is_not_kept(
    site: Nginx,
) -> None:
    token = join(site, "deleter")
    with site.client(token) as owner, site.client() as anonymous:
        path = f"/api/chats/{start_chat(owner)}/"
        stored = read(anonymous, path)
        assert stored.status == "MISS"

        assert owner.delete(path).status_code == 204
        assert read(owner, path).answer.status_code == 404  # at once for the owner
        # For anonymous readers the copy serves until it expires, then the app's 404 comes
        # through; a 404 carries no lifetime, so it is never kept.
        reads = poll(anonymous, path, lambda r: r.answer.status_code == 404)
        assert all(r.status == "HIT" and r.answer.status_code == 200 for r in reads[:-1])
        assert_hits_within(reads, stored=stored, age=CHAT_AGE)
        assert reads[-1].status == "EXPIRED"
        again = read(anonymous, path)
        assert again.answer.status_code == 404
        assert again.status != "HIT"


# ---------------------------------------------------------------- never cached


def test_posts_and_my_chats_are_never_cached(site: Nginx) -> None:
    token = join(site, "poster")
    path = "/api/chats/?page_size=7"
    with site.client(token) as member, site.client() as anonymous:
        # Two identical POSTs make two chats: neither answer came from, or went into, the cache
        # (nor does the stream's, below).
        first, second = start_chat(member, path), start_chat(member, path)
        assert first != second
        streamed = member.post(path, json=INTAKE, headers={"Accept": "text/event-stream"})
        assert streamed.headers["content-type"].startswith("text/event-stream")
        assert "x-cache-status" not in streamed.headers
        feed = read(anonymous, path)
        assert feed.status == "MISS"  # the POSTs to this URI stored nothing a GET could get
        assert {first, second} <= set(feed.ids)

        # A member's own list always comes from the app, with their latest chat in it.
        mine = read(member, "/api/me/chats/")
        assert mine.answer.headers["cache-control"] == "private, no-cache"
        newest = start_chat(member)
        again = read(member, "/api/me/chats/")
        assert newest in again.ids
        assert newest not in mine.ids
        refused = [read(anonymous, "/api/me/chats/") for _ in range(2)]
        assert [r.answer.status_code for r in refused] == [401, 401]
        for answer in (mine, again, *refused):
            assert "x-cache-status" not in answer.answer.headers


# ---------------------------------------------------------------- purging


def test_emptying_the_cache_folder_purges_it(site: Nginx) -> None:
    path = "/api/chats/?page_size=3"
    with site.client() as anonymous:
        assert [read(anonymous, path).status for _ in range(2)] == ["MISS", "HIT"]
        # What docs/deploy.md says to do: delete what is in the folder, not the folder.
        for entry in site.paths.cache.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        assert [read(anonymous, path).status for _ in range(2)] == ["MISS", "HIT"]
