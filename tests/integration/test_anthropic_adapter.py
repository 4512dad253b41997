"""AnthropicChatModel through the real `anthropic` SDK, against a real HTTP server on loopback.

Nothing between the adapter and the socket is mocked: what the fake server records is what went
over the wire. Retries are off unless a test is about them, so every failure is immediate.
"""

import asyncio
import re
import time
from dataclasses import replace

import anthropic
import pytest

from adapters.llm.anthropic_messages import AnthropicChatModel
from application.errors import ModelBusy, ModelError, ModelTimeout, ModelUnavailable
from domain.llm import Choice, Completion, CompletionRequest, Message, Role, Usage
from tests.support.fake_anthropic import (
    Behaviour,
    Delay,
    Fail,
    FakeAnthropic,
    HangUp,
    Malformed,
    Reply,
    StreamFault,
    cut_stream,
    error_event,
    fake_anthropic_fixture,  # noqa: F401
    malformed_event,
    unfinished_stream,
)
from tests.support.fake_http import closed_port_fixture  # noqa: F401

API_KEY = "sk-ant-test-7c1e90a4b5d2-never-shown"
REQUEST = CompletionRequest(
    model="claude-test",
    messages=(
        Message(Role.SYSTEM, "You are a test coach."),
        Message(Role.USER, "Where do I start?"),
        Message(Role.ASSISTANT, "With one small step."),
        Message(Role.USER, "Which one?"),
    ),
    temperature=0.5,
    max_tokens=256,
)
STREAMED = replace(REQUEST, stream=True)
# The same conversation as the Messages API takes it.
MESSAGES = [
    {"role": "user", "content": "Where do I start?"},
    {"role": "assistant", "content": "With one small step."},
    {"role": "user", "content": "Which one?"},
]


def model_for(
    fake: FakeAnthropic, *, timeout_s: float = 5.0, max_retries: int = 0, **options: bool
) -> AnthropicChatModel:
    return AnthropicChatModel(
        api_key=API_KEY,
        base_url=fake.base_url,
        timeout_s=timeout_s,
        max_retries=max_retries,
        **options,
    )


def failure_of(model: AnthropicChatModel, request: CompletionRequest = REQUEST) -> ModelError:
    with pytest.raises(ModelError) as caught:
        model.complete(request)
    return caught.value


def received_bodies(fake: FakeAnthropic) -> list[object]:
    return [r.body for r in fake.requests]


# Plain answers -----------------------------------------------------------------------------


def test_a_plain_answer_maps_to_the_openai_shaped_completion_exactly(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.script(
        Reply(
            ["Start with a daily hour of reading. ", "Then ask your lead for a small project."],
            stop_reason="max_tokens",
            usage=(42, 17),
            id="msg_01A1b2C3",
            model="claude-test-20260101",
        )
    )
    before = int(time.time())

    completion = model_for(fake_anthropic).complete(REQUEST)

    assert before <= completion.created <= int(time.time())
    assert completion == Completion(
        id="msg_01A1b2C3",
        created=completion.created,  # Anthropic sends no time: the arrival stands in
        model="claude-test-20260101",
        choices=(
            Choice(
                0,
                "assistant",
                "Start with a daily hour of reading. Then ask your lead for a small project.",
                "length",
            ),
        ),
        usage=Usage(prompt_tokens=42, completion_tokens=17, total_tokens=59),
    )
    # Both of Anthropic's bodies are kept exactly as they went over the wire.
    (exchange,) = fake_anthropic.exchanges
    assert completion.native_request == exchange.request.body
    assert completion.native_response == exchange.body


def test_the_request_on_the_wire_is_a_messages_request(fake_anthropic: FakeAnthropic) -> None:
    completion = model_for(fake_anthropic).complete(REQUEST)

    (received,) = fake_anthropic.requests
    assert (received.method, received.path) == ("POST", "/v1/messages")
    assert received.body == {
        "model": "claude-test",
        "max_tokens": 256,
        "system": "You are a test coach.",
        "messages": MESSAGES,
        "stream": False,
    }
    assert completion.native_request == received.body


def test_system_messages_are_joined_into_the_system_parameter(
    fake_anthropic: FakeAnthropic,
) -> None:
    request = replace(
        REQUEST,
        messages=(
            Message(Role.SYSTEM, "You are a test coach."),
            Message(Role.SYSTEM, "About the member (private): born 1990.", private=True),
            Message(Role.USER, "Where do I start?"),
        ),
    )

    model_for(fake_anthropic).complete(request)

    body = fake_anthropic.requests[0].body
    assert body["system"] == "You are a test coach.\n\nAbout the member (private): born 1990."
    assert body["messages"] == [{"role": "user", "content": "Where do I start?"}]


def test_a_request_without_system_messages_sends_no_system(fake_anthropic: FakeAnthropic) -> None:
    model_for(fake_anthropic).complete(replace(REQUEST, messages=REQUEST.messages[1:]))

    body = fake_anthropic.requests[0].body
    assert "system" not in body
    assert body["messages"] == MESSAGES


def test_neighbours_of_one_role_are_merged_and_the_member_speaks_first(
    fake_anthropic: FakeAnthropic,
) -> None:
    request = replace(
        REQUEST,
        messages=(
            Message(Role.ASSISTANT, "Earlier answer."),
            Message(Role.SYSTEM, "You are a test coach."),
            Message(Role.USER, "My intake."),
            Message(Role.USER, "   "),  # blank: the Messages API refuses empty text
            Message(Role.USER, "My question."),
            Message(Role.ASSISTANT, "An answer."),
            Message(Role.ASSISTANT, "More of it."),
            Message(Role.USER, "Thanks, and now?"),
        ),
    )

    model_for(fake_anthropic).complete(request)

    assert fake_anthropic.requests[0].body["messages"] == [
        {"role": "user", "content": "(continued)"},
        {"role": "assistant", "content": "Earlier answer."},
        {"role": "user", "content": "My intake.\n\nMy question."},
        {"role": "assistant", "content": "An answer.\n\nMore of it."},
        {"role": "user", "content": "Thanks, and now?"},
    ]


def test_the_temperature_is_left_out_by_default(fake_anthropic: FakeAnthropic) -> None:
    # API version 2026-10-21, the SDK's, answers 400 to a request that carries one.
    completion = model_for(fake_anthropic).complete(REQUEST)

    assert "temperature" not in fake_anthropic.requests[0].body
    assert completion.native_request is not None
    assert "temperature" not in completion.native_request


@pytest.mark.parametrize(("asked", "sent"), [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0), (1.7, 1.0)])
def test_a_server_that_takes_a_temperature_gets_it_clamped_to_one(
    fake_anthropic: FakeAnthropic, asked: float, sent: float
) -> None:
    model = model_for(fake_anthropic, send_temperature=True)

    completion = model.complete(replace(REQUEST, temperature=asked))

    assert fake_anthropic.requests[0].body["temperature"] == sent
    assert completion.native_request == fake_anthropic.requests[0].body


def test_the_api_key_goes_in_x_api_key_with_the_api_version(
    fake_anthropic: FakeAnthropic,
) -> None:
    model_for(fake_anthropic).complete(REQUEST)

    headers = fake_anthropic.requests[0].headers
    assert headers["x-api-key"] == API_KEY
    assert "authorization" not in headers  # the key goes out once
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", headers["anthropic-version"])


def test_a_local_server_needs_no_api_key(
    fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    model = AnthropicChatModel(api_key=None, base_url=fake_anthropic.base_url, max_retries=0)

    completion = model.complete(REQUEST)

    assert completion.text == "Hello from the fake Claude."
    headers = fake_anthropic.requests[0].headers
    assert "x-api-key" not in headers
    assert "authorization" not in headers


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "pause_turn"),
        ("model_context_window_exceeded", "model_context_window_exceeded"),
        (None, None),
    ],
)
def test_the_stop_reason_maps_to_a_finish_reason(
    fake_anthropic: FakeAnthropic, stop_reason: str | None, finish_reason: str | None
) -> None:
    fake_anthropic.script(Reply(stop_reason=stop_reason))

    completion = model_for(fake_anthropic).complete(REQUEST)

    assert completion.choices[0].finish_reason == finish_reason


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (400, ModelUnavailable, "upstream_error"),
        (401, ModelUnavailable, "upstream_error"),
        (429, ModelBusy, "upstream_busy"),
        (500, ModelUnavailable, "upstream_error"),
        (503, ModelBusy, "upstream_busy"),
        (529, ModelBusy, "upstream_busy"),
    ],
)
def test_an_http_error_maps_to_the_port_error(
    fake_anthropic: FakeAnthropic, status: int, error: type[ModelError], code: str
) -> None:
    fake_anthropic.script(Fail(status))

    raised = failure_of(model_for(fake_anthropic))

    assert type(raised) is error
    assert raised.code == code
    assert len(fake_anthropic.requests) == 1  # retries are off: one request, one error


def test_with_one_retry_an_overloaded_answer_then_a_message_succeeds(
    fake_anthropic: FakeAnthropic,
) -> None:
    # retry-after-ms keeps the SDK's back-off (half a second at least) out of the test's time.
    fake_anthropic.script(Fail(529, headers={"retry-after-ms": "10"}), Reply("Second time lucky."))

    completion = model_for(fake_anthropic, max_retries=1).complete(REQUEST)

    assert completion.text == "Second time lucky."
    first, second = fake_anthropic.requests
    assert first.body == second.body == completion.native_request


def test_retries_never_outlast_the_timeout_whatever_retry_after_says(
    fake_anthropic: FakeAnthropic,
) -> None:
    # The SDK would wait a whole minute before its first retry; the adapter retries itself,
    # within its timeout, so a plain request never outlives the turn's lease.
    fake_anthropic.script(*[Fail(529, headers={"retry-after": "60"}) for _ in range(3)])

    started = time.monotonic()
    error = failure_of(model_for(fake_anthropic, timeout_s=1.0, max_retries=3))

    assert isinstance(error, ModelBusy)
    assert time.monotonic() - started < 30  # far below the minute Retry-After asks
    assert len(fake_anthropic.requests) >= 1


def test_an_answer_slower_than_the_timeout_is_a_timeout(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(Delay(60))
    started = time.monotonic()

    raised = failure_of(model_for(fake_anthropic, timeout_s=0.3))

    assert type(raised) is ModelTimeout
    assert raised.code == "upstream_timeout"
    assert fake_anthropic.exchanges[0].status is None  # given up before the answer came
    # It waited for the timeout, and gave up far sooner than the answer or the SDK's own
    # ten-minute default (a stalled machine can add seconds, never tens of them).
    assert 0.2 < time.monotonic() - started < 30


def test_a_refused_connection_is_unavailable(closed_port: int) -> None:
    model = AnthropicChatModel(
        api_key=API_KEY, base_url=f"http://127.0.0.1:{closed_port}", max_retries=0
    )

    raised = failure_of(model)

    assert type(raised) is ModelUnavailable
    assert raised.code == "upstream_error"


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(Malformed(), id="json-that-does-not-parse"),
        pytest.param(Malformed(b"<html>Bad gateway</html>", "text/html"), id="html"),
        pytest.param(Malformed(b'{"data": [], "has_more": false}'), id="json-of-another-shape"),
        pytest.param(
            Malformed(
                b'{"id": "msg_x", "type": "message", "role": "assistant", "model": "m",'
                b' "content": [{"type": "text", "text": 42}], "stop_reason": "end_turn",'
                b' "stop_sequence": null, "usage": {"input_tokens": 1, "output_tokens": 1}}'
            ),
            id="field-of-the-wrong-type",
        ),
        pytest.param(HangUp(), id="closed-without-an-answer"),
    ],
)
def test_an_unreadable_answer_is_unavailable(
    fake_anthropic: FakeAnthropic, behaviour: Behaviour
) -> None:
    fake_anthropic.script(behaviour)

    raised = failure_of(model_for(fake_anthropic))

    assert type(raised) is ModelUnavailable
    assert raised.code == "upstream_error"


def assert_secret_free(raised: ModelError) -> None:
    assert API_KEY not in str(raised)
    assert API_KEY not in raised.detail
    assert API_KEY not in repr(raised.extra)


@pytest.mark.parametrize(
    "behaviour",
    [
        # A provider or a proxy may quote the key, or the whole request, in its error message.
        pytest.param(Fail(401, message=f"invalid x-api-key: {API_KEY}"), id="401"),
        pytest.param(Fail(400, message=f"Bad header: x-api-key {API_KEY}"), id="400"),
        pytest.param(Fail(529, message=f"Overloaded, {API_KEY}."), id="529"),
        pytest.param(Malformed(f"x-api-key: {API_KEY}".encode()), id="malformed"),
        pytest.param(Delay(10), id="timeout"),
        pytest.param(HangUp(), id="hang-up"),
    ],
)
def test_the_api_key_never_reaches_the_error(
    fake_anthropic: FakeAnthropic, behaviour: Behaviour
) -> None:
    fake_anthropic.script(behaviour)

    assert_secret_free(failure_of(model_for(fake_anthropic, timeout_s=0.3)))


# Streamed answers --------------------------------------------------------------------------


async def drain(model: AnthropicChatModel) -> tuple[list[str], Completion | None]:
    stream = model.stream(STREAMED)
    pieces = [piece async for piece in stream]
    return pieces, stream.result()


async def broken(model: AnthropicChatModel) -> tuple[list[str], Completion | None, ModelError]:
    """The pieces that came before the stream failed, what it kept, and the error."""
    stream = model.stream(STREAMED)
    pieces: list[str] = []
    try:
        async for piece in stream:
            pieces.append(piece)
    except ModelError as error:
        await stream.aclose()
        return pieces, stream.result(), error
    raise AssertionError(f"the stream ended well after {pieces}")


def test_a_streamed_answer_comes_in_pieces_and_assembles_the_same_completion(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.script(
        Reply(
            ["Read one chapter ", "a day."],
            stop_reason="end_turn",
            usage=(30, 5),
            id="msg_01S1",
            model="claude-test-20260101",
        )
    )
    before = int(time.time())

    pieces, completion = asyncio.run(drain(model_for(fake_anthropic)))

    assert pieces == ["Read ", "one ", "chapter ", "a ", "day."]
    assert completion is not None
    assert before <= completion.created <= int(time.time())
    assert completion == Completion(
        id="msg_01S1",
        created=completion.created,
        model="claude-test-20260101",
        choices=(Choice(0, "assistant", "Read one chapter a day.", "stop"),),
        usage=Usage(prompt_tokens=30, completion_tokens=5, total_tokens=35),
    )
    (exchange,) = fake_anthropic.exchanges
    assert exchange.request.body["stream"] is True
    assert completion.native_request == exchange.request.body
    # The events fold back into the message a plain request would have received.
    assert completion.native_response == exchange.message


def test_a_streamed_request_is_the_plain_one_with_stream_on(fake_anthropic: FakeAnthropic) -> None:
    model = model_for(fake_anthropic)

    model.complete(REQUEST)
    asyncio.run(drain(model))

    plain, streamed = received_bodies(fake_anthropic)
    assert streamed == {**plain, "stream": True}  # type: ignore[dict-item]
    assert fake_anthropic.requests[1].headers["x-api-key"] == API_KEY
    assert "authorization" not in fake_anthropic.requests[1].headers


def test_nothing_is_assembled_before_the_stream_starts(fake_anthropic: FakeAnthropic) -> None:
    stream = model_for(fake_anthropic).stream(STREAMED)

    assert stream.result() is None
    assert fake_anthropic.requests == []  # nothing goes out until the stream is iterated


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ModelUnavailable),
        (401, ModelUnavailable),
        (429, ModelBusy),
        (500, ModelUnavailable),
        (503, ModelBusy),
        (529, ModelBusy),
    ],
)
def test_an_http_error_before_the_stream_maps_to_the_port_error(
    fake_anthropic: FakeAnthropic, status: int, error: type[ModelError]
) -> None:
    fake_anthropic.script(Fail(status))

    pieces, kept, raised = asyncio.run(broken(model_for(fake_anthropic)))

    assert type(raised) is error
    assert (pieces, kept) == ([], None)


def test_with_one_retry_a_stream_refused_as_overloaded_then_succeeds(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.script(Fail(529, headers={"retry-after-ms": "10"}), Reply("Second time."))

    pieces, completion = asyncio.run(drain(model_for(fake_anthropic, max_retries=1)))

    assert "".join(pieces) == "Second time."
    assert completion is not None
    assert completion.native_response == fake_anthropic.exchanges[1].message


def test_a_first_event_slower_than_the_timeout_is_a_timeout(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(Reply("late", first_event_delay_s=60))
    started = time.monotonic()

    pieces, kept, raised = asyncio.run(broken(model_for(fake_anthropic, timeout_s=0.3)))

    assert type(raised) is ModelTimeout
    assert (pieces, kept) == ([], None)
    # Far sooner than the first event's 60 s, however loaded the machine.
    assert 0.2 < time.monotonic() - started < 30


def test_a_pause_between_events_longer_than_the_timeout_is_a_timeout(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.script(Reply("one two", delta_delay_s=10))

    pieces, kept, raised = asyncio.run(broken(model_for(fake_anthropic, timeout_s=0.3)))

    assert type(raised) is ModelTimeout
    assert pieces == []
    assert kept is not None  # message_start came: the answer had begun
    assert kept.text == ""


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(cut_stream(after=5), id="cut"),
        pytest.param(malformed_event(after=5), id="malformed-event"),
        pytest.param(error_event(after=5), id="error-event"),
        pytest.param(unfinished_stream(after=5), id="ended-before-message-stop"),
    ],
)
def test_a_broken_stream_is_unavailable_and_keeps_what_came(
    fake_anthropic: FakeAnthropic, fault: StreamFault
) -> None:
    # message_start, ping, content_block_start, "one ", "two ", then the fault.
    fake_anthropic.script(Reply("one two three four", fault=fault, id="msg_01B"))

    pieces, kept, raised = asyncio.run(broken(model_for(fake_anthropic)))

    assert type(raised) is ModelUnavailable
    assert raised.code == "upstream_error"
    assert pieces == ["one ", "two "]
    assert kept is not None
    assert (kept.id, kept.text, kept.choices[0].finish_reason) == ("msg_01B", "one two ", None)
    assert kept.native_request == fake_anthropic.requests[0].body
    assert kept.native_response is not None
    assert kept.native_response["content"] == [{"type": "text", "text": "one two "}]
    assert kept.native_response["stop_reason"] is None


def test_an_error_event_first_thing_in_the_stream_keeps_nothing(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.script(Reply(fault=error_event(after=0)))

    pieces, kept, raised = asyncio.run(broken(model_for(fake_anthropic)))

    assert type(raised) is ModelUnavailable
    assert (pieces, kept) == ([], None)


def test_a_stopped_stream_keeps_its_partial_text(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.script(Reply("one two three four", delta_delay_s=0.05, id="msg_01P"))

    async def stop_after_the_first_piece() -> tuple[str, Completion | None]:
        stream = model_for(fake_anthropic).stream(STREAMED)
        first = await anext(aiter(stream))
        await stream.aclose()
        await stream.aclose()  # idempotent
        return first, stream.result()

    first, kept = asyncio.run(stop_after_the_first_piece())

    assert first == "one "
    assert kept is not None
    assert (kept.id, kept.text, kept.choices[0].finish_reason) == ("msg_01P", "one ", None)
    assert kept.native_response is not None
    assert kept.native_response["content"] == [{"type": "text", "text": "one "}]
    sent = fake_anthropic.exchanges[0].body
    assert {"event": "message_stop", "data": {"type": "message_stop"}} not in sent


def test_a_refused_connection_is_unavailable_for_a_stream(closed_port: int) -> None:
    model = AnthropicChatModel(
        api_key=API_KEY, base_url=f"http://127.0.0.1:{closed_port}", max_retries=0
    )

    pieces, kept, raised = asyncio.run(broken(model))

    assert type(raised) is ModelUnavailable
    assert (pieces, kept) == ([], None)


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(Fail(401, message=f"invalid x-api-key: {API_KEY}"), id="401"),
        pytest.param(Fail(529, message=f"Overloaded, {API_KEY}."), id="529"),
        pytest.param(Reply(fault=error_event(message=f"Overloaded, {API_KEY}")), id="error-event"),
        pytest.param(Reply(fault=malformed_event(data=f"x-api-key {API_KEY}")), id="malformed"),
        pytest.param(Reply(first_event_delay_s=10), id="timeout"),
        pytest.param(HangUp(), id="hang-up"),
    ],
)
def test_the_api_key_never_reaches_a_stream_error(
    fake_anthropic: FakeAnthropic, behaviour: Behaviour
) -> None:
    fake_anthropic.script(behaviour)

    *_, raised = asyncio.run(broken(model_for(fake_anthropic, timeout_s=0.3)))

    assert_secret_free(raised)


# The fake server, as the SDK sees it -------------------------------------------------------


def sdk_client(fake: FakeAnthropic) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=API_KEY, base_url=fake.base_url, max_retries=0)


@pytest.mark.parametrize(
    ("status", "sdk_error", "kind"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_the_fake_errors_read_as_anthropic_errors(
    fake_anthropic: FakeAnthropic,
    status: int,
    sdk_error: type[anthropic.APIStatusError],
    kind: str,
) -> None:
    fake_anthropic.script(Fail(status, message="Scripted failure."))

    with pytest.raises(sdk_error) as caught:
        sdk_client(fake_anthropic).messages.create(
            model="claude-test", max_tokens=16, messages=[{"role": "user", "content": "Hi"}]
        )

    assert caught.value.status_code == status
    assert (caught.value.type, caught.value.api_message) == (kind, "Scripted failure.")


def test_the_sdk_folds_the_fake_stream_into_the_message_a_plain_request_gets(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.script(Reply(["First block. ", "Second block."], stop_reason="stop_sequence"))
    fake_anthropic.script(Reply(["First block. ", "Second block."], stop_reason="stop_sequence"))
    client = sdk_client(fake_anthropic)
    hi: list[anthropic.types.MessageParam] = [{"role": "user", "content": "Hi"}]

    with client.messages.stream(model="claude-test", max_tokens=16, messages=hi) as stream:
        texts = list(stream.text_stream)
        streamed = stream.get_final_message()
    plain = client.messages.create(model="claude-test", max_tokens=16, messages=hi)

    assert texts == ["First ", "block. ", "Second ", "block."]
    events = fake_anthropic.exchanges[0].body
    assert [e["event"] for e in events] == [
        "message_start",
        "ping",
        *["content_block_start", "content_block_delta", "content_block_delta"],
        "content_block_stop",
        *["content_block_start", "content_block_delta", "content_block_delta"],
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    # What the SDK assembled is what the fake stands for, and what a plain request receives.
    # (The SDK's assembly writes every field message_delta may carry, absent ones as None.)
    assert streamed.to_dict(mode="json") == {
        **fake_anthropic.exchanges[0].message,  # type: ignore[dict-item]
        "stop_details": None,
    }
    assert plain.to_dict(mode="json") == fake_anthropic.exchanges[1].body
    assert {**fake_anthropic.exchanges[0].message, "id": "x"} == {  # type: ignore[dict-item]
        **fake_anthropic.exchanges[1].body,
        "id": "x",
    }


def test_the_fake_stops_promptly_while_an_answer_is_still_waiting() -> None:
    fake = FakeAnthropic(default=Delay(300)).start()
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
