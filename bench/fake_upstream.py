"""A fast OpenAI-compatible fake upstream for load benchmarks, with shaped latency.

    .venv/bin/python bench/fake_upstream.py --port 8100 --ttft-ms 250 --tbt-ms 20 --tokens 40

It serves POST /v1/chat/completions, plain (JSON) and streamed (`"stream": true`: Server-Sent
Events in OpenAI's chunk format, a usage chunk when `stream_options.include_usage` is true, then
`data: [DONE]`). The first content token leaves `--ttft-ms` after the request arrived, and each
next one `--tbt-ms` after the previous one (on an absolute schedule, so a busy machine does not
stretch the shape); a plain answer is sent whole when the last token would have been.

Unlike tests/support/fake_openai.py (threads, scripted per test, records everything) this is a
single asyncio process that records nothing, so it holds hundreds of streams on a small machine.
A benchmark can change the shape between phases without restarting anything:

    POST /bench/shape {"ttft_ms": 0, "tbt_ms": 0, "tokens": 40}  -> the new shape
    GET  /bench/stats                                           -> requests served, streams open

It prints one line, `listening on http://127.0.0.1:PORT`, once it accepts connections (with
`--port 0` the system picks the port). Standard library only; uvloop is used when installed.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import signal
import sys
import time
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from typing import Any

CHAT_COMPLETIONS = b"/v1/chat/completions"
MAX_HEAD = 64 * 1024
MAX_BODY = 4 * 1024 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 413: "Payload Too Large"}


@dataclass(slots=True)
class Shape:
    ttft_ms: float = 250.0
    tbt_ms: float = 20.0
    tokens: int = 40

    def check(self) -> "Shape":
        if self.ttft_ms < 0 or self.tbt_ms < 0 or not 1 <= self.tokens <= 100_000:
            raise ValueError("ttft_ms and tbt_ms must be >= 0 and tokens between 1 and 100000")
        return self


def answer_tokens(count: int) -> list[str]:
    """The answer, token by token: deterministic, so a client can check what arrived."""
    return [f"word{i} " for i in range(count - 1)] + [f"word{count - 1}."]


def answer_text(count: int) -> str:
    return "".join(answer_tokens(count))


class Upstream:
    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.ids = itertools.count(1)
        self.served = 0
        self.open_streams = 0
        self.peak_streams = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away, or sent something that is not HTTP/1.1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection is to be closed."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as eof:
            if eof.partial:
                raise
            return False  # a kept-alive connection the client closed
        request_line, *header_lines = head[:-4].split(b"\r\n")
        parts = request_line.split(b" ")
        if len(parts) != 3:
            await self._send_json(writer, 400, {"error": {"message": "Bad request line."}}, False)
            return False
        method, target, _version = parts
        headers: dict[bytes, bytes] = {}
        for line in header_lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        keep_alive = headers.get(b"connection", b"").lower() != b"close"
        length = int(headers.get(b"content-length", b"0") or b"0")
        if length > MAX_BODY:
            await self._send_json(writer, 413, {"error": {"message": "Too large."}}, False)
            return False
        raw = await reader.readexactly(length) if length else b""
        path = target.split(b"?", 1)[0]
        if method == b"POST" and path == CHAT_COMPLETIONS:
            await self._chat(writer, raw, keep_alive)
        elif method == b"POST" and path == b"/bench/shape":
            await self._reshape(writer, raw, keep_alive)
        elif method == b"GET" and path == b"/bench/stats":
            stats = {
                "served": self.served,
                "open_streams": self.open_streams,
                "peak_streams": self.peak_streams,
                "shape": asdict(self.shape),
            }
            await self._send_json(writer, 200, stats, keep_alive)
        else:
            error = {"message": f"Unknown request URL: {method.decode()} {target.decode()}."}
            await self._send_json(writer, 404, {"error": error}, keep_alive)
        return keep_alive

    async def _reshape(self, writer: asyncio.StreamWriter, raw: bytes, keep_alive: bool) -> None:
        try:
            self.shape = Shape(**{**asdict(self.shape), **json.loads(raw)}).check()
        except (ValueError, TypeError) as error:
            await self._send_json(writer, 400, {"error": {"message": str(error)}}, keep_alive)
            return
        await self._send_json(writer, 200, asdict(self.shape), keep_alive)

    async def _chat(self, writer: asyncio.StreamWriter, raw: bytes, keep_alive: bool) -> None:
        arrived = time.perf_counter()
        shape = self.shape
        try:
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            error = {"message": "We could not parse the JSON body of your request."}
            await self._send_json(writer, 400, {"error": error}, keep_alive)
            return
        self.served += 1
        model = str(body.get("model") or "gpt-fake")
        messages = body.get("messages") or []
        prompt = sum(
            len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict)
        )
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": shape.tokens,
            "total_tokens": prompt + shape.tokens,
        }
        meta = {
            "id": f"chatcmpl-bench{next(self.ids):07d}",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_bench",
        }
        if body.get("stream") is True:
            options = body.get("stream_options")
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            await self._stream(writer, arrived, shape, meta, usage if include_usage else None)
            return
        await _sleep_until(arrived + (shape.ttft_ms + (shape.tokens - 1) * shape.tbt_ms) / 1000)
        answer = {
            "id": meta["id"],
            "object": "chat.completion",
            "created": meta["created"],
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": answer_text(shape.tokens),
                        "refusal": None,
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
            "system_fingerprint": meta["system_fingerprint"],
        }
        await self._send_json(writer, 200, answer, keep_alive)

    async def _stream(
        self,
        writer: asyncio.StreamWriter,
        arrived: float,
        shape: Shape,
        meta: dict[str, Any],
        usage: dict[str, int] | None,
    ) -> None:
        # Every chunk but the usage one shares this head and, when usage was asked for, ends
        # with a null usage, as OpenAI sends them.
        head = json.dumps({**meta, "object": "chat.completion.chunk"})[:-1] + ', "choices": ['
        tail = "]" + (', "usage": null}' if usage is not None else "}")

        def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return _event(head + json.dumps(choice) + tail)

        self.open_streams += 1
        self.peak_streams = max(self.peak_streams, self.open_streams)
        try:
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n"
                b"x-request-id: req_" + meta["id"].encode() + b"\r\n\r\n"
            )
            tokens = answer_tokens(shape.tokens)
            first = arrived + shape.ttft_ms / 1000
            for n, token in enumerate(tokens):
                await _sleep_until(first + n * shape.tbt_ms / 1000)
                out = chunk({"content": token}, None)
                if n == 0:
                    out = chunk({"role": "assistant", "content": "", "refusal": None}, None) + out
                if n == len(tokens) - 1:
                    out += chunk({}, "stop")
                    if usage is not None:
                        out += _event(
                            json.dumps(
                                {
                                    **meta,
                                    "object": "chat.completion.chunk",
                                    "choices": [],
                                    "usage": usage,
                                }
                            )
                        )
                    out += _event("[DONE]") + b"0\r\n\r\n"
                writer.write(out)
                await writer.drain()
        finally:
            self.open_streams -= 1

    async def _send_json(
        self, writer: asyncio.StreamWriter, status: int, body: Any, keep_alive: bool
    ) -> None:
        data = json.dumps(body).encode()
        writer.write(
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n".encode()
            + data
        )
        await writer.drain()


def _event(data: str) -> bytes:
    """One Server-Sent Event as one HTTP/1.1 chunk."""
    payload = b"data: " + data.encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(payload), payload)


async def _sleep_until(deadline: float) -> None:
    delay = deadline - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


async def serve(host: str, port: int, shape: Shape) -> None:
    upstream = Upstream(shape)
    server = await asyncio.start_server(
        upstream.handle, host, port, limit=MAX_HEAD, backlog=2048, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--ttft-ms", type=float, default=250.0, help="time to first token")
    parser.add_argument("--tbt-ms", type=float, default=20.0, help="time between tokens")
    parser.add_argument("--tokens", type=int, default=40, help="tokens in each answer")
    args = parser.parse_args(argv)
    if args.host not in {"127.0.0.1", "::1", "localhost"}:
        parser.error("the fake upstream listens on loopback only")
    try:
        shape = Shape(args.ttft_ms, args.tbt_ms, args.tokens).check()
    except ValueError as error:
        parser.error(str(error))
    with contextlib.suppress(KeyboardInterrupt):
        run(serve(args.host, args.port, shape))
    sys.exit(0)


def run(main: Coroutine[Any, Any, None]) -> None:
    """asyncio.run, on uvloop when it is installed (it comes with uvicorn[standard])."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


if __name__ == "__main__":
    main()
