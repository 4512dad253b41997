"""Stock settings, for bench/reference (see its __init__)."""

import os

import dj_database_url

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "adapters.orm",
]
AUTH_USER_MODEL = "chatbot.Member"
# startproject's, less the sessions and messages this app has no use for.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "reference.urls"
USE_TZ = True
TIME_ZONE = "UTC"
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
# Django's own pool (as the app has), since under ASGI each request has a thread of its own.
DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 1, "max_size": 8, "timeout": 10}}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
}
# The member every chat of this app belongs to (it has no authentication).
REFERENCE_MEMBER = int(os.environ.get("REFERENCE_MEMBER", "1"))
MODEL = os.environ.get("CHATBOT_LLM_MODEL", "gpt-4o-mini")
