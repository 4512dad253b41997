from datetime import datetime

import pytest
from rest_framework.test import APIClient

from adapters.orm.models import Member as MemberRow
from tests.integration.conftest import Member, start_chat

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_member_sees_their_profile_and_todays_quota(member: Member) -> None:
    response = member.client.get("/api/me/")

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == member.email
    assert body["quota"]["limit"] == 5
    assert body["quota"]["used"] == 0
    assert body["quota"]["remaining"] == 5
    resets_at = datetime.fromisoformat(body["quota"]["resets_at"])
    assert resets_at.utcoffset() is not None
    assert resets_at.utcoffset().total_seconds() == 9 * 3600  # type: ignore[union-attr]
    assert (resets_at.hour, resets_at.minute) == (0, 0)


def test_the_profile_needs_a_login(anonymous: APIClient) -> None:
    response = anonymous.get("/api/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_member_edits_their_profile(member: Member) -> None:
    response = member.client.patch(
        "/api/me/", {"nickname": "newname", "born_year": 1988, "job": "designer"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["nickname"], response.json()["born_year"], response.json()["job"]) == (
        "newname",
        1988,
        "designer",
    )
    assert member.client.get("/api/me/").json()["nickname"] == "newname"


def test_a_partial_edit_leaves_other_fields_alone_and_null_clears(member: Member) -> None:
    member.client.patch("/api/me/", {"born_year": 1990, "job": "chef"}, format="json")

    response = member.client.patch("/api/me/", {"job": None}, format="json")

    assert response.json()["born_year"] == 1990
    assert response.json()["job"] is None


def test_the_email_and_flags_cannot_be_edited(member: Member) -> None:
    member.client.patch(
        "/api/me/",
        {"email": "other@example.com", "is_staff": True, "daily_limit": 99},
        format="json",
    )

    row = MemberRow.objects.get(pk=member.id)
    assert (row.email, row.is_staff, row.daily_limit) == (member.email, False, None)


def test_a_taken_nickname_or_bad_year_is_refused(member: Member, make_member) -> None:  # type: ignore[no-untyped-def]
    other = make_member()

    taken = member.client.patch("/api/me/", {"nickname": other.nickname.upper()}, format="json")
    bad_year = member.client.patch("/api/me/", {"born_year": 1200}, format="json")

    assert taken.status_code == 400
    assert "nickname" in taken.json()["errors"]
    assert bad_year.status_code == 400
    assert "born_year" in bad_year.json()["errors"]


@pytest.mark.parametrize(
    ("theirs", "wanted"), [("\u00c4rger", "\u00e4rger"), ("Jos\u00e9", "JOSE\u0301")]
)
def test_a_nickname_that_reads_like_another_members_is_refused(
    member: Member,
    make_member,  # type: ignore[no-untyped-def]
    theirs: str,
    wanted: str,
) -> None:
    make_member(nickname=theirs)

    taken = member.client.patch("/api/me/", {"nickname": wanted}, format="json")

    assert taken.status_code == 400
    assert list(taken.json()["errors"]) == ["nickname"]
    assert MemberRow.objects.get(pk=member.id).nickname == member.nickname


def test_a_member_may_change_the_case_of_their_own_nickname(member: Member) -> None:
    changed = member.client.patch("/api/me/", {"nickname": member.nickname.upper()}, format="json")

    assert changed.status_code == 200
    assert changed.json()["nickname"] == member.nickname.upper()


def test_the_quota_shows_what_was_used(member: Member) -> None:
    start_chat(member)

    quota = member.client.get("/api/me/").json()["quota"]

    assert (quota["used"], quota["remaining"]) == (1, 4)


def test_staff_can_raise_a_members_daily_limit(member: Member) -> None:
    MemberRow.objects.filter(pk=member.id).update(daily_limit=20)

    assert member.client.get("/api/me/").json()["quota"]["limit"] == 20
