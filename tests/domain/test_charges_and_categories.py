"""Money.times takes what Money takes and multiplies exactly; complaint and violation categories share
one mechanism (enum members, or custom text); messages built from enum values read as English."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicecore.domain import ComplaintCategory, Money, ValidationError, ViolationCategory, ViolationSource
from servicecore.domain.values import parse_category, with_article

# --- Money.times -------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [3, "3", Decimal("3")])
def test_three_towels_at_fifty_yuan_are_150_yuan(quantity: Any) -> None:
    total = Money("50.00", "CNY").times(quantity)
    assert total == Money("150.00", "CNY")
    assert isinstance(total.amount, Decimal)
    assert str(total) == "150.00 CNY"
    assert str(Money("50", "CNY").times(quantity)) == "150.00 CNY", "shown in the currency's minor unit"


def test_a_quantity_with_more_places_keeps_them() -> None:
    total = Money("50.00", "CNY").times("3.0")
    assert total == Money("150.00", "CNY")
    assert str(total) == "150.000 CNY", "never rounded silently"


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (1.5, "must be a Decimal, int or decimal string, not 1.5"),
        (True, "not True"),
        ("three", "is not a decimal number: 'three'"),
        ("NaN", "must be finite"),
        (None, "not None"),
    ],
)
def test_a_quantity_money_would_refuse_is_refused_naming_the_field(quantity: Any, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Money("50.00", "CNY").times(quantity)
    assert info.value.field == "quantity"
    assert message in str(info.value)


def test_times_stays_unrounded_until_asked() -> None:
    price = Money("0.125", "CNY")
    assert price.times(3).amount == Decimal("0.375"), "times never rounds (see Money.rounded)"
    assert price.times(3).rounded() == Money("0.38", "CNY")


_AMOUNTS = st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, places=4)
_QUANTITIES = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=6),
)


@given(amount=_AMOUNTS, quantity=_QUANTITIES, as_text=st.booleans())
def test_times_is_exact_for_any_amount_and_quantity(amount: Decimal, quantity: Decimal | int, as_text: bool) -> None:
    money = Money(amount, "CNY")
    result = money.times(str(quantity) if as_text else quantity)
    assert result.currency == "CNY"
    assert Fraction(result.amount) == Fraction(amount) * Fraction(quantity), "no digit is lost, however many"


# --- categories: one mechanism for complaints and violations ------------------------------


@pytest.mark.parametrize("known", [ComplaintCategory, ViolationCategory])
def test_known_categories_are_members_and_other_text_is_custom(known: Any) -> None:
    for member in known:
        assert parse_category(known, "category", member) is member
        assert parse_category(known, "category", f" {member.value} ") is member
    assert parse_category(known, "category", "  rude on the phone ") == "rude on the phone"
    assert type(parse_category(known, "category", "rude on the phone")) is str
    for blank in ("", "   ", None, 3):
        with pytest.raises(ValidationError) as info:
            parse_category(known, "category", blank)
        assert info.value.field == "category"


# --- messages built from enum values ----------------------------------------------------------


def test_articles_follow_the_sound_of_the_word() -> None:
    assert [with_article(w) for w in ("apology", "inspection", "refund", "Error", "")] == [
        "an apology",
        "an inspection",
        "a refund",
        "an Error",
        "a ",
    ]


def test_an_inspection_source_names_the_inspection() -> None:
    with pytest.raises(ValidationError, match="an inspection source names the inspection it comes from"):
        ViolationSource(kind="inspection")
