"""The cache table (settings.CACHES): made by migrate, so no deployment needs an extra step."""

from typing import Any

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps: Any, schema_editor: Any) -> None:
    # Creates the table of every DatabaseCache in CACHES, and does nothing for other backends.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    operations = [  # noqa: RUF012 (Django's own migration shape)
        migrations.RunPython(create_cache_table, migrations.RunPython.noop)
    ]
