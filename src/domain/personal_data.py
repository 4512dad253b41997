"""Numbers that must never reach the public archive: a Korean resident registration number
(주민등록번호) or a payment card number. Everything a member writes for a chat is public, and
such a number posted there is both a harm to them and data the operator must not hold.

Only these two kinds are refused outright: each has a shape strict enough (a real date, Luhn's
check) that ordinary text almost never matches. Emails and phone numbers are often written on
purpose; the web app warns about those and lets the member decide.
"""

import re
import unicodedata
from datetime import date
from enum import StrEnum

from domain.errors import DomainError


class PersonalDataKind(StrEnum):
    RRN = "rrn"
    CARD = "card"


class PersonalDataFound(DomainError):
    code = "personal_data"

    def __init__(self, field: str, kind: PersonalDataKind) -> None:
        # Never the number itself: the message travels back to the client and into logs.
        names = {
            PersonalDataKind.RRN: "a resident registration number",
            PersonalDataKind.CARD: "a payment card number",
        }
        super().__init__(
            f"This text looks like it holds {names[kind]}; chats are public, so remove it.",
            field=field,
        )
        self.kind = kind


# Hyphens as people type them (an IME or a word processor may give a dash or a minus sign).
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_RRN = re.compile(
    rf"(?<![0-9])([0-9]{{2}})([0-9]{{2}})([0-9]{{2}})[{_DASHES} ]?([1-8])[0-9]{{6}}(?![0-9])"
)
# Digits with at most one space or hyphen between any two: a card written as its four groups,
# in one run, or anything between. Runs are cut into candidates at the separators below.
_DIGIT_RUN = re.compile(rf"[0-9](?:[{_DASHES} ]?[0-9])*")
_SEPARATOR = re.compile(rf"[{_DASHES} ]")
CARD_MIN_DIGITS = 13
CARD_MAX_DIGITS = 19


def _century(gender_digit: int) -> int:
    # 1, 2 (and 5, 6 for foreign residents): born in the 1900s; 3, 4 (7, 8): in the 2000s.
    return 1900 if gender_digit in (1, 2, 5, 6) else 2000


def _is_rrn(match: re.Match[str]) -> bool:
    yy, mm, dd, gender = (int(part) for part in match.groups())
    try:
        date(_century(gender) + yy, mm, dd)
    except ValueError:
        return False
    # Numbers issued since October 2020 end in a random digit, not a check digit, so a valid
    # date and gender digit is all that can be asked of them.
    return True


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _holds_card(run: str) -> bool:
    """Whether some span of whole groups of `run` (cut at its separators), or the whole of an
    unseparated run, is 13 to 19 digits passing Luhn's check."""
    groups = _SEPARATOR.split(run)
    for start in range(len(groups)):
        digits = ""
        for group in groups[start:]:
            digits += group
            if len(digits) > CARD_MAX_DIGITS:
                break
            if len(digits) >= CARD_MIN_DIGITS and luhn_valid(digits):
                return True
    return False


def find_personal_data(text: str) -> PersonalDataKind | None:
    """The kind of number found in `text`, if any. Full-width and other compatibility digits
    count as the digits they stand for."""
    normal = unicodedata.normalize("NFKC", text)
    if any(_is_rrn(match) for match in _RRN.finditer(normal)):
        return PersonalDataKind.RRN
    if any(_holds_card(match.group()) for match in _DIGIT_RUN.finditer(normal)):
        return PersonalDataKind.CARD
    return None


def check_public_text(fields: dict[str, str]) -> None:
    """Refuse the first field, in the given order, that holds such a number."""
    for name, text in fields.items():
        kind = find_personal_data(text)
        if kind is not None:
            raise PersonalDataFound(name, kind)
