"""Data migrations give existing rows the values the code would have given them."""

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("chatbot", "0003_social_login")]
AFTER = [("chatbot", "0004_member_email_verified")]


@pytest.mark.django_db(transaction=True)
def test_only_members_made_by_a_provider_with_a_real_address_start_verified() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Member = old.get_model("chatbot", "Member")
    SocialAccount = old.get_model("chatbot", "SocialAccount")

    def member(email: str, password: str | None, provider: str | None = None) -> int:
        made = Member.objects.create(email=email, nickname=email, password=make_password(password))
        if provider:
            SocialAccount.objects.create(member=made, provider=provider, account_id=email)
        return int(made.pk)

    ids = {
        "password": member("pw@example.com", "a passphrase"),
        "password, linked": member("pwlinked@example.com", "a passphrase", "github"),
        "provider": member("gh@example.com", None, "github"),
        "provider, no address": member("kakao.1234@oauth.invalid", None, "kakao"),
        "no password, never linked": member("admin-made@example.com", None),
    }

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("chatbot", "Member")
    verified = {name: new.objects.get(pk=pk).email_verified for name, pk in ids.items()}
    assert verified == {
        "password": False,
        "password, linked": False,
        "provider": True,
        "provider, no address": False,
        "no password, never linked": False,
    }
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
