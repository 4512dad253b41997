from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chatbot", "0004_member_email_verified"),
    ]

    operations = [
        migrations.CreateModel(
            name="UsedOAuthState",
            fields=[
                ("state_hash", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("expires_at", models.DateTimeField(db_index=True)),
            ],
        ),
    ]
