"""Logging in through another service (GitHub, Kakao): the rules that need no outside world."""

import enum
import itertools
import unicodedata
from collections.abc import Collection, Iterator

from domain.member import NICKNAME_MAX, Member


def nickname_candidates(wanted: str | None, fallback: str) -> Iterator[str]:
    """Nicknames to try, best first, for a member made from a provider's profile: the profile's
    own (control characters dropped, spaces collapsed, cut to fit), then the same with 2, 3, ...
    appended, in NFC as every nickname is stored. `fallback` stands in when the profile has
    none."""
    wanted = unicodedata.normalize("NFC", wanted or "")
    base = "".join(ch for ch in " ".join(wanted.split()) if ch.isprintable()).strip()
    base = base or fallback
    yield base[:NICKNAME_MAX]
    for number in itertools.count(2):
        suffix = str(number)
        yield f"{base[: NICKNAME_MAX - len(suffix)].rstrip()}{suffix}"


def may_unlink(provider: str, linked: Collection[str], has_password: bool) -> bool:
    """A member may drop a linked provider only while another way to log in remains: a
    password, or another linked provider."""
    return provider in linked and (has_password or any(p != provider for p in linked))


class EmailMatch(enum.Enum):
    LINK = "link"
    NEW_MEMBER = "new_member"
    REFUSE = "refuse"


def on_matching_email(owner: Member, provider: str, owner_providers: Collection[str]) -> EmailMatch:
    """A provider login that is linked to nobody brings an address the provider verified, and
    `owner` is the member with that address. What to do:

    - REFUSE unless the product itself knows that `owner` owns the address
      (`owner.email_verified`). Anyone may sign up with another person's address and a password
      of their own; joining the real owner's provider login to that member would let the
      squatter's password open the owner's account (account pre-hijacking).
    - NEW_MEMBER, without the address (it stays `owner`'s), when `owner` has another account of
      this provider linked: one member has at most one account per provider.
    - LINK otherwise: e.g. `owner` was made by a GitHub login with this address, verified by
      GitHub, and now logs in with Kakao, which verified the same address."""
    if not owner.email_verified:
        return EmailMatch.REFUSE
    if provider in owner_providers:
        return EmailMatch.NEW_MEMBER
    return EmailMatch.LINK
