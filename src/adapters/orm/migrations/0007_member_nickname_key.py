"""Nicknames compared by their key (NFKC, case-folded: domain.member.nickname_key) rather than by
SQL's lower(), which on SQLite folds ASCII alone. Members who already share a key keep their
order: the first to sign up keeps the nickname, each later one gets the next free `name2`,
`name3`, ... (as a provider login does)."""

import itertools
import unicodedata

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from domain.member import nickname_key
from domain.social import nickname_candidates


def fill_nickname_keys(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    member = apps.get_model("chatbot", "Member")
    taken: set[str] = set()
    for row in member.objects.order_by("id").only("id", "nickname").iterator():
        shown = unicodedata.normalize("NFC", row.nickname)
        # The nickname as it is, unless its key is taken; then name2, name3, ...
        later = itertools.islice(nickname_candidates(shown, fallback=f"member{row.pk}"), 1, None)
        for candidate in itertools.chain([shown], later):
            if nickname_key(candidate) not in taken:
                break
        taken.add(nickname_key(candidate))
        member.objects.filter(pk=row.pk).update(
            nickname=candidate, nickname_key=nickname_key(candidate)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("chatbot", "0006_throttle_window"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="nickname_key",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.RunPython(fill_nickname_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="member",
            name="nickname_key",
            field=models.TextField(editable=False, unique=True),
        ),
        migrations.RemoveConstraint(
            model_name="member",
            name="member_nickname_ci_unique",
        ),
    ]
