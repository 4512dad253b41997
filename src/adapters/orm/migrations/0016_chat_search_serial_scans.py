from typing import Any

from django.db import migrations


def serial_scans(apps: Any, schema_editor: Any) -> None:
    # A search that goes to the GIN index finds a few hundred rows at most (adapters/orm/search.py
    # reads only rare words there), but on a million rows the planner starts a parallel worker
    # for it: 4 to 6 ms to start one for 0.2 ms of work, on every such request.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE chatbot_chatsearch SET (parallel_workers = 0)")


def parallel_scans(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE chatbot_chatsearch RESET (parallel_workers)")


class Migration(migrations.Migration):
    dependencies = [
        ("chatbot", "0015_chat_search"),
    ]

    operations = [migrations.RunPython(serial_scans, parallel_scans)]
