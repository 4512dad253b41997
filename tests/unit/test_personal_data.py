from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.personal_data import (
    PersonalDataFound,
    PersonalDataKind,
    check_public_text,
    find_personal_data,
    luhn_valid,
)

RRN = PersonalDataKind.RRN
CARD = PersonalDataKind.CARD


def luhn_complete(prefix: str) -> str:
    """`prefix` with the check digit that makes it Luhn-valid."""
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


@pytest.mark.parametrize(
    "text",
    [
        "제 주민번호는 900101-1234567 입니다",
        "9001011234567",
        "900101 1234567",
        "born 000229-3123456",  # 29 February 2000, a leap day
        "foreigner 851231-5123456",
        "８５１２３１－１２３４５６７",  # full-width, as some Korean IMEs type it
        "900101\u20131234567",  # an en dash from a word processor
        "a201010-4000000",  # issued since 2020: no check digit to ask for
    ],
)
def test_a_resident_registration_number_is_found(text: str) -> None:
    assert find_personal_data(text) is RRN


@pytest.mark.parametrize(
    "text",
    [
        "901301-1234567",  # month 13
        "900230-1234567",  # 30 February
        "010229-3123456",  # 29 February 2001
        "900101-9234567",  # gender digit 9 is not issued to living people
        "900101-0234567",
        "900101-123456",  # one digit short
        "1900101-1234567",  # part of a longer number
        "900101-12345678",
        "900101--1234567",
        "call 010-1234-5678",
        "I was born in 1990 and have 3 kids",
        "",
    ],
)
def test_numbers_that_are_not_resident_registration_numbers_pass(text: str) -> None:
    assert find_personal_data(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111",
        "card 4111 1111 1111 1111 exp 12/29",
        "4111-1111-1111-1111",
        "５５００ ００００ ００００ ０００４",
        "378282246310005",  # 15-digit American Express test number
        "6011000990139424",
        # A card followed by a year in the same run of digit groups.
        "4111 1111 1111 1111 2029",
    ],
)
def test_a_payment_card_number_is_found(text: str) -> None:
    assert find_personal_data(text) is CARD


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # fails Luhn
        "4111 1111 1111 1112",
        "123456789012",  # 12 digits
        "41111111111111111111",  # 20 digits in one run: an id, not a card
        "4111  1111 1111 1111",  # two spaces: two separate numbers
        "order 2026-12-03, 3 items",
    ],
)
def test_numbers_that_are_not_card_numbers_pass(text: str) -> None:
    assert find_personal_data(text) is None


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    serial=st.integers(0, 999_999),
    female=st.booleans(),
    foreign=st.booleans(),
    dash=st.booleans(),
    before=st.text(alphabet="가나다 abc.,", max_size=20),
    after=st.text(alphabet="가나다 abc.,", max_size=20),
)
def test_every_valid_date_and_gender_digit_is_found_in_any_text(
    born: date, serial: int, female: bool, foreign: bool, dash: bool, before: str, after: str
) -> None:
    gender = (1 if born.year < 2000 else 3) + female + (4 if foreign else 0)
    number = f"{born:%y%m%d}{'-' if dash else ''}{gender}{serial:06d}"
    assert find_personal_data(before + number + after) is RRN


@given(st.integers(1900, 2099), st.integers(1, 12), st.integers(29, 31))
def test_a_day_the_month_does_not_have_is_not_a_birth_date(year: int, month: int, day: int) -> None:
    try:
        date(year, month, day)
        return  # a real day: the property is about the others
    except ValueError:
        pass
    gender = 1 if year < 2000 else 3
    assert find_personal_data(f"{year % 100:02d}{month:02d}{day}-{gender}000000") is not RRN


@given(
    st.text(alphabet="0123456789", min_size=12, max_size=18),
    st.sampled_from(["", " ", "-"]),
)
def test_every_luhn_valid_number_of_13_to_19_digits_is_found(prefix: str, separator: str) -> None:
    number = luhn_complete(prefix)
    grouped = separator.join(number[i : i + 4] for i in range(0, len(number), 4))
    assert find_personal_data(f"pay with {grouped}.") is not None


@given(st.text(alphabet="0123456789", min_size=13, max_size=19))
def test_a_lone_number_is_a_card_exactly_when_luhn_says_so(number: str) -> None:
    found = find_personal_data(f"#{number}#")
    if found is RRN:
        return  # 13 digits can also be a resident registration number
    assert (found is CARD) == luhn_valid(number)


def test_luhn_check() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_the_refusal_names_the_field_and_kind_but_never_the_number() -> None:
    with pytest.raises(PersonalDataFound) as raised:
        check_public_text({"current_state": "fine", "goal": "my card is 4111111111111111"})
    assert raised.value.field == "goal"
    assert raised.value.kind is CARD
    assert "4111" not in raised.value.detail


def test_the_first_field_in_order_is_named() -> None:
    with pytest.raises(PersonalDataFound) as raised:
        check_public_text({"a": "900101-1234567", "b": "4111111111111111"})
    assert raised.value.field == "a"
    assert raised.value.kind is RRN
