"""What operators see: a request id on every response and every log line, JSON log lines with no
secret in them, an access line per request, and Prometheus metrics at /metrics (HTTP by route,
the model's latency, tokens and errors, quota refusals), added up over every worker process of
the real server and refused to whoever may not read them."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from asgiref.sync import iscoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.http import StreamingHttpResponse
from django.test import RequestFactory
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from adapters.llm.metered import MeteredChatModel
from adapters.llm.offline import OfflineChatModel
from application.errors import ModelBusy
from django_project.config import ChatbotSettings
from django_project.container import routed_chat_model
from django_project.observability import logs
from django_project.observability.access import metrics_token, parse_networks
from django_project.observability.logs import JsonFormatter, RedactSecretsFilter, RequestIdFilter
from django_project.observability.middleware import RequestObservabilityMiddleware
from domain.llm import CompletionRequest, Message, Role
from tests.integration.conftest import INTAKE, PASSWORD, Configure, Member, start_chat
from tests.support.members import sign_up_and_log_in
from tests.unit.fakes import FakeChatModel, FakeStream, completion

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytest_plugins = ["tests.support.live_server"]

REPO = Path(__file__).resolve().parents[2]
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
API_KEY = "sk-ant-api03-do-not-log-this-key-7f3a"
_names = itertools.count(1)


# --- helpers --------------------------------------------------------------------------------------


class Captured:
    """Log lines as the production handler writes them: JSON, request id, redaction."""

    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    @property
    def text(self) -> str:
        return self._stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def by(self, logger: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["logger"] == logger]


@pytest.fixture
def captured() -> Iterator[Captured]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield Captured(stream)
    root.removeHandler(handler)
    root.setLevel(level)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def scrape(client: APIClient | None = None) -> str:
    answer = (client or APIClient()).get("/metrics")
    assert answer.status_code == 200, answer.content
    return answer.content.decode()


def offline_model() -> Any:
    """The container's own composition, as production builds it: each provider metered."""
    return routed_chat_model(
        ChatbotSettings(llm_provider="offline", llm_model="offline-guide", offline_delay_ms=0)
    )


def request_for(model: str = "m") -> CompletionRequest:
    return CompletionRequest(
        model=model,
        messages=(Message(Role.USER, "How do I start?"),),
        temperature=0.5,
        max_tokens=64,
        stream=True,
    )


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- request ids ------------------------------------------------------------------------------


def test_every_response_carries_a_fresh_request_id(anonymous: APIClient) -> None:
    first = anonymous.get("/api/chats/intake/")
    second = anonymous.get("/api/chats/intake/")
    missing = anonymous.get("/no/such/page")

    ids = [r.headers["X-Request-ID"] for r in (first, second, missing)]
    assert all(GENERATED_ID.fullmatch(i) for i in ids)
    assert len(set(ids)) == 3


def test_a_sane_incoming_request_id_is_echoed(anonymous: APIClient) -> None:
    answer = anonymous.get("/api/chats/intake/", HTTP_X_REQUEST_ID="edge-7f3a.retry_2")

    assert answer.headers["X-Request-ID"] == "edge-7f3a.retry_2"


@pytest.mark.parametrize(
    "given",
    ["has space", "x" * 65, "<script>", "line\nbreak", "semi;colon", "ünïcode", ""],
)
def test_a_bad_incoming_request_id_is_replaced(anonymous: APIClient, given: str) -> None:
    answer = anonymous.get("/api/chats/intake/", HTTP_X_REQUEST_ID=given)

    assert GENERATED_ID.fullmatch(answer.headers["X-Request-ID"])


# --- log lines --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_log_lines_are_json_and_carry_the_request_id_of_the_request_they_were_written_for(
    member: Member, configure: Configure, captured: Captured
) -> None:
    configure(model=offline_model())

    started = member.client.post(
        "/api/chats/?note=do-not-log-me", INTAKE, format="json", HTTP_X_REQUEST_ID="chat-req-1"
    )
    missing = member.client.get("/api/chats/999999/", HTTP_X_REQUEST_ID="missing-req-2")

    assert started.status_code == 201
    assert missing.status_code == 404
    lines = captured.lines()  # every line parses as one JSON object
    assert lines
    assert all({"time", "level", "logger", "message", "request_id"} <= set(x) for x in lines)
    # Written by the use case's model call, inside the view: the id came through the context.
    (model_line,) = captured.by("adapters.llm.metered")
    assert model_line["request_id"] == "chat-req-1"
    assert model_line["provider"] == "offline"
    assert model_line["outcome"] == "ok"
    # Written by Django after the middleware was done with the response.
    (not_found,) = captured.by("django.request")
    assert not_found["request_id"] == "missing-req-2"
    assert not_found["level"] == "WARNING"
    access = {line["request_id"]: line for line in captured.by("chatbot.access")}
    assert access["chat-req-1"]["method"] == "POST"
    assert access["chat-req-1"]["path"] == "/api/chats/"
    assert access["chat-req-1"]["route"] == "chats"
    assert access["chat-req-1"]["status"] == 201
    assert access["chat-req-1"]["duration_ms"] > 0
    assert (access["missing-req-2"]["route"], access["missing-req-2"]["status"]) == ("chat", 404)
    assert "do-not-log-me" not in captured.text


def test_in_async_mode_a_streamed_body_and_the_tasks_it_starts_carry_the_request_id(
    captured: Captured,
) -> None:
    # Under uvicorn Django runs this middleware sync or async depending on its neighbours
    # (a sync-only one further in makes the chain sync); both modes must hold.
    seen: dict[str, str | None] = {}

    async def background() -> None:
        await asyncio.sleep(0)
        seen["task"] = logs.request_id.get()
        logging.getLogger("probe.background").info("generated")

    async def body() -> AsyncIterator[bytes]:
        seen["body"] = logs.request_id.get()
        task = asyncio.create_task(background())
        yield b"event: chat\n\n"
        await task

    async def view(request: Any) -> StreamingHttpResponse:
        seen["view"] = logs.request_id.get()
        return StreamingHttpResponse(body(), content_type="text/event-stream")

    middleware = RequestObservabilityMiddleware(view)

    async def serve() -> bytes:
        request = RequestFactory().post("/api/chats/", HTTP_X_REQUEST_ID="async-1")
        response = await middleware(request)
        assert response["X-Request-ID"] == "async-1"
        return b"".join([part async for part in response])

    sent = asyncio.run(serve())

    assert iscoroutinefunction(middleware)
    assert sent == b"event: chat\n\n"
    assert seen == {"view": "async-1", "body": "async-1", "task": "async-1"}
    (generated,) = captured.by("probe.background")
    assert generated["request_id"] == "async-1"
    (access,) = captured.by("chatbot.access")
    assert (access["request_id"], access["streamed"], access["complete"]) == ("async-1", True, True)


def test_a_line_written_outside_any_request_has_no_request_id(captured: Captured) -> None:
    # From a thread of its own, as the mail sender and the recovery loop write: this test's
    # thread may still carry the id of an earlier test's streamed response that nobody read
    # to the end (the test client resets it only when the body is closed).
    writer = threading.Thread(target=logging.getLogger("probe").warning, args=("between requests",))
    writer.start()
    writer.join()

    (line,) = captured.by("probe")
    assert line["request_id"] is None
    assert line["message"] == "between requests"


@pytest.mark.django_db
def test_no_token_password_or_api_key_reaches_the_logs(
    member: Member, anonymous: APIClient, captured: Captured
) -> None:
    anonymous.post(
        "/api/auth/login/",
        {"email": member.email, "password": PASSWORD},
        format="json",
        HTTP_X_REQUEST_ID="login-1",
    )
    anonymous.post(
        "/api/auth/refresh/", {"refresh": member.refresh}, format="json", HTTP_X_REQUEST_ID="ref-2"
    )
    member.client.get("/api/me/", HTTP_X_REQUEST_ID="me-3")
    member.client.get(f"/api/chats/?token={member.access}", HTTP_X_REQUEST_ID="feed-4")
    anonymous.get("/api/me/", HTTP_AUTHORIZATION="Bearer not-a-jwt", HTTP_X_REQUEST_ID="bad-5")
    # The safety net, for a line that slips through: an SDK's error text, a careless message.
    log = logging.getLogger("adapters.llm.careless")
    log.warning("provider said: Incorrect API key provided: %s", API_KEY)
    log.warning("sent Authorization: Bearer %s", member.access)
    try:
        raise RuntimeError(f"upstream refused {API_KEY} and token {member.refresh}")
    except RuntimeError:
        log.exception("model call failed")

    text = captured.text
    for secret in (member.access, member.refresh, PASSWORD, API_KEY, "not-a-jwt"):
        assert secret not in text
    assert API_KEY[:14] not in text  # no recognisable part of the key either
    assert "sk-[redacted]" in text
    assert "Bearer [redacted]" in text
    failed = next(x for x in captured.by("adapters.llm.careless") if "exception" in x)
    assert "[redacted-jwt]" in failed["exception"]
    assert {x["request_id"] for x in captured.by("chatbot.access")} >= {
        "login-1",
        "ref-2",
        "me-3",
        "feed-4",
        "bad-5",
    }


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CHATBOT_"))},
        "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}",
        "DJANGO_SETTINGS_MODULE": "django_project.settings",
        "DJANGO_ENV_FILE": "",
        "DJANGO_SECRET_KEY": "k" * 20 + "e" * 20 + "y" * 20 + "0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


_LOG_A_LINE = (
    "import django, logging; django.setup(); "
    f"logging.getLogger('probe').warning('hello with %s', '{API_KEY}')"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DJANGO_DEBUG": "0"}, "json"),
        ({"DJANGO_DEBUG": "1"}, "text"),
        ({"DJANGO_DEBUG": "1", "DJANGO_LOG_FORMAT": "json"}, "json"),
        ({"DJANGO_DEBUG": "0", "DJANGO_LOG_FORMAT": "text"}, "text"),
    ],
)
def test_the_server_logs_json_outside_debug_and_text_in_debug_unless_told(
    env: dict[str, str], expected: str
) -> None:
    ran = _python(_LOG_A_LINE, **env)

    assert ran.returncode == 0, ran.stderr
    (line,) = [x for x in ran.stderr.splitlines() if "probe" in x]
    if expected == "json":
        entry = json.loads(line)
        assert (entry["level"], entry["logger"]) == ("WARNING", "probe")
        assert entry["message"] == "hello with sk-[redacted]"
        assert entry["request_id"] is None
    else:
        assert line.endswith("WARNING probe [-] hello with sk-[redacted]")


def test_an_unknown_log_format_stops_the_start() -> None:
    ran = _python(_LOG_A_LINE, DJANGO_LOG_FORMAT="yaml")

    assert ran.returncode != 0
    assert "DJANGO_LOG_FORMAT" in ran.stderr


# --- the metered model ------------------------------------------------------------------------


def test_the_metered_model_passes_a_stream_through_lazily_and_measures_it() -> None:
    answer = completion("Start with short runs.", model="m")
    inner = FakeChatModel(answer)
    metered = MeteredChatModel(inner, provider="lazy-test")
    labels = {"provider": "lazy-test", "model": "m"}

    stream = metered.stream(request_for())
    before_iteration = sample("chatbot_llm_request_duration_seconds_count", mode="stream", **labels)

    async def read() -> list[str]:
        pieces = [piece async for piece in stream]
        await stream.aclose()
        return pieces

    pieces = asyncio.run(read())

    assert before_iteration == 0.0
    assert pieces == ["Start", " with", " short", " runs."]
    assert stream.result() == answer
    assert sample("chatbot_llm_tokens_total", kind="prompt", **labels) == 10
    assert sample("chatbot_llm_tokens_total", kind="completion", **labels) == 5
    assert sample("chatbot_llm_time_to_first_token_seconds_count", **labels) == 1
    ok = sample("chatbot_llm_request_duration_seconds_count", mode="stream", outcome="ok", **labels)
    assert ok == 1


def test_the_metered_model_counts_errors_by_code_and_a_stop_as_no_error() -> None:
    failing = FakeStream(["Half", "an"], fail_with=ModelBusy("busy"))
    stopped_early = FakeStream(["One", "two", "three"])
    metered = MeteredChatModel(FakeChatModel(failing, stopped_early), provider="err-test")
    labels = {"provider": "err-test", "model": "m"}

    async def run() -> None:
        with pytest.raises(ModelBusy):
            async for _ in metered.stream(request_for()):
                pass
        stream = metered.stream(request_for())
        async for _ in stream:
            break  # the member pressed stop
        await stream.aclose()

    asyncio.run(run())

    assert stopped_early.closed
    assert sample("chatbot_llm_errors_total", code="upstream_busy", **labels) == 1
    assert sample("chatbot_llm_errors_total", code="unexpected", **labels) == 0
    timed = "chatbot_llm_request_duration_seconds_count"
    assert sample(timed, mode="stream", outcome="error", **labels) == 1
    assert sample(timed, mode="stream", outcome="cancelled", **labels) == 1
    assert sample(timed, mode="stream", outcome="ok", **labels) == 0


def test_the_metered_model_measures_plain_requests_too() -> None:
    metered = MeteredChatModel(FakeChatModel("Fine.", ModelBusy("busy")), provider="plain-test")
    labels = {"provider": "plain-test", "model": "m"}
    plain = request_for()

    metered.complete(plain)
    with pytest.raises(ModelBusy):
        metered.complete(plain)

    assert sample("chatbot_llm_tokens_total", kind="prompt", **labels) == 10
    assert sample("chatbot_llm_errors_total", code="upstream_busy", **labels) == 1
    timed = "chatbot_llm_request_duration_seconds_count"
    assert sample(timed, mode="complete", outcome="ok", **labels) == 1
    assert sample(timed, mode="complete", outcome="error", **labels) == 1


def test_the_container_meters_every_provider() -> None:
    model = offline_model()

    metered = model.for_model("offline-guide")
    assert isinstance(metered, MeteredChatModel)
    assert metered.provider == "offline"
    assert isinstance(metered.inner, OfflineChatModel)


# --- /metrics ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_count_requests_by_route_and_model_tokens_by_provider_and_model(
    member: Member, configure: Configure, anonymous: APIClient
) -> None:
    configure(model=offline_model())
    before = scrape()

    for _ in range(3):
        anonymous.get("/api/chats/intake/")
    for chat_id in (101, 102):
        anonymous.get(f"/api/chats/{chat_id}/")
    started = start_chat(member)
    after = scrape()

    assert started.status_code == 201
    usage = started.json()["turns"][0]["usage"]
    intake = {"route": "intake", "method": "GET", "status": "200"}
    chat = {"route": "chat", "method": "GET", "status": "404"}
    created = {"route": "chats", "method": "POST", "status": "201"}
    for labels, count in ((intake, 3), (chat, 2), (created, 1)):
        name = "chatbot_http_requests_total"
        assert value(after, name, **labels) - value(before, name, **labels) == count, labels
    timed = {"route": "intake", "method": "GET"}
    name = "chatbot_http_request_duration_seconds_count"
    assert value(after, name, **timed) - value(before, name, **timed) == 3
    # Bounded: routes, not paths.
    assert "/api/chats/101/" not in after
    model = {"provider": "offline", "model": "offline-guide"}
    for kind in ("prompt", "completion"):
        name = "chatbot_llm_tokens_total"
        grew = value(after, name, kind=kind, **model) - value(before, name, kind=kind, **model)
        assert grew == usage[f"{kind}_tokens"] > 0
    name = "chatbot_llm_request_duration_seconds_count"
    labels = {"mode": "complete", "outcome": "ok", **model}
    assert value(after, name, **labels) - value(before, name, **labels) == 1


@pytest.mark.django_db
def test_quota_rejections_are_counted(member: Member, configure: Configure) -> None:
    configure(limit=1)
    before = value(scrape(), "chatbot_quota_rejections_total")

    first = start_chat(member)
    second = start_chat(member)
    third = member.client.post(
        f"/api/chats/{first.json()['id']}/messages/",
        {"content": "And then?"},
        format="json",
        HTTP_ACCEPT="text/event-stream",
    )

    assert (first.status_code, second.status_code, third.status_code) == (201, 429, 429)
    assert value(scrape(), "chatbot_quota_rejections_total") - before == 2


METRICS_TOKEN = "metrics-token-0123456789abcdef"


@pytest.mark.parametrize(
    ("remote", "authorization", "allowed"),
    [
        ("127.0.0.1", "", True),
        ("::1", "", True),
        ("203.0.113.7", "", False),
        ("10.1.2.3", "", False),
        ("203.0.113.7", f"Bearer {METRICS_TOKEN}", True),
        ("203.0.113.7", f"bearer {METRICS_TOKEN}", True),
        ("203.0.113.7", "Bearer metrics-token-wrong", False),
        ("203.0.113.7", METRICS_TOKEN, False),
    ],
)
def test_metrics_are_for_allowed_addresses_or_the_token_holder_only(
    settings: Any, remote: str, authorization: str, allowed: bool
) -> None:
    settings.CHATBOT_METRICS_TOKEN = METRICS_TOKEN
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    answer = APIClient().get("/metrics", REMOTE_ADDR=remote, **extra)

    if allowed:
        assert answer.status_code == 200
        assert answer["Content-Type"].startswith("text/plain")
        assert "chatbot_http_requests_total" in answer.content.decode()
    else:
        assert answer.status_code == 404
        assert answer.json() == {"code": "not_found", "detail": "Nothing is here."}


@pytest.mark.django_db
def test_a_members_own_token_does_not_open_the_metrics(member: Member) -> None:
    answer = APIClient().get(
        "/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=f"Bearer {member.access}"
    )

    assert answer.status_code == 404


def test_without_a_token_configured_no_bearer_opens_the_metrics(settings: Any) -> None:
    settings.CHATBOT_METRICS_TOKEN = ""

    answer = APIClient().get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer ")

    assert answer.status_code == 404


def test_the_allow_list_takes_cidr_blocks_and_debug_opens_the_metrics(settings: Any) -> None:
    settings.CHATBOT_METRICS_ALLOW = parse_networks("10.0.0.0/8, 2001:db8::/32")

    inside = APIClient().get("/metrics", REMOTE_ADDR="10.20.30.40")
    inside_v6 = APIClient().get("/metrics", REMOTE_ADDR="2001:db8::5")
    local_now_refused = APIClient().get("/metrics", REMOTE_ADDR="127.0.0.1")
    settings.DEBUG = True
    anyone_in_debug = APIClient().get("/metrics", REMOTE_ADDR="203.0.113.7")

    assert [inside.status_code, inside_v6.status_code] == [200, 200]
    assert local_now_refused.status_code == 404
    assert anyone_in_debug.status_code == 200


def test_metrics_access_settings_are_checked_at_start() -> None:
    with pytest.raises(ImproperlyConfigured, match="CHATBOT_METRICS_ALLOW"):
        parse_networks("127.0.0.1,10.0.0.300")
    with pytest.raises(ImproperlyConfigured, match="CHATBOT_METRICS_TOKEN"):
        metrics_token("short")
    assert metrics_token("  ") == ""


# --- the real server: uvicorn, two worker processes -------------------------------------------


@pytest.fixture(scope="module")
def metrics_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prometheus-multiproc")


@pytest.fixture(scope="module")
def app_server_options(metrics_dir: Path) -> dict[str, Any]:
    return {
        "workers": 2,
        "env": {
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            # About 60 words at 40 ms: an answer that takes a couple of seconds to generate.
            "CHATBOT_OFFLINE_DELAY_MS": "40",
            "DJANGO_LOG_FORMAT": "json",
        },
    }


def server_lines(server: LiveServer, since: int = 0) -> list[dict[str, Any]]:
    lines = []
    for raw in server.logs(since).splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def remote_member(server: LiveServer) -> tuple[str, str]:
    with server.client() as client:
        tokens = sign_up_and_log_in(client, f"observed{next(_names)}")
    return tokens.access, tokens.refresh


def wait_for(check: Callable[[], Any], timeout: float = 120.0) -> Any:
    """`check()` once it is truthy, or its last falsy value after `timeout` seconds: a cap that
    only something that never happens reaches, however loaded the machine."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_streamed_answers_background_lines_carry_the_id_of_the_request_that_started_it(
    live_app: LiveServer,
) -> None:
    since = live_app.log_size()
    access, refresh = remote_member(live_app)
    with live_app.client(access) as client:
        # Hang up as soon as the chat exists: the answer goes on in its own task.
        with client.stream(
            "POST",
            "/api/chats/",
            json=INTAKE,
            headers={"Accept": "text/event-stream", "X-Request-ID": "stream-origin-1"},
        ) as response:
            assert response.headers["X-Request-ID"] == "stream-origin-1"
            first = next(line for line in response.iter_lines() if line.startswith("data: "))
        chat = json.loads(first.removeprefix("data: "))
        # Other requests meanwhile, on both workers, each with an id of its own.
        for n in range(6):
            with live_app.client(access) as other:
                other.get("/api/me/", headers={"X-Request-ID": f"bystander-{n}"})

        def stored() -> bool:
            turns = client.get(f"/api/chats/{chat['chat_id']}/").json()["turns"]
            return bool(turns) and turns[0]["status"] == "completed"

        assert wait_for(stored), "the answer was not finished in the background"

    def origin_lines() -> dict[str, list[dict[str, Any]]] | None:
        # The access line of a stream the client left is written when the server notices, which
        # a loaded machine can leave until after the answer's own line: wait for all three.
        lines = server_lines(live_app, since)
        found = {
            "answer": [
                x
                for x in lines
                if x["logger"] == "application.streaming" and x.get("chat_id") == chat["chat_id"]
            ],
            "model": [x for x in lines if x["logger"] == "adapters.llm.metered"],
            "access": [
                x
                for x in lines
                if x["logger"] == "chatbot.access" and x["request_id"] == "stream-origin-1"
            ],
        }
        return found if all(found.values()) else None

    found = wait_for(origin_lines)
    assert found is not None, live_app.logs(since)
    (finished,) = found["answer"]
    assert finished["request_id"] == "stream-origin-1"
    assert (finished["turn_id"], finished["outcome"]) == (chat["turn_id"], "completed")
    (model_line,) = found["model"]
    assert model_line["request_id"] == "stream-origin-1"
    assert model_line["mode"] == "stream"
    assert model_line["first_token_ms"] > 0
    (access_line,) = found["access"]
    assert (access_line["route"], access_line["status"]) == ("chats", 200)
    assert access_line["streamed"] is True
    assert access_line["complete"] is False  # the client hung up
    text = live_app.logs(since)
    for secret in (access, refresh, PASSWORD):
        assert secret not in text


@pytest.mark.django_db(transaction=True)
def test_metrics_add_up_the_requests_every_worker_process_served(
    live_app: LiveServer, metrics_dir: Path
) -> None:
    def scrape_remote() -> str:
        # A new connection each time, so any worker may answer.
        answer = httpx.get(f"{live_app.url}/metrics", timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.text

    labels = {"route": "models", "method": "GET", "status": "200"}
    before = value(scrape_remote(), "chatbot_http_requests_total", **labels)
    since = live_app.log_size()
    sent = 0

    def ask(n: int) -> int:
        answer = httpx.get(
            f"{live_app.url}/api/models/", headers={"X-Request-ID": f"mp-{n}"}, timeout=10
        )
        return answer.status_code

    def workers_seen() -> set[int]:
        return {
            x["pid"]
            for x in server_lines(live_app, since)
            if x["logger"] == "chatbot.access" and str(x["request_id"]).startswith("mp-")
        }

    with ThreadPoolExecutor(max_workers=8) as pool:
        while sent < 400 and len(workers_seen()) < 2:
            statuses = list(pool.map(ask, range(sent, sent + 40)))
            assert set(statuses) == {200}
            sent += 40
    assert len(workers_seen()) == 2, "one worker served every request; cannot tell"

    totals = {value(scrape_remote(), "chatbot_http_requests_total", **labels) for _ in range(6)}

    assert totals == {before + sent}
    pids = {
        int(m.group(1))
        for f in metrics_dir.glob("*.db")
        if (m := re.search(r"_(\d+)\.db$", f.name))
    }
    assert workers_seen() <= pids
