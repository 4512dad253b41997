from importlib import import_module
from typing import Any

from django.db import migrations


def reindex(apps: Any, schema_editor: Any) -> None:
    """Every row's terms again, now with the terms of the short English words each text holds
    whole (`=ai`: domain.search.index_terms), as 0017 did for the trigrams: a batch at a time,
    each committed on its own, with the indexes in place. Until a row is reached, a search for
    a short word misses it."""
    import_module("adapters.orm.migrations.0017_chat_search_trigrams").reindex(apps, schema_editor)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("chatbot", "0017_chat_search_trigrams"),
    ]

    # Going back keeps the new terms: the older code never looks them up.
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop)]
