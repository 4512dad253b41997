"""Settings for a server whose password hasher refuses to hash inside a database transaction:
Django's own PBKDF2 hasher, at its real cost, that raises (a 500) when the thread's connection
is in an atomic block. Hashing there holds the transaction, and on SQLite the database's write
lock, for the hash's fraction of a second of CPU: every other writer waits behind it.

Run a server with it: `app_server(env={"DJANGO_SETTINGS_MODULE": "tests.support.hash_probe"})`.
"""

from typing import Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from django_project.settings import *  # noqa: F403

PASSWORD_HASHERS = ["tests.support.hash_probe.OutsideTransactionsHasher"]


class HashedInTransaction(RuntimeError):
    pass


class OutsideTransactionsHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256"  # the production hasher's hashes, verified by it and vice versa

    def encode(self, password: str, salt: str, iterations: int | None = None) -> Any:
        if connection.in_atomic_block:
            raise HashedInTransaction("A password was hashed inside a database transaction.")
        return super().encode(password, salt, iterations)
