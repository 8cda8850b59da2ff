"""Value objects and the error hierarchy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicecore.domain import (
    Actor,
    ActorRef,
    BusinessRuleError,
    ConcurrencyError,
    Customer,
    DeserializationError,
    EvidenceRef,
    HistoryEntry,
    InvalidTransitionError,
    Money,
    NotFoundError,
    PermissionDeniedError,
    SeparationOfDutiesError,
    ServiceCoreError,
    ValidationError,
)
from servicecore.domain.values import as_tuple, check_aware, check_text, is_bool, parse_decimal, parse_enum, to_decimal

UTC8 = timezone(timedelta(hours=8))

# --- Money -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(12, Decimal(12)), ("12.50", Decimal("12.50")), (Decimal("0.1"), Decimal("0.1")), ("-3", Decimal(-3))],
)
def test_money_accepts_ints_strings_and_decimals(amount: Any, expected: Decimal) -> None:
    money = Money(amount, "CNY")
    assert money.amount == expected
    assert isinstance(money.amount, Decimal)


@pytest.mark.parametrize("amount", [0.1, 12.0, float("nan"), True, False])
def test_money_refuses_floats_and_bools(amount: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Money(amount, "CNY")
    assert info.value.field == "amount"
    assert repr(amount) in str(info.value)


@pytest.mark.parametrize("amount", ["twelve", "", "1,000", "NaN", "Infinity", "-inf", None, [1]])
def test_money_refuses_non_decimal_and_non_finite_amounts(amount: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Money(amount, "CNY")
    assert info.value.field == "amount"


@pytest.mark.parametrize("currency", ["cny", "CN", "CNYY", "C1Y", "", None, "元元元"])
def test_money_currency_must_be_iso_4217(currency: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Money(1, currency)
    assert info.value.field == "currency"


def test_money_arithmetic_in_one_currency() -> None:
    assert Money("12.50", "CNY") + Money(3, "CNY") == Money("15.50", "CNY")
    assert Money("12.50", "CNY") - Money("0.50", "CNY") == Money(12, "CNY")
    assert Money("19.99", "USD").times(Decimal(3)) == Money("59.97", "USD")
    assert Money.zero("EUR") == Money(0, "EUR")
    assert Money.total([Money(1, "CNY"), Money("2.5", "CNY")], "CNY") == Money("3.5", "CNY")
    assert Money.total([], "CNY") == Money(0, "CNY")


@pytest.mark.parametrize(
    "combine",
    [
        lambda: Money(1, "CNY") + Money(1, "USD"),
        lambda: Money(1, "CNY") - Money(1, "USD"),
        lambda: Money.total([Money(1, "CNY"), Money(1, "USD")], "CNY"),
        lambda: Money.total([Money(1, "USD")], "CNY"),
    ],
)
def test_mixed_currencies_are_rejected(combine: Any) -> None:
    with pytest.raises(ValidationError) as info:
        combine()
    assert info.value.field == "currency"
    assert "CNY" in str(info.value)
    assert "USD" in str(info.value)


def test_money_str_has_two_decimals() -> None:
    assert str(Money("1234.5", "CNY")) == "1234.50 CNY"
    assert str(Money(7, "USD")) == "7.00 USD"


def test_money_is_immutable() -> None:
    money = Money(1, "CNY")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        money.amount = Decimal(2)  # type: ignore[misc]


amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@given(a=amounts, b=amounts, c=amounts)
def test_money_addition_is_exact(a: Decimal, b: Decimal, c: Decimal) -> None:
    x, y, z = Money(a, "CNY"), Money(b, "CNY"), Money(c, "CNY")
    assert (x + y).amount == a + b
    assert x + y == y + x
    assert (x + y) + z == x + (y + z)
    assert (x + y) - y == x
    assert Money.total([x, y, z], "CNY") == x + y + z


@given(a=amounts)
def test_money_from_string_round_trips(a: Decimal) -> None:
    assert Money(str(a), "CNY").amount == a


# --- decimals and enums ----------------------------------------------------------------------------


def test_parse_decimal_names_the_field() -> None:
    assert parse_decimal("dosage", "2.5") == Decimal("2.5")
    for bad in (2.5, "x", "inf", object()):
        with pytest.raises(ValidationError) as info:
            parse_decimal("dosage", bad)
        assert info.value.field == "dosage"
    with pytest.raises(ValidationError) as info:
        to_decimal(0.5)
    assert info.value.field == "amount"


def test_parse_enum() -> None:
    import enum

    class Colour(enum.StrEnum):
        RED = "red"

    assert parse_enum(Colour, "colour", "red") is Colour.RED
    assert parse_enum(Colour, "colour", Colour.RED) is Colour.RED
    with pytest.raises(ValidationError) as info:
        parse_enum(Colour, "colour", "blue")
    assert info.value.field == "colour"
    assert "'red'" in str(info.value)


# --- datetimes and text -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [datetime(2024, 5, 6, 9, tzinfo=UTC8), datetime(2024, 5, 6, 1, tzinfo=UTC)])
def test_check_aware_accepts_aware_datetimes(value: datetime) -> None:
    assert check_aware("when", value) is value


def test_check_aware_rejects_naive_datetimes_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        check_aware("when", datetime(2024, 5, 6, 9))
    assert info.value.field == "when"
    assert "timezone-aware" in str(info.value)
    assert "2024-05-06T09:00:00" in str(info.value)


@pytest.mark.parametrize("value", ["2024-05-06T09:00:00+08:00", 1715000000, None])
def test_check_aware_rejects_non_datetimes(value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        check_aware("when", value)
    assert info.value.field == "when"


def test_check_text() -> None:
    assert check_text("note", "  hi  ") == "hi"
    for bad in ("", "   ", "\n\t", None, 3):
        with pytest.raises(ValidationError) as info:
            check_text("note", bad)
        assert info.value.field == "note"


# --- actors, customers, evidence, history -----------------------------------------------------------------


def test_actor_roles_and_ref() -> None:
    actor = Actor("u-1", "Ann", ["agent", "reviewer", "agent"])
    assert actor.roles == frozenset({"agent", "reviewer"})
    assert actor.ref == ActorRef("u-1", "Ann")
    assert Actor("u-2", "Bo").roles == frozenset()


def test_actor_roles_must_not_be_a_single_string() -> None:
    with pytest.raises(ValidationError) as info:
        Actor("u-1", "Ann", "agent")
    assert info.value.field == "roles"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Actor("", "Ann"), "id"),
        (lambda: Actor("u-1", "  "), "name"),
        (lambda: ActorRef("u-1", ""), "name"),
        (lambda: Customer(" ", "Harbour Foods"), "id"),
        (lambda: Customer("c-1", ""), "name"),
        (lambda: EvidenceRef(""), "uri"),
    ],
)
def test_blank_identity_fields_are_rejected(build: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        build()
    assert info.value.field == field


def test_customer_contact_data_is_optional() -> None:
    customer = Customer("c-1", "Harbour Foods")
    assert (customer.phone, customer.email, customer.address) == (None, None, None)


def test_history_entry_requires_aware_time_and_action() -> None:
    ref = ActorRef("u-1", "Ann")
    entry = HistoryEntry(datetime(2024, 5, 6, tzinfo=UTC8), ref, "start", "scheduled", "in_progress")
    assert entry.note == ""
    with pytest.raises(ValidationError) as info:
        HistoryEntry(datetime(2024, 5, 6), ref, "start", "scheduled", "in_progress")
    assert info.value.field == "at"
    with pytest.raises(ValidationError) as info:
        HistoryEntry(datetime(2024, 5, 6, tzinfo=UTC8), ref, " ", "scheduled", "in_progress")
    assert info.value.field == "action"


# --- errors ------------------------------------------------------------------------------------------------


def test_error_hierarchy() -> None:
    assert issubclass(ValidationError, ServiceCoreError)
    assert issubclass(ValidationError, ValueError)
    assert issubclass(DeserializationError, ValidationError)
    assert issubclass(SeparationOfDutiesError, PermissionDeniedError)
    assert issubclass(NotFoundError, LookupError)
    for cls in (InvalidTransitionError, BusinessRuleError, PermissionDeniedError, ConcurrencyError, NotFoundError):
        assert issubclass(cls, ServiceCoreError)


def test_error_messages() -> None:
    err = InvalidTransitionError("WorkOrder", "wo-1", "completed", "start", ["scheduled"])
    assert str(err) == "WorkOrder wo-1 is 'completed'; 'start' is allowed only from: scheduled"
    assert str(InvalidTransitionError("X", "x-1", "a", "b", [])).endswith("no state")
    assert str(BusinessRuleError("WorkOrder", "wo-1", "steps open")) == "WorkOrder wo-1: steps open"
    assert str(ValidationError("at", "bad")) == "at: bad"
    sod = SeparationOfDutiesError("u-1", "approve agreement agr-1", "reviewer is author")
    assert str(sod) == "actor u-1 may not approve agreement agr-1: reviewer is author"
    assert "version 3" in str(ConcurrencyError("A", "a-1", 2, 3))
    assert "no longer exists" in str(ConcurrencyError("A", "a-1", 2, None))
    dese = DeserializationError("WorkOrder", ["bad id @ $.id", "bad at @ $.at"])
    assert dese.errors == ("bad id @ $.id", "bad at @ $.at")
    assert dese.field == "WorkOrder"


# --- collection and flag helpers ------------------------------------------------------------------------


def test_as_tuple() -> None:
    assert as_tuple("ids", ["a", "b"]) == ("a", "b")
    assert as_tuple("ids", (x for x in "ab")) == ("a", "b")
    for lone in ("wo-1", b"wo-1", 7, None):
        with pytest.raises(ValidationError) as info:
            as_tuple("ids", lone)  # type: ignore[arg-type]
        assert info.value.field == "ids"
    with pytest.raises(ValidationError) as info:
        as_tuple("evidence", [EvidenceRef("s3://a"), "s3://b"], of=EvidenceRef)
    assert info.value.field == "evidence[1]"


@pytest.mark.parametrize("flag", ["no", "", 0, 1, None])
def test_is_bool_refuses_truthy_lookalikes(flag: Any) -> None:
    @attrs.frozen
    class Flag:
        value: bool = attrs.field(validator=is_bool)

    assert Flag(True).value is True
    with pytest.raises(ValidationError) as info:
        Flag(flag)
    assert info.value.field == "value"


@pytest.mark.parametrize(
    "operation",
    [
        lambda m: m + 1,
        lambda m: 1 + m,
        lambda m: m - None,
        lambda m: "1" - m,
        lambda m: sum([m]),
        lambda m: m < 2,
        lambda m: m >= Decimal(1),
        lambda m: m < Money("2", "USD"),
        lambda m: m <= Money("2", "USD"),
        lambda m: m > Money("2", "USD"),
        lambda m: m + Money("2", "USD"),
    ],
)
def test_money_with_a_wrong_operand_is_a_validation_error(operation: Any) -> None:
    with pytest.raises(ValidationError):
        operation(Money("1", "CNY"))


def test_money_in_one_currency_orders_by_amount() -> None:
    one, two = Money("1", "CNY"), Money("2.00", "CNY")
    assert one < two
    assert one <= two
    assert two > one
    assert two >= one
    assert one <= Money("1.00", "CNY")
    assert sorted([two, one]) == [one, two]
    assert sum([one, two], Money.zero("CNY")) == Money("3.00", "CNY")
