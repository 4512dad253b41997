"""nginx's limit on reads of the archive without a login (deploy/nginx: limit_req), for real
over TLS in front of the app: past the rate and its burst an address gets the app's JSON 429,
while a member's reads (with a token) and other paths go on."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.deploy.conftest import Nginx
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.members import sign_up_and_log_in

pytestmark = pytest.mark.django_db(transaction=True)

BURST = 100  # snippets/chatbot-cache.conf


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default=Reply("One step at a time.")) as server:
        yield server


def test_anonymous_reads_past_the_burst_get_a_json_429_and_members_go_on(site: Nginx) -> None:
    with site.client() as joining:
        token = sign_up_and_log_in(joining, "limited").access
    with site.client(token) as member:
        made = member.post(
            "/api/chats/", json={"current_state": "A developer.", "goal": "Lead a team."}
        )
        assert made.status_code == 201, made.text
    path = f"/api/chats/{made.json()['id']}/"

    # Quicker than the rate refills (5 a second): the first BURST + 1 pass, then 429s.
    with site.client() as anonymous, ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: anonymous.get(path), range(BURST + 40)))
        feed = anonymous.get("/api/chats/")
        intake = anonymous.get("/api/chats/intake/")
    statuses = [a.status_code for a in answers]

    assert statuses.count(200) >= BURST, statuses
    refused = [a for a in answers if a.status_code == 429]
    assert refused, statuses
    assert set(statuses) <= {200, 429}
    assert refused[0].json()["code"] == "throttled"
    assert refused[0].headers["retry-after"] == "60"
    assert refused[0].headers.get_list("x-robots-tag") == ["noindex, nofollow"]
    # The feed is the same archive; nginx refills 5 a second, so it may have room again.
    assert feed.status_code in {200, 429}
    assert intake.status_code == 200  # not a read of the archive

    with site.client(token) as member:
        assert member.get(path).status_code == 200
        assert member.get("/api/chats/").status_code == 200
