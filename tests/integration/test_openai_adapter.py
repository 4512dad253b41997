"""OpenAIChatModel through the real `openai` SDK, against a real HTTP server on loopback.

Nothing between the adapter and the socket is mocked: what the fake server records is what went
over the wire. Retries are off unless a test is about them, so every failure is immediate.
"""

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import httpx2
import openai
import pytest
from openai import Stream
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

from adapters.llm.http1 import LeanTransport
from adapters.llm.openai_compatible import OpenAIChatModel
from application.errors import ModelBusy, ModelError, ModelTimeout, ModelUnavailable
from domain.llm import Choice, Completion, CompletionRequest, Message, Role, Usage
from tests.support.fake_http import closed_port_fixture  # noqa: F401
from tests.support.fake_openai import (
    Behaviour,
    Delay,
    Fail,
    FakeOpenAI,
    HangUp,
    Malformed,
    Reply,
    cut_stream,
    error_event,
    fake_openai_fixture,  # noqa: F401
    malformed_chunk,
)
from tests.support.tls import self_signed_certificate

API_KEY = "sk-test-9f2c41d7e8b3-never-shown"
REQUEST = CompletionRequest(
    model="gpt-test",
    messages=(
        Message(Role.SYSTEM, "You are a test coach."),
        Message(Role.USER, "Where do I start?"),
        Message(Role.ASSISTANT, "With one small step."),
        Message(Role.USER, "Which one?"),
    ),
    temperature=0.5,
    max_tokens=256,
)


def model_for(fake: FakeOpenAI, *, timeout_s: float = 5.0, max_retries: int = 0) -> OpenAIChatModel:
    return OpenAIChatModel(
        api_key=API_KEY, base_url=fake.base_url, timeout_s=timeout_s, max_retries=max_retries
    )


def failure_of(model: OpenAIChatModel) -> ModelError:
    with pytest.raises(ModelError) as caught:
        model.complete(REQUEST)
    return caught.value


# The adapter ------------------------------------------------------------------------------


def test_a_plain_answer_maps_to_the_domain_completion_exactly(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        Reply(
            ["Start with a daily hour of reading.", "Ask your lead for a small project."],
            finish_reason="length",
            usage=(42, 17),
            id="chatcmpl-A1b2C3",
            created=1_735_689_600,
            model="gpt-test-2024-08-06",
        )
    )

    completion = model_for(fake_openai).complete(REQUEST)

    assert completion == Completion(
        id="chatcmpl-A1b2C3",
        created=1_735_689_600,
        model="gpt-test-2024-08-06",
        choices=(
            Choice(0, "assistant", "Start with a daily hour of reading.", "length"),
            Choice(1, "assistant", "Ask your lead for a small project.", "length"),
        ),
        usage=Usage(prompt_tokens=42, completion_tokens=17, total_tokens=59),
    )
    # The record reproduces the body the server sent, field for field.
    assert completion.as_wire() == fake_openai.exchanges[0].body


def test_an_answer_without_usage_keeps_usage_empty(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply("Fine.", usage=None))

    completion = model_for(fake_openai).complete(REQUEST)

    assert completion.usage is None
    assert completion.as_wire() == fake_openai.exchanges[0].body


def test_the_request_body_on_the_wire_is_the_recorded_request(fake_openai: FakeOpenAI) -> None:
    model_for(fake_openai).complete(REQUEST)

    (received,) = fake_openai.requests
    assert received.method == "POST"
    assert received.path == "/v1/chat/completions"
    assert received.body == REQUEST.as_wire()
    assert received.body["stream"] is False


def test_the_api_key_goes_in_the_authorization_header(fake_openai: FakeOpenAI) -> None:
    model_for(fake_openai).complete(REQUEST)

    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_a_local_server_needs_no_api_key(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The settings accept OPENAI_BASE_URL alone, for servers such as Ollama or vLLM.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = OpenAIChatModel(api_key=None, base_url=fake_openai.base_url, max_retries=0)

    completion = model.complete(REQUEST)

    assert completion.text == "Hello from the fake model."
    assert fake_openai.requests[0].body == REQUEST.as_wire()


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (400, ModelUnavailable, "upstream_error"),
        (401, ModelUnavailable, "upstream_error"),
        (429, ModelBusy, "upstream_busy"),
        (500, ModelUnavailable, "upstream_error"),
        (503, ModelBusy, "upstream_busy"),
    ],
)
def test_an_http_error_maps_to_the_port_error(
    fake_openai: FakeOpenAI, status: int, error: type[ModelError], code: str
) -> None:
    fake_openai.script(Fail(status))

    raised = failure_of(model_for(fake_openai))

    assert type(raised) is error
    assert raised.code == code
    assert len(fake_openai.requests) == 1  # retries are off: one request, one error


def test_with_one_retry_a_server_error_then_an_answer_succeeds(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Fail(500), Reply("Second time lucky."))

    completion = model_for(fake_openai, max_retries=1).complete(REQUEST)

    assert completion.text == "Second time lucky."
    first, second = fake_openai.requests
    assert first.body == second.body == REQUEST.as_wire()


def test_a_busy_provider_is_asked_again_after_a_pause(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Fail(429), Reply("Now there is room."))

    started = time.monotonic()
    completion = model_for(fake_openai, max_retries=1).complete(REQUEST)

    assert completion.text == "Now there is room."
    assert len(fake_openai.requests) == 2
    assert time.monotonic() - started >= 0.4  # backed off before asking again


def test_retries_never_outlast_the_timeout_whatever_retry_after_says(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(*[Fail(503, headers={"retry-after": "60"}) for _ in range(3)])

    started = time.monotonic()
    error = failure_of(model_for(fake_openai, timeout_s=1.0, max_retries=3))

    assert isinstance(error, ModelBusy)
    # Far from the 60 s a retry that heeded Retry-After would take, however loaded the machine.
    assert time.monotonic() - started < 30


def test_a_request_that_timed_out_is_not_sent_again(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Delay(2.0))

    error = failure_of(model_for(fake_openai, timeout_s=0.5, max_retries=2))

    assert isinstance(error, ModelTimeout)
    assert len(fake_openai.requests) == 1


def test_an_answer_slower_than_the_timeout_is_a_timeout(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Delay(60))
    started = time.monotonic()

    raised = failure_of(model_for(fake_openai, timeout_s=0.5))

    assert type(raised) is ModelTimeout
    assert raised.code == "upstream_timeout"
    assert fake_openai.exchanges[0].status is None  # given up before the answer came
    # It waited for the timeout, and gave up far sooner than the answer or the SDK's own
    # ten-minute default (a stalled machine can add seconds, never tens of them).
    assert 0.4 < time.monotonic() - started < 30


def test_a_refused_connection_is_unavailable(closed_port: int) -> None:
    model = OpenAIChatModel(
        api_key=API_KEY, base_url=f"http://127.0.0.1:{closed_port}/v1", max_retries=0
    )

    raised = failure_of(model)

    assert type(raised) is ModelUnavailable
    assert raised.code == "upstream_error"


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(Malformed(), id="json-that-does-not-parse"),
        pytest.param(Malformed(b"<html>Bad gateway</html>", "text/html"), id="html"),
        pytest.param(Malformed(b'{"object": "list", "data": []}'), id="json-of-another-shape"),
        pytest.param(
            Malformed(
                b'{"id": "x", "object": "chat.completion", "created": "today", "model": "m",'
                b' "choices": [{"index": 0, "message": {"role": "assistant",'
                b' "content": "hi"}, "finish_reason": "stop"}]}'
            ),
            id="field-of-the-wrong-type",
        ),
        pytest.param(Reply(content=()), id="no-choices"),
        pytest.param(HangUp(), id="closed-without-an-answer"),
    ],
)
def test_an_unreadable_answer_is_unavailable(fake_openai: FakeOpenAI, behaviour: Behaviour) -> None:
    fake_openai.script(behaviour)

    raised = failure_of(model_for(fake_openai))

    assert type(raised) is ModelUnavailable
    assert raised.code == "upstream_error"


@pytest.mark.parametrize(
    "behaviour",
    [
        # OpenAI's own 401 quotes the key it was given; a proxy may quote the whole request.
        pytest.param(Fail(401, message=f"Incorrect API key provided: {API_KEY}."), id="401"),
        pytest.param(Fail(400, message=f"Bad header: Bearer {API_KEY}"), id="400"),
        pytest.param(Fail(429, message=f"Slow down, {API_KEY}."), id="429"),
        pytest.param(Malformed(f"Authorization: Bearer {API_KEY}".encode()), id="malformed"),
        pytest.param(Delay(10), id="timeout"),
        pytest.param(HangUp(), id="hang-up"),
    ],
)
def test_the_api_key_never_reaches_the_error(fake_openai: FakeOpenAI, behaviour: Behaviour) -> None:
    fake_openai.script(behaviour)

    raised = failure_of(model_for(fake_openai, timeout_s=0.5))

    assert API_KEY not in str(raised)
    assert API_KEY not in raised.detail
    assert API_KEY not in repr(raised.extra)


# The fake server, as the SDK sees it -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "sdk_error", "kind", "code"),
    [
        (400, openai.BadRequestError, "invalid_request_error", None),
        (401, openai.AuthenticationError, "invalid_request_error", "invalid_api_key"),
        (429, openai.RateLimitError, "requests", "rate_limit_exceeded"),
        (500, openai.InternalServerError, "server_error", None),
        (503, openai.InternalServerError, "server_error", "overloaded"),
    ],
)
def test_the_fake_errors_read_as_openai_errors(
    fake_openai: FakeOpenAI,
    status: int,
    sdk_error: type[openai.APIStatusError],
    kind: str,
    code: str | None,
) -> None:
    fake_openai.script(Fail(status, message="Scripted failure."))
    client = openai.OpenAI(api_key=API_KEY, base_url=fake_openai.base_url, max_retries=0)

    with pytest.raises(sdk_error) as caught:
        client.chat.completions.create(**REQUEST.as_wire())

    assert caught.value.status_code == status
    assert caught.value.message == f"Error code: {status} - Scripted failure."
    assert (caught.value.type, caught.value.code) == (kind, code)


def stream_client(fake: FakeOpenAI, timeout_s: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(api_key=API_KEY, base_url=fake.base_url, max_retries=0, timeout=timeout_s)


def open_stream(client: openai.OpenAI, include_usage: bool = True) -> Stream[ChatCompletionChunk]:
    return client.chat.completions.create(
        model=REQUEST.model,
        messages=cast(list[ChatCompletionMessageParam], [m.as_wire() for m in REQUEST.messages]),
        temperature=REQUEST.temperature,
        max_tokens=REQUEST.max_tokens,
        stream=True,
        stream_options={"include_usage": include_usage},
    )


def test_a_stream_arrives_in_order_with_the_usage_last(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply("Read one chapter a day.", usage=(30, 5), id="chatcmpl-S1"))

    chunks = list(open_stream(stream_client(fake_openai)))

    first, *middle, final, usage = chunks
    assert first.choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in middle) == "Read one chapter a day."
    assert [c.choices[0].delta.content for c in middle] == [
        "Read ",
        "one ",
        "chapter ",
        "a ",
        "day.",
    ]
    assert (final.choices[0].finish_reason, final.choices[0].delta.content) == ("stop", None)
    assert usage.choices == []
    assert usage.usage is not None
    assert (usage.usage.prompt_tokens, usage.usage.completion_tokens) == (30, 5)
    assert usage.usage.total_tokens == 35
    assert {c.id for c in chunks} == {"chatcmpl-S1"}
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    # What the SDK parsed is what the fake sent, event for event, and [DONE] closed the stream.
    events = fake_openai.exchanges[0].body
    assert [c.model_dump(exclude_unset=True) for c in chunks] == events[:-1]
    assert events[-1] == "[DONE]"
    received = fake_openai.requests[0].body
    assert received["stream"] is True
    assert received["stream_options"] == {"include_usage": True}


def test_a_stream_without_include_usage_has_no_usage_chunk(fake_openai: FakeOpenAI) -> None:
    chunks = list(open_stream(stream_client(fake_openai), include_usage=False))

    assert all(c.usage is None and c.choices for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_a_stream_of_several_choices_interleaves_them(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(["one two three", "uno dos"]))

    chunks = list(open_stream(stream_client(fake_openai), include_usage=False))

    texts = {0: "", 1: ""}
    for chunk in chunks:
        (choice,) = chunk.choices
        texts[choice.index] += choice.delta.content or ""
    assert texts == {0: "one two three", 1: "uno dos"}
    assert [c.choices[0].index for c in chunks[2:6]] == [0, 1, 0, 1]


def test_a_stream_sends_no_chunk_sooner_than_its_delays_allow(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply("a b c d", first_token_delay_s=0.3, token_delay_s=0.05))
    started = time.monotonic()

    arrivals = [
        time.monotonic() - started
        for _ in open_stream(stream_client(fake_openai), include_usage=False)
    ]

    # Lower bounds only: a busy machine can hold the client back (CI once stalled it 0.36 s
    # before the headers, so every chunk came at once), but nothing arrives before it is sent.
    # That the headers come before the first delay, the read-timeout test below proves.
    assert len(arrivals) == 6  # the role, four tokens, the finish
    assert all(at >= 0.98 * (0.3 + 0.05 * n) for n, at in enumerate(arrivals))


def test_a_first_token_slower_than_the_read_timeout_times_out(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply("late", first_token_delay_s=5))
    stream = open_stream(stream_client(fake_openai, timeout_s=0.3))

    with pytest.raises(openai.APITimeoutError):
        list(stream)


def contents(stream: Stream[ChatCompletionChunk], count: int) -> list[str | None]:
    return [next(stream).choices[0].delta.content for _ in range(count)]


def test_a_cut_stream_is_a_connection_error_after_the_first_chunks(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(Reply("one two three four", fault=cut_stream(after=3)))
    stream = open_stream(stream_client(fake_openai))

    assert contents(stream, 3) == ["", "one ", "two "]
    with pytest.raises(openai.APIConnectionError):
        next(stream)
    assert "[DONE]" not in fake_openai.exchanges[0].body


def test_a_malformed_chunk_breaks_the_stream(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply("one two three", fault=malformed_chunk(after=2)))
    stream = open_stream(stream_client(fake_openai))

    assert contents(stream, 2) == ["", "one "]
    # The SDK lets the decoding error out as it is: a streaming adapter has to catch it.
    with pytest.raises(json.JSONDecodeError):
        next(stream)


def test_an_error_event_inside_the_stream_is_an_api_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        Reply("one two three", fault=error_event(after=2, message="Overloaded.", code="busy"))
    )
    stream = open_stream(stream_client(fake_openai))

    assert contents(stream, 2) == ["", "one "]
    with pytest.raises(openai.APIError) as caught:
        next(stream)
    assert caught.value.message == "Overloaded."
    assert caught.value.code == "busy"
    assert fake_openai.exchanges[0].body[-1] == {
        "error": {"message": "Overloaded.", "type": "server_error", "code": "busy"}
    }


def test_the_fake_stops_promptly_while_an_answer_is_still_waiting() -> None:
    fake = FakeOpenAI(default=Delay(300)).start()
    with pytest.raises(ModelTimeout):
        model_for(fake, timeout_s=0.2).complete(REQUEST)
    waiting = fake.handler_threads()

    fake.stop()

    # The waiting answer wakes up and ends when the fake stops, not 300 s later; 60 s of grace
    # for a loaded machine is still far from that.
    for thread in waiting:
        thread.join(timeout=60)
    assert len(waiting) == 1
    assert not any(thread.is_alive() for thread in waiting)
    assert len(fake.requests) == 1
    assert fake.exchanges[0].status is None  # it never answered


# The adapter's stream ----------------------------------------------------------------------

STREAMED = dataclasses.replace(REQUEST, stream=True)


async def pieces_of(
    model: OpenAIChatModel, *, stop_after: int | None = None
) -> tuple[list[str], Completion | None]:
    stream = model.stream(STREAMED)
    pieces: list[str] = []
    try:
        async for piece in stream:
            pieces.append(piece)
            if stop_after is not None and len(pieces) >= stop_after:
                break
    finally:
        await stream.aclose()
    return pieces, stream.result()


def test_the_adapter_streams_pieces_and_assembles_the_response(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply("one two three", id="chatcmpl-7", usage=(9, 3)))

    pieces, result = asyncio.run(pieces_of(model_for(fake_openai)))

    assert "".join(pieces) == "one two three"
    assert len(pieces) == 3
    assert fake_openai.requests[0].body == STREAMED.as_wire()
    assert result == Completion(
        id="chatcmpl-7",
        created=result.created if result else 0,
        model="gpt-test",
        choices=(Choice(0, "assistant", "one two three", "stop"),),
        usage=Usage(9, 3, 12),
    )


def test_a_stream_stopped_early_keeps_what_came(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply("a b c d e f", token_delay_s=0.02))

    pieces, result = asyncio.run(pieces_of(model_for(fake_openai), stop_after=2))

    assert result is not None
    assert result.text == "".join(pieces) == "a b "
    assert result.choices[0].finish_reason is None
    assert result.usage is None


def test_a_stream_is_retried_only_before_its_first_chunk(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Fail(500, headers={"retry-after-ms": "10"}), Reply("second try"))

    pieces, _ = asyncio.run(pieces_of(model_for(fake_openai, max_retries=1)))

    assert "".join(pieces) == "second try"
    assert len(fake_openai.requests) == 2


@pytest.mark.parametrize(
    ("behaviour", "kind"),
    [
        (Fail(429), ModelBusy),
        (Fail(500), ModelUnavailable),
        (Reply("late", first_token_delay_s=2.0), ModelTimeout),
        (Reply("a b c d", fault=cut_stream(after=2)), ModelUnavailable),
        (Reply("a b c d", fault=malformed_chunk(after=2)), ModelUnavailable),
        (Reply("a b c d", fault=error_event(after=2)), ModelUnavailable),
    ],
    ids=["429", "500", "slow-first-token", "cut", "malformed", "error-event"],
)
def test_stream_faults_map_to_the_ports_errors(
    fake_openai: FakeOpenAI, behaviour: Behaviour, kind: type[ModelError]
) -> None:
    fake_openai.script(behaviour)

    with pytest.raises(kind) as caught:
        asyncio.run(pieces_of(model_for(fake_openai, timeout_s=0.5)))

    assert API_KEY not in str(caught.value.detail)


def test_a_refused_stream_is_unavailable(closed_port: int) -> None:
    model = OpenAIChatModel(api_key=API_KEY, base_url=f"http://127.0.0.1:{closed_port}/v1")

    with pytest.raises(ModelUnavailable):
        asyncio.run(pieces_of(model))


def test_a_stream_that_stalls_after_its_first_chunk_times_out(fake_openai: FakeOpenAI) -> None:
    # The first chunk comes at once; the next one later than the read timeout allows.
    fake_openai.script(Reply("a b c", token_delay_s=2.0))

    with pytest.raises(ModelTimeout):
        asyncio.run(pieces_of(model_for(fake_openai, timeout_s=0.5)))


def _transport(model: OpenAIChatModel) -> object:
    """The transport under the SDK's async client (the SDK's and httpx's internals)."""
    client = model._async_client
    assert client is not None
    return client._client._transport  # type: ignore[attr-defined]


async def _two_answers(
    model: OpenAIChatModel, between: Callable[[], None] = lambda: None
) -> tuple[str, str]:
    first, _ = await pieces_of(model)
    between()
    await asyncio.sleep(0.1)  # for what `between` did to reach the client
    second, _ = await pieces_of(model)
    return "".join(first), "".join(second)


def test_streams_are_read_by_the_lean_transport_over_one_kept_alive_connection(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(Reply("one two"), Reply("three four"))
    model = model_for(fake_openai)

    answers = asyncio.run(_two_answers(model))

    assert answers == ("one two", "three four")
    # httpx's own transport would work too, only slower (adapters/llm/http1.py): the fast path
    # must not fall away unnoticed.
    assert isinstance(_transport(model), LeanTransport)
    assert len({r.client_port for r in fake_openai.requests}) == 1


def test_with_a_proxy_configured_streams_go_through_httpx_own_transport(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # LeanTransport speaks to no proxy. The provider here is exempt (NO_PROXY), so the answer
    # still arrives, read by httpx's transport.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    fake_openai.script(Reply("through httpx"))
    model = model_for(fake_openai)

    pieces, _ = asyncio.run(pieces_of(model))

    assert "".join(pieces) == "through httpx"
    assert not isinstance(_transport(model), LeanTransport)


def test_a_kept_alive_connection_the_provider_closed_is_not_used_again(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(Reply("one two"), Reply("three four"))

    # No retries: the second answer must not be sent on the dead connection first.
    # The provider closes the idle kept-alive connection between the two.
    answers = asyncio.run(_two_answers(model_for(fake_openai), fake_openai.drop_connections))

    assert answers == ("one two", "three four")
    assert len(fake_openai.requests) == 2
    assert len({r.client_port for r in fake_openai.requests}) == 2


async def _answer_then_a_slow_one(fake: FakeOpenAI) -> type[BaseException]:
    timeout = httpx2.Timeout(5.0, read=0.3)
    async with httpx2.AsyncClient(transport=LeanTransport(), timeout=timeout) as client:
        url = f"{fake.base_url}/chat/completions"
        body = {"model": "gpt-test", "messages": []}
        (await client.post(url, json=body)).raise_for_status()  # its connection is kept
        with pytest.raises(httpx2.TransportError) as caught:
            await client.post(url, json=body)
        return caught.type


def test_a_timeout_on_a_kept_alive_connection_does_not_ask_the_provider_twice(
    fake_openai: FakeOpenAI,
) -> None:
    # A dead kept-alive connection is tried once more on a new one; a slow provider is not.
    fake_openai.script(Reply("first"), Delay(1.0))

    failure = asyncio.run(_answer_then_a_slow_one(fake_openai))

    assert failure is httpx2.ReadTimeout
    assert len(fake_openai.requests) == 2


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def test_a_stream_over_tls_verifies_the_server_and_arrives_whole(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # our certificate is the CA
    with FakeOpenAI(default=Reply("over TLS", usage=(5, 2)), tls=certificate) as fake:
        assert fake.base_url.startswith("https://")

        pieces, result = asyncio.run(pieces_of(model_for(fake)))

    assert "".join(pieces) == "over TLS"
    assert result is not None
    assert result.usage == Usage(5, 2, 7)
    assert fake.requests[0].body == STREAMED.as_wire()


def test_a_tls_server_that_is_not_trusted_is_unavailable(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system's CAs only
    with FakeOpenAI(default=Reply("never read"), tls=certificate) as fake:
        with pytest.raises(ModelUnavailable):
            asyncio.run(pieces_of(model_for(fake)))

        assert fake.requests == []  # nothing was sent before the handshake failed
