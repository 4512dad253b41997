"""The server command (`python -m django_project.serve`, as `make serve` runs it): uvicorn with a
listening socket per worker process, so that the kernel spreads connections over the workers
instead of the first one to wake taking them all."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

REPO = Path(__file__).resolve().parents[2]
WORKERS = 2
pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]


@pytest.fixture(scope="module")
def app_server_options() -> dict[str, Any]:
    # The access log (INFO, with each line's process id) shows which worker served what.
    return {"daily_limit": 5, "workers": WORKERS, "env": {"DJANGO_LOG_LEVEL": "INFO"}}


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _workers(server: "LiveServer") -> list[int]:
    # The supervisor's children: multiprocessing's resource tracker and the workers, which are
    # the ones holding sockets.
    return [pid for pid in _children(server.process.pid) if _socket_inodes(pid)]


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if match := re.fullmatch(r"socket:\[(\d+)\]", target):
            inodes.add(int(match[1]))
    return inodes


def _listening_inodes(port: int) -> set[int]:
    """The inodes of the TCP sockets listening on `port` (state 0A in /proc/net/tcp)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "0A":
                inodes.add(int(fields[9]))
    return inodes


def _all_listening(server: "LiveServer", cap_s: float = 600.0) -> set[int]:
    """The listening sockets once every worker has started (the server answers as soon as the
    first one has). A loaded machine may take minutes to start the others; the cap only ends
    the wait for a worker that never listens."""
    deadline = time.monotonic() + cap_s
    while len(listening := _listening_inodes(server.port)) < WORKERS:
        server.check()
        assert time.monotonic() < deadline, f"only {len(listening)} worker(s) listening"
        time.sleep(0.1)
    return listening


def test_each_worker_listens_on_a_socket_of_its_own(live_app: "LiveServer") -> None:
    listening = _all_listening(live_app)
    workers = _workers(live_app)

    assert len(workers) == WORKERS
    assert len(listening) == WORKERS
    owners = [listening & _socket_inodes(pid) for pid in workers]
    assert all(len(own) == 1 for own in owners)  # one each, and not the same one
    assert owners[0] != owners[1]
    # The supervisor's own socket only reserves the address: it never takes connections.
    assert not listening & _socket_inodes(live_app.process.pid)


def test_connections_from_a_burst_of_clients_reach_every_worker(live_app: "LiveServer") -> None:
    """32 keep-alive connections opened at once: with a shared socket one worker often took all
    of them; hashed over a socket per worker, all 32 on one worker has odds of 2 in 2**32."""
    _all_listening(live_app)
    start = live_app.log_size()
    clients = [httpx.Client(base_url=live_app.url, timeout=10) for _ in range(32)]
    try:
        for client in clients:
            assert client.get("/api/chats/intake/").status_code == 200
    finally:
        for client in clients:
            client.close()
    served_by = set()
    for line in live_app.logs(start).splitlines():
        if line.startswith("{") and '"chatbot.access"' in line:
            served_by.add(json.loads(line)["pid"])

    assert served_by == set(_workers(live_app))


def test_a_second_server_on_the_same_port_refuses_to_start(live_app: "LiveServer") -> None:
    """Sockets that share a port with SO_REUSEPORT would let a second copy of the server (one
    left running, say) quietly take half the connections; it must fail instead."""
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "django_project.serve",
            "django_project.asgi:application",
            "--host",
            live_app.host,
            "--port",
            str(live_app.port),
            "--workers",
            "2",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert second.returncode == 3  # uvicorn's STARTUP_FAILURE
    assert "Address already in use" in second.stderr
    with socket.create_connection((live_app.host, live_app.port), timeout=5):
        pass  # the first server is still there
