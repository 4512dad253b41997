"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests to read."""

import atexit
import email
import email.policy
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

LINK = re.compile(r"(?P<link>\S+#/(?P<route>verify-email|reset-password)\?token=(?P<token>[\w-]+))")


@dataclass
class Received:
    """One mail as delivered: its headers, both parts, and the one link it carries."""

    message: EmailMessage
    to: list[str]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body((subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())

    @property
    def link(self) -> str:
        links = {m["link"] for m in LINK.finditer(self.part("plain"))}
        assert len(links) == 1, links
        assert LINK.search(self.part("html")) is not None
        return links.pop()

    @property
    def token(self) -> str:
        match = LINK.search(self.link)
        assert match is not None
        return match["token"]


@dataclass
class Inbox:
    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.received.append(Received(message, list(envelope.rcpt_tos)))
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, to: str, count: int = 1, timeout: float = 30) -> list[Received]:
        """The first `count` mails to `to`, waiting for them to arrive."""

        def theirs() -> list[Received]:
            return [mail for mail in self.received if to in mail.to]

        with self._arrived:
            self._arrived.wait_for(lambda: len(theirs()) >= count, timeout)
            mails = theirs()
        assert len(mails) >= count, f"{len(mails)} of {count} mails to {to} arrived"
        return mails[:count]

    def to(self, address: str) -> list[Received]:
        with self._arrived:
            return [mail for mail in self.received if address in mail.to]

    def environment(self) -> dict[str, str]:
        """A live server's environment that sends its mail here."""
        return {"EMAIL_HOST": self.host, "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_inbox() -> Iterator[Inbox]:
    """An SMTP server on loopback for as long as the block runs, for any scope."""
    inbox = Inbox("127.0.0.1", free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


_shared: Inbox | None = None
_shared_lock = threading.Lock()


def shared_inbox() -> Inbox:
    """One SMTP server for the whole test process, started on first use and stopped at exit:
    where live servers send their mail unless a test gives them another (see live_server)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            running = running_inbox()
            _shared = running.__enter__()
            atexit.register(running.__exit__, None, None, None)
        return _shared


@pytest.fixture
def smtp_server() -> Iterator[Inbox]:
    with running_inbox() as inbox:
        yield inbox


@pytest.fixture
def inbox(smtp_server: Inbox, settings: Any) -> Inbox:
    """This process's mail goes to the loopback SMTP server (Django's SMTP backend)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return smtp_server
