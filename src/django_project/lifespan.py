"""What each server process runs beside its requests, started and stopped with the process
through the ASGI lifespan protocol (Django's own handler does not speak it)."""

import asyncio
import contextlib
import logging
from typing import Any

from asgiref.typing import ASGI3Application
from django.apps import apps

log = logging.getLogger(__name__)


async def _recover_interrupted_turns(every_s: float) -> None:
    """Give back what turns of dead processes took, at start (after a crash, this is when
    they are found) and then every `every_s` seconds. Every process does it; they do not
    collide."""
    container = apps.get_app_config("chatbot_api").container  # type: ignore[attr-defined]
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
    def __init__(self, app: ASGI3Application, sweep_every_s: float) -> None:
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
