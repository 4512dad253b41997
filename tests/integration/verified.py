"""Members with a verified email, verified as people do it: by the token in the mail the
sign-up sent (to the loopback SMTP server of the `inbox` fixture)."""

from collections.abc import Callable

from rest_framework.test import APIClient

from tests.integration.conftest import Member
from tests.support.smtp import Inbox


def ensure_verified(member: Member, inbox: Inbox) -> Member:
    """Verify `member`'s email by the newest link mailed to it, unless it is verified already
    (sign-ups that verify by themselves)."""
    if member.client.get("/api/me/").json()["email_verified"]:
        return member
    token = inbox.wait_for(member.email)[-1].token
    verified = APIClient().post("/api/auth/email/verify/", {"token": token}, format="json")
    assert verified.status_code == 200, verified.json()
    return member


def verified_maker(make_member: Callable[..., Member], inbox: Inbox) -> Callable[..., Member]:
    def make(**fields: object) -> Member:
        return ensure_verified(make_member(**fields), inbox)

    return make
