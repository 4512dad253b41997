"""Fixtures for tests that talk to real things: the database, the HTTP API with real JWTs."""

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core import signals
from django.db import close_old_connections
from rest_framework.test import APIClient

from adapters.llm.offline import OfflineChatModel
from adapters.orm.models import ThrottleWindow
from application.asking import ChatSettings
from application.ports import ChatModel
from application.rules import ChatRules
from django_project.api.throttling import ANON_READS
from django_project.container import Container
from domain.chat import Guide
from domain.llm import Sampling
from domain.quota import DailyQuotaPolicy
from tests.support.members import PASSWORD
from tests.support.smtp import Inbox, inbox, smtp_server  # noqa: F401 - fixtures for mail tests

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_throttles(request: pytest.FixtureRequest) -> Iterator[None]:
    # Throttle counters live in a database table, and anonymous reads' in this process's memory;
    # each test starts with none.
    ANON_READS.clear()
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        yield
        return
    if marker is None:
        request.getfixturevalue(
            "transactional_db" if "transactional_db" in request.fixturenames else "db"
        )
    ThrottleWindow.objects.all().delete()
    yield
    ThrottleWindow.objects.all().delete()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The production hasher costs ~0.3 s a call by design; tests hash hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def container() -> Iterator[Container]:
    app = apps.get_app_config("chatbot_api")
    c: Container = app.container  # type: ignore[attr-defined]
    yield c
    c.reset_override()
    app.load_settings(c)  # type: ignore[attr-defined]
    c.reset_singletons()


@dataclass
class Configure:
    container: Container

    def __call__(
        self,
        *,
        limit: int = 5,
        time_zone: str = "Asia/Seoul",
        model: ChatModel | None = None,
        model_name: str = "offline-guide",
        history_budget: int = 12_000,
        system_prompt: str = "You are a test coach.",
        models: Sequence[str] = (),
        rules: ChatRules | None = None,
    ) -> None:
        guide = Guide(
            system_prompt=system_prompt,
            sampling=Sampling(model=model_name, temperature=0.5, max_tokens=256),
            history_budget=history_budget,
        )
        policy = DailyQuotaPolicy(limit=limit, time_zone=ZoneInfo(time_zone))
        self.container.chat_settings.override(ChatSettings(guide, policy, models, rules=rules))
        self.container.chat_model.override(model or OfflineChatModel())


@pytest.fixture
def configure(container: Container) -> Configure:
    """Pin the chat settings and the model for a test; defaults: limit 5, offline model."""
    setup = Configure(container)
    setup()
    return setup


@dataclass
class Member:
    id: int
    email: str
    nickname: str
    access: str
    refresh: str
    client: APIClient


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def sign_up(client: APIClient, **fields: Any) -> Any:
    n = next(_numbers)
    body = {
        "email": f"member{n}@example.com",
        "password": PASSWORD,
        "nickname": f"member{n}",
        "accept_terms": True,
        "over_14": True,
    }
    body.update(fields)
    return client.post("/api/auth/signup/", body, format="json")


def verify_email(token: str) -> Any:
    return APIClient().post("/api/auth/email/verify/", {"token": token}, format="json")


def log_in(client: APIClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/login/", {"email": email, "password": password}, format="json")


@pytest.fixture
def make_member(
    db: None,
    configure: Configure,
    inbox: Inbox,  # noqa: F811 - the fixture imported above
) -> Callable[..., Member]:
    """Sign up and log in through the API; the member's client carries a real access token.
    The member verifies their email as people do, by the token in the mail the sign-up sent
    (through a real SMTP server on loopback), unless `verified=False`."""

    def make(verified: bool = True, **fields: Any) -> Member:
        # Mails to an address used before (by a member who left) are not this member's.
        earlier = len(inbox.to(str(fields.get("email", "")).strip().lower()))
        signed = sign_up(APIClient(), **fields)
        assert signed.status_code == 201, signed.json()
        if verified:
            mail = inbox.wait_for(signed.json()["email"], count=earlier + 1)[-1]
            confirmed = verify_email(mail.token)
            assert confirmed.status_code == 200, confirmed.json()
        tokens = log_in(APIClient(), signed.json()["email"], fields.get("password", PASSWORD))
        assert tokens.status_code == 200, tokens.json()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
        return Member(
            id=signed.json()["id"],
            email=signed.json()["email"],
            nickname=signed.json()["nickname"],
            access=tokens.json()["access"],
            refresh=tokens.json()["refresh"],
            client=client,
        )

    return make


@pytest.fixture
def member(make_member: Callable[..., Member]) -> Member:
    return make_member()


INTAKE = {"current_state": "I write Python at a small startup.", "goal": "Lead a team in 2 years."}


def start_chat(member: Member, **answers: str) -> Any:
    return member.client.post("/api/chats/", {**INTAKE, **answers}, format="json")


@contextlib.contextmanager
def connection_kept() -> Iterator[None]:
    """Requests served outside Django's test client, as it does around its own: the handlers
    close the database connection when a request starts and finishes, which would end the
    test's transaction. (The test client puts them back after each of its requests.)"""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
