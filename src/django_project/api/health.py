"""Probes for load balancers and orchestrators: no authentication, no quota, tiny answers."""

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: the database answers and every migration is applied."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return JsonResponse(
            {"code": "not_ready", "detail": "The database cannot be reached."}, status=503
        )
    if pending:
        return JsonResponse(
            {"code": "not_ready", "detail": f"{len(pending)} migrations are not applied."},
            status=503,
        )
    return JsonResponse({"status": "ready"})
