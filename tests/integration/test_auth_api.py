from collections.abc import Callable

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from adapters.orm.models import Member as MemberRow
from adapters.orm.models import ThrottleWindow
from tests.integration.conftest import PASSWORD, Member, log_in, sign_up

pytestmark = pytest.mark.django_db


def test_signing_up_returns_the_profile_and_nothing_internal(anonymous: APIClient) -> None:
    response = sign_up(
        anonymous, email="Kim@Example.COM", nickname="kim", born_year=1990, job="dev"
    )

    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"],
        "email": "kim@example.com",
        "nickname": "kim",
        "born_year": 1990,
        "job": "dev",
    }


def test_privileged_fields_in_the_sign_up_body_are_ignored(anonymous: APIClient) -> None:
    response = sign_up(
        anonymous, is_staff=True, is_superuser=True, is_active=False, id=999, daily_limit=1000
    )

    row = MemberRow.objects.get(email=response.json()["email"])
    assert (row.is_staff, row.is_superuser, row.is_active, row.daily_limit) == (
        False,
        False,
        True,
        None,
    )
    assert row.pk != 999
    assert row.check_password(PASSWORD)
    assert PASSWORD not in row.password


def test_an_email_is_unique_whatever_its_case(anonymous: APIClient) -> None:
    sign_up(anonymous, email="lee@example.com")

    again = sign_up(anonymous, email="LEE@example.com")

    assert again.status_code == 400
    assert again.json()["code"] == "invalid"
    assert "email" in again.json()["errors"]


def test_a_nickname_is_unique_whatever_its_case(anonymous: APIClient) -> None:
    sign_up(anonymous, nickname="Park")

    again = sign_up(anonymous, nickname="pARK")

    assert again.status_code == 400
    assert "nickname" in again.json()["errors"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Jos\u00e9", "Jose\u0301"),  # one code point, and e with a combining accent
        ("\u00c4rger", "\u00e4rger"),  # case beyond ASCII (SQLite's lower() folds ASCII alone)
        ("Stra\u00dfe", "STRASSE"),  # full case folding
        ("kim", "\uff4b\uff49\uff4d"),  # full-width letters
    ],
)
def test_a_nickname_that_reads_like_a_taken_one_is_taken(
    anonymous: APIClient, first: str, second: str
) -> None:
    assert sign_up(anonymous, nickname=first).status_code == 201

    again = sign_up(anonymous, nickname=second)

    assert again.status_code == 400
    assert again.json()["code"] == "invalid"
    assert list(again.json()["errors"]) == ["nickname"]
    assert MemberRow.objects.count() == 1


def test_a_nickname_is_stored_and_shown_in_nfc(anonymous: APIClient) -> None:
    signed = sign_up(anonymous, nickname="Jose\u0301")

    assert signed.json()["nickname"] == "Jos\u00e9"
    assert MemberRow.objects.get().nickname == "Jos\u00e9"


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"password": "short"}, "password"),
        ({"password": "1234567890123"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"nickname": "   "}, "nickname"),
        ({"nickname": "x" * 31}, "nickname"),
        ({"born_year": 1800}, "born_year"),
        ({"born_year": 3000}, "born_year"),
        ({"born_year": "nineteen"}, "born_year"),
        ({"job": "j" * 101}, "job"),
    ],
)
def test_bad_sign_up_fields_are_reported_per_field(
    anonymous: APIClient, fields: dict[str, object], bad: str
) -> None:
    response = sign_up(anonymous, **fields)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert bad in response.json()["errors"]
    assert not MemberRow.objects.exists()


def test_a_password_like_the_email_is_refused(anonymous: APIClient) -> None:
    response = sign_up(anonymous, email="sunflower.garden@example.com", password="sunflowergarden")

    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_login_is_case_insensitive_on_the_email(member: Member) -> None:
    response = log_in(APIClient(), member.email.upper())

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_unknown_email_and_wrong_password_get_the_same_answer(member: Member) -> None:
    unknown = log_in(APIClient(), "nobody@example.com")
    wrong = log_in(APIClient(), member.email, "a wrong passphrase")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert unknown.json()["code"] == "invalid_credentials"


@pytest.fixture
def strict_login_rate(member: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "login": "3/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    ThrottleWindow.objects.all().delete()  # forget the fixture's own login


def test_login_attempts_are_throttled(member: Member, strict_login_rate: None) -> None:
    client = APIClient()
    statuses = [log_in(client, member.email, "a wrong passphrase").status_code for _ in range(3)]
    blocked = log_in(client, member.email)

    assert statuses == [401, 401, 401]
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled"
    assert int(blocked["Retry-After"]) > 0


def test_login_attempts_are_throttled_by_account_across_addresses(
    member: Member, strict_login_rate: None
) -> None:
    statuses = [
        log_in(APIClient(REMOTE_ADDR=f"10.0.0.{n}"), member.email.upper(), f"guess {n}").status_code
        for n in range(4)
    ]
    another = log_in(APIClient(REMOTE_ADDR="10.0.0.99"), "someone.else@example.com")

    assert statuses == [401, 401, 401, 429]
    assert another.status_code == 401


def test_a_refresh_token_rotates_and_the_old_one_is_refused(member: Member) -> None:
    client = APIClient()
    first = client.post("/api/auth/refresh/", {"refresh": member.refresh}, format="json")
    reused = client.post("/api/auth/refresh/", {"refresh": member.refresh}, format="json")
    second = client.post("/api/auth/refresh/", {"refresh": first.json()["refresh"]}, format="json")

    assert first.status_code == 200
    assert first.json()["refresh"] != member.refresh
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"
    assert second.status_code == 200


def test_logging_out_revokes_the_refresh_token(member: Member) -> None:
    out = member.client.post("/api/auth/logout/", {"refresh": member.refresh}, format="json")
    refreshed = APIClient().post("/api/auth/refresh/", {"refresh": member.refresh}, format="json")

    assert out.status_code == 204
    assert refreshed.status_code == 401


def test_a_member_cannot_log_out_someone_else(make_member: Callable[..., Member]) -> None:
    alice, bob = make_member(), make_member()

    response = alice.client.post("/api/auth/logout/", {"refresh": bob.refresh}, format="json")
    refreshed = APIClient().post("/api/auth/refresh/", {"refresh": bob.refresh}, format="json")

    assert response.status_code == 401
    assert refreshed.status_code == 200


def test_logging_out_needs_a_login(member: Member, anonymous: APIClient) -> None:
    response = anonymous.post("/api/auth/logout/", {"refresh": member.refresh}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_access_token_of_a_deactivated_member_is_refused(member: Member) -> None:
    MemberRow.objects.filter(pk=member.id).update(is_active=False)

    response = member.client.get("/api/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_refresh_token_is_not_an_access_token(member: Member) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {member.refresh}")

    assert client.get("/api/me/").status_code == 401


def test_no_response_carries_a_password_hash(member: Member) -> None:
    row = MemberRow.objects.get(pk=member.id)

    me = member.client.get("/api/me/")

    assert row.password not in me.content.decode()
    assert "password" not in me.json()
    assert not {"is_staff", "is_superuser", "is_active"} & set(me.json())


def test_a_password_is_checked_on_login(member: Member) -> None:
    assert log_in(APIClient(), member.email, PASSWORD).status_code == 200
    assert log_in(APIClient(), member.email, PASSWORD + "x").status_code == 401
