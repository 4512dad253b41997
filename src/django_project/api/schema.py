"""The OpenAPI schema's postprocessing: what every operation can answer, whatever its view says.

Views list the errors of their own logic (404, 403, 429, ...). Some errors can reach any
operation before its view runs: a malformed or expired bearer token (401, even where no login is
needed), an Accept header the API cannot satisfy (406), and for operations with a body a body
that does not parse (400), is too large (413) or is not JSON (415). The fuzz test
(tests/integration/test_fuzz_api.py) holds every answer to the schema, so they are listed here
once instead of in every view."""

from typing import Any

from django_project.api.serializers import MEANING

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOutput"}}}


def document_common_errors(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            statuses = [401, 406]
            if "requestBody" in operation:
                statuses += [400, 413, 415]
            elif any(p.get("in") == "query" for p in operation.get("parameters", [])):
                statuses.append(400)
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses.setdefault(
                    str(status), {"content": _ERROR, "description": MEANING[status]}
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result
