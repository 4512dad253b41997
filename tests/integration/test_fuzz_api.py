"""Schemathesis against the committed OpenAPI schema (docs/openapi.yaml), in process through the
WSGI app: every operation, anonymous, as a member and with a bad token, with valid and invalid
inputs. No answer may be a 5xx, and every answer must be one the schema documents (status,
content type), in the shape it documents.

The run is bounded for `make test` (FUZZ_EXAMPLES per operation, 25 by default, derandomized so a
failure reproduces); `make fuzz` runs it long (FUZZ_EXAMPLES=500, a random seed each time)."""

import contextvars
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from django_project.wsgi import application
from tests.integration.conftest import Configure, Member, connection_kept, start_chat

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
LONG = "FUZZ_EXAMPLES" in os.environ

CHECKS = [
    negative_data_rejection,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

config = SchemathesisConfig.from_dict(
    {
        "generation": {
            "max-examples": EXAMPLES,
            "deterministic": not LONG,
            # Unknown query parameters are ignored, like unknown body fields (a design choice,
            # test_bad_input.py); the role's Authorization header is the test's, not generated.
            "allow-extra-parameters": False,
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_path(SCHEMA, config=config)
schema.app = application

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=not LONG,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

pytestmark = pytest.mark.django_db


@dataclass
class Role:
    headers: dict[str, str]
    # For the member: their own chat and its first turn, put in the paths the fuzzer makes, so
    # fuzzed messages, stops and deletes reach a real chat and not only 404s.
    own: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def as_role(role: str, make_member: Callable[..., Member], configure: Configure) -> Iterator[Role]:
    """The role. Made before the connections are pinned: Django's test client, which signs the
    member up, puts the signal handlers back after each of its requests."""
    configure(limit=1_000_000)  # the quota is not what is fuzzed here: keep the model answering
    made = Role({"Authorization": "Bearer not.a.token"} if role == "bad token" else {})
    if role == "member":
        member = make_member()
        chat = start_chat(member).json()
        made = Role(
            {"Authorization": f"Bearer {member.access}"},
            {"chat_id": chat["id"], "turn_id": chat["turns"][0]["id"]},
        )
    # The WSGI handler closes the database connection after each request.
    with connection_kept():
        yield made


@pytest.mark.parametrize("role", ["anonymous", "member", "bad token"])
@schema.parametrize()
@FUZZ_SETTINGS
def test_no_input_breaks_the_api(case: Any, role: str, as_role: Role) -> None:
    for name, value in as_role.own.items():
        # Only a valid id is replaced: an invalid one is the point of a negative case.
        if isinstance((case.path_parameters or {}).get(name), int):
            case.path_parameters[name] = value
    # In a context of its own: the test client does not close the app's response, which is when
    # the logging middleware forgets the request id it set, and later tests run in this thread.
    contextvars.copy_context().run(case.call_and_validate, headers=as_role.headers, checks=CHECKS)
