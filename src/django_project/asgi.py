import gc
import os

import django
from django.conf import settings
from django.urls import get_resolver

from django_project.handler import OneHopASGIHandler
from django_project.lifespan import WithLifespan

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
django.setup(set_prefix=False)  # as get_asgi_application() does, with our handler
# A quarter of the lease: an interrupted turn is given back within 1.25 leases of its last news.
application = WithLifespan(OneHopASGIHandler(), sweep_every_s=settings.CHATBOT.turn_lease_s / 4)

# Load every view now rather than on the first request, then move everything loaded so far out
# of the garbage collector's sight: a worker holds ~260,000 such objects, which never become
# garbage, and a full collection that walks them all stopped every open stream for 170-240 ms
# (docs/benchmarks.md). Each worker process runs this once, at start.
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
