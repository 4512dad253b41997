import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.llm import Choice, Completion, CompletionRequest, Message, Role, Sampling, Usage


def request_from_wire(body: dict[str, Any]) -> CompletionRequest:
    return CompletionRequest(
        model=body["model"],
        messages=tuple(Message(Role(m["role"]), m["content"]) for m in body["messages"]),
        temperature=body["temperature"],
        max_tokens=body["max_tokens"],
        stream=body["stream"],
    )


def completion_from_wire(body: dict[str, Any]) -> Completion:
    usage = body["usage"]
    return Completion(
        id=body["id"],
        created=body["created"],
        model=body["model"],
        choices=tuple(
            Choice(c["index"], c["message"]["role"], c["message"]["content"], c["finish_reason"])
            for c in body["choices"]
        ),
        usage=None if usage is None else Usage(**usage),
    )


class TestSampling:
    def test_the_defaults_are_valid(self) -> None:
        sampling = Sampling(model="gpt-4o-mini")
        assert (sampling.temperature, sampling.max_tokens) == (0.7, 1024)

    @pytest.mark.parametrize("temperature", [0.0, 2.0])
    def test_the_temperature_bounds_are_inclusive(self, temperature: float) -> None:
        assert Sampling(model="m", temperature=temperature).temperature == temperature

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"model": ""}, "model"),
            ({"temperature": -0.01}, "temperature"),
            ({"temperature": 2.01}, "temperature"),
            ({"max_tokens": 0}, "max_tokens"),
        ],
    )
    def test_invalid_settings_are_rejected_by_field(
        self, fields: dict[str, Any], field: str
    ) -> None:
        with pytest.raises(InvalidValue) as error:
            Sampling(**{"model": "m", **fields})
        assert error.value.field == field


def test_a_request_needs_a_message() -> None:
    with pytest.raises(InvalidValue):
        CompletionRequest(model="m", messages=(), temperature=0.5, max_tokens=10)


def test_a_request_goes_over_the_wire_in_the_chat_completions_shape() -> None:
    request = CompletionRequest(
        model="gpt-4o-mini",
        messages=(
            Message(Role.SYSTEM, "Be kind."),
            Message(Role.SYSTEM, "About the member (private): Job: Nurse.", private=True),
            Message(Role.USER, "Hi"),
            Message(Role.ASSISTANT, "Hello"),
        ),
        temperature=0.5,
        max_tokens=256,
    )
    assert request.as_wire() == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "system", "content": "About the member (private): Job: Nurse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
        ],
        "temperature": 0.5,
        "max_tokens": 256,
        "stream": False,
    }


def test_privacy_is_a_storage_mark_not_part_of_the_message() -> None:
    private = Message(Role.SYSTEM, "About the member (private): Born in 1990.", private=True)
    assert "private" not in private.as_wire()
    assert private == Message(Role.SYSTEM, private.content)


def test_a_response_goes_over_the_wire_in_the_chat_completions_shape() -> None:
    response = Completion(
        id="chatcmpl-1",
        created=1_767_225_600,
        model="gpt-4o-mini-2024-07-18",
        choices=(Choice(0, "assistant", "Start slowly.", "stop"),),
        usage=Usage(prompt_tokens=20, completion_tokens=3, total_tokens=23),
    )
    assert response.as_wire() == {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_767_225_600,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Start slowly."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23},
    }


def test_a_response_without_usage_says_so() -> None:
    response = Completion("c", 0, "m", (Choice(0, "assistant", "x", None),), usage=None)
    assert response.as_wire()["usage"] is None
    assert response.as_wire()["choices"][0]["finish_reason"] is None


def test_a_response_has_a_choice() -> None:
    with pytest.raises(InvalidValue):
        Completion(id="c", created=0, model="m", choices=(), usage=None)


def test_the_answer_is_the_first_choice_whatever_order_they_came_in() -> None:
    response = Completion(
        "c",
        0,
        "m",
        (Choice(1, "assistant", "second", "stop"), Choice(0, "assistant", "first", "stop")),
        usage=None,
    )
    assert response.text == "first"


text = st.text(max_size=40)
messages = st.builds(Message, role=st.sampled_from(Role), content=text, private=st.booleans())
requests = st.builds(
    CompletionRequest,
    model=st.text(min_size=1, max_size=20),
    messages=st.lists(messages, min_size=1, max_size=6).map(tuple),
    temperature=st.floats(0, 2, allow_nan=False),
    max_tokens=st.integers(1, 100_000),
    stream=st.booleans(),
)
choices = st.builds(
    Choice,
    index=st.integers(0, 8),
    role=st.sampled_from(["assistant", "tool", "user"]),
    content=text,
    finish_reason=st.none() | st.sampled_from(["stop", "length", "content_filter"]),
)
usages = st.builds(
    Usage,
    prompt_tokens=st.integers(0, 10**6),
    completion_tokens=st.integers(0, 10**6),
    total_tokens=st.integers(0, 2 * 10**6),
)
completions = st.builds(
    Completion,
    id=st.text(max_size=30),
    created=st.integers(0, 2**40),
    model=text,
    choices=st.lists(choices, min_size=1, max_size=4).map(tuple),
    usage=st.none() | usages,
)


@given(requests)
def test_a_request_round_trips_through_its_wire_form(request: CompletionRequest) -> None:
    wire = json.loads(json.dumps(request.as_wire()))
    assert request_from_wire(wire) == request


@given(completions)
def test_a_response_round_trips_through_its_wire_form(response: Completion) -> None:
    wire = json.loads(json.dumps(response.as_wire()))
    rebuilt = completion_from_wire(wire)
    assert rebuilt == response
    assert rebuilt.text == response.text
