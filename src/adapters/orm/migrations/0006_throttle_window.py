"""The login and sign-up throttles' counters, in a table of their own (adapters/orm/throttle.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chatbot", "0005_used_oauth_state"),
    ]

    operations = [
        migrations.CreateModel(
            name="ThrottleWindow",
            fields=[
                ("key", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("hits", models.PositiveIntegerField()),
                ("ends_at", models.DateTimeField(db_index=True)),
            ],
        ),
    ]
