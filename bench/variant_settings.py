"""The app's settings with the changes bench/variants.py's BENCH_PATCHES name (see there)."""

import os

from django_project.settings import *  # noqa: F403
from django_project.settings import REST_FRAMEWORK

_PATCHES = set(os.environ.get("BENCH_PATCHES", "").split(","))

if "stateless_jwt" in _PATCHES:
    REST_FRAMEWORK = {
        **REST_FRAMEWORK,
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication"
        ],
    }
