"""The committed docs/openapi.yaml is the schema the code generates (run `make schema`)."""

from io import StringIO
from pathlib import Path

from django.core.management import call_command

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_the_committed_api_schema_matches_the_code() -> None:
    generated = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=generated)

    assert generated.getvalue() == COMMITTED.read_text(), "docs/openapi.yaml is stale: make schema"
