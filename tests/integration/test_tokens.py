"""Every token that is not a live access token of an active member is a 401 with the same code,
whoever made it and however: expired, tampered with, unsigned (`alg: none`), signed with another
key, a refresh token, or the token of a member who was deactivated or deleted. Refresh tokens
likewise. Built by hand with PyJWT, as an attacker would."""

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from adapters.orm.models import Member as MemberRow
from tests.integration.conftest import Member

pytestmark = pytest.mark.django_db


def claims(member_id: int, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(member_id),
        **overrides,
    }


def signed(payload: dict[str, Any], key: str | None = None, alg: str = "HS256") -> str:
    return jwt.encode(payload, key or settings.SECRET_KEY, algorithm=alg)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def unsigned(payload: dict[str, Any]) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."


def tampered(token: str, **changes: Any) -> str:
    """The token with its claims changed and its signature kept."""
    header, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return f"{header}.{b64({**payload, **changes})}.{signature}"


def me_with(token: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/me/")


def test_a_hand_made_token_with_the_right_key_is_accepted(member: Member) -> None:
    # The control: the forgeries below fail for what they change, not for how they are built.
    assert me_with(signed(claims(member.id))).status_code == 200


FORGERIES: dict[str, Callable[[Member], str]] = {
    "expired": lambda m: signed(claims(m.id, exp=int(time.time()) - 1)),
    "tampered user": lambda m: tampered(m.access, user_id=str(m.id + 1)),
    "tampered expiry": lambda m: tampered(m.access, exp=int(time.time()) + 10**8),
    "alg none": lambda m: unsigned(claims(m.id)),
    "alg none, no dot": lambda m: unsigned(claims(m.id))[:-1],
    "wrong key": lambda m: signed(claims(m.id), key="another key, another service, 32+ bytes"),
    "HS512 with the key": lambda m: signed(claims(m.id), alg="HS512"),
    "refresh as access": lambda m: m.refresh,
    "no token type": lambda m: signed({k: v for k, v in claims(m.id).items() if k != "token_type"}),
    "no user": lambda m: signed({k: v for k, v in claims(m.id).items() if k != "user_id"}),
    "unknown user": lambda m: signed(claims(10**12)),
    "user id not a number": lambda m: signed(claims(m.id, user_id="1 OR 1=1")),
    "garbage": lambda m: "not.a.token",
    "empty signature": lambda m: m.access.rsplit(".", 1)[0] + ".",
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_or_wrong_access_token_is_a_401(
    member: Member, forge: Callable[[Member], str]
) -> None:
    response = me_with(forge(member))

    assert response.status_code == 401, response.content
    assert response.json()["code"] in {"token_not_valid", "authentication_failed"}
    assert str(member.id) not in response.json()["detail"]


ARABIC_INDIC = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)

# Claims only a holder of the signing key can set, of a shape or size nothing downstream can use
# (a datetime, a bigint column, int()): each was a 500 or let the token through.
ABSURD: dict[str, Callable[[Member], dict[str, Any]]] = {
    "exp 10^20": lambda m: {"exp": 10**20},
    "exp 2^63": lambda m: {"exp": 2**63},
    "exp 1e300": lambda m: {"exp": 1e300},
    "iat far past": lambda m: {"iat": -(10**20)},
    "nbf far past": lambda m: {"nbf": -(10**20)},
    "nbf 10^20": lambda m: {"nbf": 10**20},
    "user id 10^20": lambda m: {"user_id": str(10**20)},
    "user id 2^63": lambda m: {"user_id": str(2**63)},
    "user id 10^20 as a number": lambda m: {"user_id": 10**20},
    "user id negative": lambda m: {"user_id": "-1"},
    "user id negative number": lambda m: {"user_id": -1},
    "user id zero": lambda m: {"user_id": "0"},
    "user id float": lambda m: {"user_id": m.id + 0.0},
    "user id true": lambda m: {"user_id": True},
    "user id list": lambda m: {"user_id": [m.id]},
    "user id object": lambda m: {"user_id": {"id": m.id}},
    "user id null": lambda m: {"user_id": None},
    "user id empty": lambda m: {"user_id": ""},
    "user id with a space": lambda m: {"user_id": f" {m.id}"},
    "user id with a leading zero": lambda m: {"user_id": f"0{m.id}"},
    "user id in arabic-indic digits": lambda m: {"user_id": str(m.id).translate(ARABIC_INDIC)},
    "user id exponent": lambda m: {"user_id": "1e3"},
    "jti list": lambda m: {"jti": [1]},
    "jti number": lambda m: {"jti": 5},
    "jti empty": lambda m: {"jti": ""},
    "jti too long": lambda m: {"jti": "j" * 256},
}
PUBLIC_AND_PRIVATE = [
    "/api/chats/",
    "/api/chats/intake/",
    "/api/models/",
    "/api/me/",
    "/api/me/chats/",
]


@pytest.mark.parametrize("absurd", ABSURD.values(), ids=ABSURD.keys())
def test_an_access_token_with_absurd_claims_is_a_401_even_on_public_reads(
    member: Member, absurd: Callable[[Member], dict[str, Any]]
) -> None:
    chat = member.client.post("/api/chats/", {"current_state": "s", "goal": "g"}, format="json")
    token = signed(claims(member.id, **absurd(member)))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    for path in [*PUBLIC_AND_PRIVATE, f"/api/chats/{chat.json()['id']}/"]:
        response = client.get(path)

        assert response.status_code == 401, (path, response.content)
        assert response.json()["code"] == "token_not_valid"


@pytest.mark.parametrize("absurd", ABSURD.values(), ids=ABSURD.keys())
def test_a_refresh_token_with_absurd_claims_is_a_401(
    member: Member, absurd: Callable[[Member], dict[str, Any]]
) -> None:
    token = signed(claims(member.id, token_type="refresh", **absurd(member)))

    refreshed = APIClient().post("/api/auth/refresh/", {"refresh": token}, format="json")
    logged_out = member.client.post("/api/auth/logout/", {"refresh": token}, format="json")

    assert refreshed.status_code == 401, refreshed.content
    assert refreshed.json()["code"] == "token_not_valid"
    assert logged_out.status_code == 401, logged_out.content
    assert logged_out.json()["code"] == "token_not_valid"


def test_a_user_id_as_a_plain_number_is_still_a_member(member: Member) -> None:
    # The control for the shapes above: what older simplejwt versions wrote.
    assert me_with(signed(claims(member.id, user_id=member.id))).status_code == 200


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer\x00x", "JWT x", "bearer"], ids=repr
)
def test_a_malformed_authorization_header_is_a_401(member: Member, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/me/")

    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize("gone", ["deactivated", "deleted"])
def test_the_tokens_of_a_member_who_is_gone_are_refused(member: Member, gone: str) -> None:
    if gone == "deactivated":
        MemberRow.objects.filter(pk=member.id).update(is_active=False)
    else:
        MemberRow.objects.filter(pk=member.id).delete()

    used = me_with(member.access)
    refreshed = APIClient().post("/api/auth/refresh/", {"refresh": member.refresh}, format="json")

    assert used.status_code == 401
    assert used.json()["code"] == "token_not_valid"
    assert refreshed.status_code == 401, refreshed.content
    assert refreshed.json()["code"] == "token_not_valid"


def refresh_claims(member: Member) -> dict[str, Any]:
    return claims(member.id, token_type="refresh")


REFRESH_FORGERIES: dict[str, Callable[[Member], str]] = {
    "access as refresh": lambda m: m.access,
    "expired": lambda m: signed(claims(m.id, token_type="refresh", exp=int(time.time()) - 1)),
    "alg none": lambda m: unsigned(claims(m.id, token_type="refresh")),
    "wrong key": lambda m: signed(claims(m.id, token_type="refresh"), key="x" * 40),
    "tampered user": lambda m: tampered(m.refresh, user_id=str(m.id + 1)),
    "user id not a number": lambda m: signed(claims(m.id, token_type="refresh", user_id="x")),
    "no user": lambda m: signed({k: v for k, v in refresh_claims(m).items() if k != "user_id"}),
    "no jti": lambda m: signed({k: v for k, v in refresh_claims(m).items() if k != "jti"}),
}


@pytest.mark.parametrize("forge", REFRESH_FORGERIES.values(), ids=REFRESH_FORGERIES.keys())
def test_a_forged_or_wrong_refresh_token_is_a_401(
    member: Member, forge: Callable[[Member], str]
) -> None:
    response = APIClient().post("/api/auth/refresh/", {"refresh": forge(member)}, format="json")

    assert response.status_code == 401, response.content
    assert response.json()["code"] == "token_not_valid"
    # The member's own token still works: a forgery revokes nothing.
    kept = APIClient().post("/api/auth/refresh/", {"refresh": member.refresh}, format="json")
    assert kept.status_code == 200


@pytest.mark.parametrize("forge", REFRESH_FORGERIES.values(), ids=REFRESH_FORGERIES.keys())
def test_logging_out_with_a_forged_refresh_token_is_a_401(
    member: Member, forge: Callable[[Member], str]
) -> None:
    response = member.client.post("/api/auth/logout/", {"refresh": forge(member)}, format="json")

    assert response.status_code == 401, response.content
    assert response.json()["code"] == "token_not_valid"


def test_a_refresh_token_made_by_hand_for_another_member_gets_nothing(
    make_member: Callable[..., Member],
) -> None:
    alice, bob = make_member(), make_member()
    forged = signed(claims(bob.id, token_type="refresh"), key="not the server's key, long enough")

    response = APIClient().post("/api/auth/refresh/", {"refresh": forged}, format="json")

    assert response.status_code == 401
    assert alice.client.get("/api/me/").json()["id"] == alice.id


def test_a_token_accepted_once_is_refused_once_it_expires(member: Member) -> None:
    """Each worker remembers the tokens it has checked (so as not to verify the same signature on
    every request): what it remembers must not outlive the token."""
    expires = int(time.time()) + 2
    token = signed(claims(member.id, exp=expires))
    assert me_with(token).status_code == 200
    assert me_with(token).status_code == 200  # remembered

    time.sleep(max(0.0, expires - time.time()) + 0.1)

    expired = me_with(token)
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_not_valid"
