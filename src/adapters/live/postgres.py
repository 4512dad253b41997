from collections.abc import AsyncIterator, Callable

import psycopg
from psycopg import sql

from adapters.live.broker import BrokerFeed


class PostgresAnswerFeed(BrokerFeed):
    """Notes by LISTEN/NOTIFY on the application's own database: nothing more to run. Each
    process holds two connections beside its pool: one listening, one notifying."""

    def __init__(self, conninfo: Callable[[], str], channel: str) -> None:
        super().__init__()
        self._conninfo = conninfo
        self._channel = channel
        self._sending: psycopg.AsyncConnection[tuple[object, ...]] | None = None

    def _fresh(self) -> None:
        self._sending = None

    async def _send(self, payloads: list[str]) -> None:
        if self._sending is None or self._sending.closed:
            self._sending = await psycopg.AsyncConnection.connect(self._conninfo(), autocommit=True)
        # One round trip for the batch, delivered in order.
        await self._sending.execute(
            "SELECT pg_notify(%s, p) FROM unnest(%s::text[]) WITH ORDINALITY AS n(p, i) ORDER BY i",
            (self._channel, payloads),
        )

    async def _drop_sender(self) -> None:
        if self._sending is not None:
            await self._sending.close()
            self._sending = None

    async def _listen(self, ready: Callable[[], None]) -> AsyncIterator[str]:
        async with await psycopg.AsyncConnection.connect(
            self._conninfo(), autocommit=True
        ) as connection:
            await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
            ready()
            async for notice in connection.notifies():
                yield notice.payload
