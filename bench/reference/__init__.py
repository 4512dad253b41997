"""A bare Django REST Framework app on the app's own tables: the yardstick of issue #7's targets.

The issue sets its targets beside "a bare DRF view with no auth on the same PostgreSQL" (about
640 feed pages/s at 32 clients and a 4.6 ms turn overhead on the machine it was measured on).
Machines differ, so bench/read_bench.py measures this app beside the real one, on the same
database and under the same load: what the real app costs is read against what the plainest
code costs on the same machine. Nothing of it is part of the product.

What it does is what a first version of the product would: stock Django (startproject's
middleware, Django's connection pool, no prepared statements) served as WSGI by gunicorn's sync
workers (the faster of the stock servers tried: see read_bench's start_reference), DRF's APIView
and ModelSerializer, the ORM, and the openai SDK's `chat.completions.create`; no
authentication, no quota, no caching, no cursor (the newest twenty chats); a chat page is
`select_related` plus `prefetch_related` (4 queries) and nested ModelSerializers. Its turn does
more than the issue's yardstick seems to have done (two transactions, six statements): it
measured +7.1 to +9.5 ms against the issue's 4.6 on 2026-12-01 (xeon-5200 in docs/benchmarks.md),
where its feed (596 to 727 pages/s at 32 clients) was close to the issue's 640, and about half
that fast on 2026-12-02 (epyc-fc).
"""
