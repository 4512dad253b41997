"""What a member agrees to before the product may serve them: the terms, the privacy policy,
and their own statement that they are 14 or older (Korea's PIPA asks a guardian's consent below
that age, which the product does not collect)."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidValue

VERSION_MAX = 40


class Consent(StrEnum):
    TERMS = "terms"
    PRIVACY = "privacy"
    OVER_14 = "over_14"


@dataclass(frozen=True, slots=True)
class PolicyVersions:
    """The versions of the texts in force. A consent counts only for the version in force: when
    an operator raises one, every member agrees again before their next chat."""

    terms: str = "1"
    privacy: str = "1"

    def __post_init__(self) -> None:
        for name, version in (("terms", self.terms), ("privacy", self.privacy)):
            if not version or len(version) > VERSION_MAX or not version.isprintable():
                raise InvalidValue(f"A {name} version is 1 to {VERSION_MAX} printable characters.")

    def current(self) -> dict[Consent, str]:
        """Each consent a member needs, with the version it is given to. The age statement goes
        with the terms (one checkbox beside theirs), so it is given again with each new version."""
        return {
            Consent.TERMS: self.terms,
            Consent.PRIVACY: self.privacy,
            Consent.OVER_14: self.terms,
        }


@dataclass(frozen=True, slots=True)
class GivenConsent:
    """One consent as the member gave it."""

    what: Consent
    version: str
    given_at: datetime
