from collections.abc import Callable
from typing import TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from application.ports import Blocking

T = TypeVar("T")


class DjangoBlocking(Blocking):
    """Runs database work on Django's thread pool. Each call cleans up connections the way a
    request does, since these threads outlive any request."""

    async def __call__(self, work: Callable[[], T]) -> T:
        def run() -> T:
            close_old_connections()
            try:
                return work()
            finally:
                close_old_connections()

        return await sync_to_async(run, thread_sensitive=False)()
