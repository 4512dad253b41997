from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler


class OneThreadASGIHandler(ASGIHandler):
    """Django's ASGI handler with the middleware chain and the views run synchronously, in one
    thread per request, entered once.

    Every view and middleware here is synchronous. Django's own handler builds its chain for
    async: it goes from the event loop to a thread for the first synchronous middleware, back to
    the loop to find the view, and to a thread again to run it (and once more for every
    MiddlewareMixin hook when the chain is async-capable). Each hop costs CPU and a wait for the
    loop; this handler enters the thread once. Streamed answers are unaffected: their body is
    still iterated on the event loop."""

    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)
