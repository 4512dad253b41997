from collections.abc import AsyncIterator, Callable

from redis.asyncio import Redis

from adapters.live.broker import BrokerFeed


class RedisAnswerFeed(BrokerFeed):
    """Notes by Redis pub/sub (CHATBOT_LIVE_URL=redis://…). Channels are shared by every
    database of a Redis server: CHATBOT_LIVE_PREFIX keeps deployments on one server apart."""

    def __init__(self, url: str, channel: str) -> None:
        super().__init__()
        self._url = url
        self._channel = channel
        self._client: Redis | None = None

    def _fresh(self) -> None:
        self._client = None

    async def _send(self, payloads: list[str]) -> None:
        if self._client is None:
            self._client = Redis.from_url(self._url)
        async with self._client.pipeline(transaction=False) as pipe:
            for payload in payloads:
                pipe.publish(self._channel, payload)
            await pipe.execute()

    async def _drop_sender(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _listen(self, ready: Callable[[], None]) -> AsyncIterator[bytes]:
        client = Redis.from_url(self._url)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(self._channel)
                ready()
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        yield message["data"]
        finally:
            await client.aclose()
