import unicodedata
from dataclasses import dataclass
from datetime import date

from domain.consent import Consent, PolicyVersions
from domain.errors import InvalidValue
from domain.ids import MemberId

NICKNAME_MAX = 30
JOB_MAX = 100
EARLIEST_BORN_YEAR = 1900
# Below this age Korea's PIPA asks a guardian's consent, which the product does not collect.
MIN_AGE = 14


def validate_nickname(nickname: str) -> str:
    """The nickname as shown: trimmed, and in NFC, so that one name has one spelling in code
    points whichever way a keyboard composed it."""
    cleaned = unicodedata.normalize("NFC", nickname.strip())
    if not cleaned:
        raise InvalidValue("A nickname cannot be blank.", field="nickname")
    if len(cleaned) > NICKNAME_MAX:
        raise InvalidValue(f"A nickname has at most {NICKNAME_MAX} characters.", field="nickname")
    if any(not ch.isprintable() for ch in cleaned):
        raise InvalidValue("A nickname cannot hold control characters.", field="nickname")
    return cleaned


def nickname_key(nickname: str) -> str:
    """What two nicknames share when a reader could take one for the other: the same letters
    after compatibility normalization (NFKC: a full-width `Ｋｉｍ` or a ligature is its plain
    letters) and full case folding (`Ärger` and `ärger`, `STRASSE` and `straße`), with runs of
    spaces as one. Nicknames are the only public identity, so two members never share a key."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", nickname).casefold())
    return " ".join(folded.split())


def validate_born_year(born_year: int | None, today: date) -> int | None:
    if born_year is None:
        return None
    if not EARLIEST_BORN_YEAR <= born_year <= today.year:
        raise InvalidValue(
            f"born_year must be between {EARLIEST_BORN_YEAR} and {today.year}.", field="born_year"
        )
    return born_year


def under_min_age(born_year: int | None, today: date) -> bool:
    """Whether someone born in `born_year` is surely under MIN_AGE on `today`: still at most
    13 on this year's birthday. A year alone cannot tell about someone turning 14 this year, who
    may be 14 already; their own statement (the `over_14` consent) speaks for them."""
    return born_year is not None and today.year - born_year < MIN_AGE


def validate_job(job: str | None) -> str | None:
    if job is None:
        return None
    cleaned = job.strip()
    if len(cleaned) > JOB_MAX:
        raise InvalidValue(f"A job has at most {JOB_MAX} characters.", field="job")
    return cleaned or None


@dataclass(frozen=True, slots=True)
class Member:
    """A registered person. born_year and job are private: they never appear in public views.

    `email_verified`: the product itself knows the person owns `email`. True for a member made
    by a provider login with an address the provider verified, and once the member opened a
    link mailed to the address (verification or password reset); False for a password sign-up
    until then."""

    id: MemberId
    email: str
    nickname: str
    born_year: int | None = None
    job: str | None = None
    daily_limit: int | None = None  # a per-member override of the policy's default, set by staff
    email_verified: bool = False
    # Whether the member's new chats hide their author unless they say otherwise.
    anonymous_by_default: bool = False
    # The version of each consent the member gave last (see domain.consent).
    agreed: tuple[tuple[Consent, str], ...] = ()

    def has_consented(self, versions: PolicyVersions) -> bool:
        """Whether the member agreed to every text in the version in force."""
        return set(versions.current().items()) <= set(self.agreed)

    def profile_facts(self) -> list[str]:
        """What the member told us about themselves, as lines fit for the model's context."""
        facts = []
        if self.born_year is not None:
            facts.append(f"Born in {self.born_year}.")
        if self.job:
            facts.append(f"Job: {self.job}.")
        return facts
