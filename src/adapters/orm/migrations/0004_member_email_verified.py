from django.apps.registry import Apps
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def verified_by_a_provider(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Members made by a provider login (no usable password, a linked provider) carry the address
    the provider verified, or a made-up one under oauth.invalid. Password sign-ups were never
    verified: they keep the default, false."""
    Member = apps.get_model("chatbot", "Member")
    Member.objects.filter(
        password__startswith=UNUSABLE_PASSWORD_PREFIX, social_accounts__isnull=False
    ).exclude(email__iendswith="@oauth.invalid").update(email_verified=True)


class Migration(migrations.Migration):
    dependencies = [
        ("chatbot", "0003_social_login"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="email_verified",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Whether the product knows the member owns the email: true for members made"
                    " by a provider login with an address the provider verified; false for"
                    " password sign-ups."
                ),
            ),
        ),
        migrations.RunPython(verified_by_a_provider, migrations.RunPython.noop),
    ]
