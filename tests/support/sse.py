"""Reading a text/event-stream response in tests."""

import json
from collections.abc import Iterator
from typing import Any


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """(event name, its data) for each event of a text/event-stream, as its lines come."""
    name = ""
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line[6:])
