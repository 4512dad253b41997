"""What each server process runs beside its requests, started and stopped with the process
through the ASGI lifespan protocol (Django's own handler does not speak it)."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.apps import apps

from django_project.apps import ChatbotApiConfig

log = logging.getLogger(__name__)

# An ASGI application as Django's handlers are typed: the scope a plain dict (asgiref's
# ASGI3Application wants its TypedDicts, which no Django handler declares).
Application = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def _recover_interrupted_turns(every_s: float) -> None:
    """Give back what turns of dead processes took, at start (after a crash, this is when
    they are found) and then every `every_s` seconds. Every process does it; they do not
    collide."""
    config = apps.get_app_config("chatbot_api")
    assert isinstance(config, ChatbotApiConfig)
    container = config.container
    recover = container.recover_interrupted_turns
    blocking = container.blocking()
    while True:
        try:
            recovered = await blocking(recover())
        except Exception:  # the database restarting: try again next time
            log.exception("the sweep for interrupted turns failed")
        else:
            if recovered:
                log.warning(
                    "%d interrupted turn(s) marked failed; their requests given back", recovered
                )
        await asyncio.sleep(every_s)


class WithLifespan:
    def __init__(self, app: Application, sweep_every_s: float) -> None:
        self._app = app
        self._sweep_every_s = sweep_every_s

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self._app(scope, receive, send)
            return
        sweeper: asyncio.Task[None] | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                sweeper = asyncio.create_task(_recover_interrupted_turns(self._sweep_every_s))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if sweeper is not None:
                    sweeper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sweeper
                await send({"type": "lifespan.shutdown.complete"})
                return
