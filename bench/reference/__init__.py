"""A bare Django REST Framework app on the app's own tables: the yardstick of issue #7's targets.

The issue sets its targets beside "a bare DRF view with no auth on the same PostgreSQL" (about
640 feed pages/s at 32 clients and a 4.6 ms turn overhead on the machine it was measured on).
Machines differ, so bench/read_bench.py measures this app beside the real one, on the same
database, server and load: what the real app costs is read against what the plainest code
costs here. Nothing of it is part of the product.

What it does is what a first version of the product would: stock Django (its ASGI handler and
startproject's middleware, the pool the app uses, no prepared statements), DRF's APIView and
ModelSerializer, the ORM, and the openai SDK's `chat.completions.create`; no authentication, no
quota, no caching, no cursor (the newest twenty chats).
"""
