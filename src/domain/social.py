"""Logging in through another service (GitHub, Kakao): the rules that need no outside world."""

import itertools
from collections.abc import Collection, Iterator

from domain.member import NICKNAME_MAX


def nickname_candidates(wanted: str | None, fallback: str) -> Iterator[str]:
    """Nicknames to try, best first, for a member made from a provider's profile: the profile's
    own (control characters dropped, spaces collapsed, cut to fit), then the same with 2, 3, ...
    appended. `fallback` stands in when the profile has none."""
    base = "".join(ch for ch in " ".join((wanted or "").split()) if ch.isprintable()).strip()
    base = base or fallback
    yield base[:NICKNAME_MAX]
    for number in itertools.count(2):
        suffix = str(number)
        yield f"{base[: NICKNAME_MAX - len(suffix)].rstrip()}{suffix}"


def may_unlink(provider: str, linked: Collection[str], has_password: bool) -> bool:
    """A member may drop a linked provider only while another way to log in remains: a
    password, or another linked provider."""
    return provider in linked and (has_password or any(p != provider for p in linked))
