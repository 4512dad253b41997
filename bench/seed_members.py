"""Create benchmark members in the database DATABASE_URL points at and print an access token for
each, as a JSON list, on stdout.

    DATABASE_URL=postgres://... .venv/bin/python bench/seed_members.py 200

Signing up and logging in hundreds of members through the API would spend minutes on password
hashing (PBKDF2, by design slow) before the benchmark starts: the members are inserted directly,
sharing one hashed password, and their tokens are minted with the server's own settings (the
same DJANGO_SECRET_KEY and CHATBOT_ACCESS_MINUTES must be in the environment). The benchmark
signs one member up and logs it in through the API as well, so that path is exercised too.
"""

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PREFIX = "bench-member-"


def main(count: int) -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from adapters.orm.consents import DjangoConsentRepository
    from adapters.orm.models import Member
    from domain.consent import PolicyVersions
    from domain.member import nickname_key

    password = make_password("bench passphrase, not a secret")
    wanted = [f"{PREFIX}{i}@example.com" for i in range(count)]
    have = set(Member.objects.filter(email__in=wanted).values_list("email", flat=True))
    # bulk_create skips save(), which keeps nickname_key; and members chat only once verified
    # and agreed to the texts in force (README, "Who may chat"): set as a verified link and a
    # consent would.
    created = Member.objects.bulk_create(
        Member(
            email=email,
            nickname=(nickname := email.split("@")[0]),
            nickname_key=nickname_key(nickname),
            password=password,
            email_verified=True,
        )
        for email in wanted
        if email not in have
    )
    c = settings.CHATBOT
    given = PolicyVersions(c.terms_version, c.privacy_version).current()
    consents = DjangoConsentRepository()
    for member in Member.objects.filter(email__in=[m.email for m in created]):
        consents.record(member.pk, given, timezone.now())
    members = sorted(Member.objects.filter(email__in=wanted), key=lambda m: m.pk)
    json.dump([str(AccessToken.for_user(m)) for m in members], sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
