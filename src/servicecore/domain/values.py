"""Value objects shared by every aggregate: ids, actors, money, evidence, history.

All are frozen attrs classes; their validators raise :class:`ValidationError`
naming the field, so bad input never produces a half-built object.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, NewType

import attrs

from servicecore.domain.errors import ValidationError
from servicecore.kernel.validation import (  # the field rules, shared with servicecore.sla
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_DECIMAL_DIGITS,
    MAX_DECIMAL_EXPONENT,
    MAX_ID_LENGTH,
    MAX_LINE_LENGTH,
    MAX_REPR,
    MAX_TEXT_LENGTH,
    as_tuple,
    aware,
    check_aware,
    check_id,
    check_text,
    describe,
    describe_names,
    identifier,
    instance_of,
    is_bool,
    non_empty,
    non_empty_line,
    optional_aware,
    optional_identifier,
    optional_line,
    optional_text,
    parse_category,
    parse_decimal,
    parse_enum,
    with_article,
)

RequestId = NewType("RequestId", str)
"""Id of a :class:`~servicecore.domain.service_request.ServiceRequest`."""
AgreementId = NewType("AgreementId", str)
"""Id of a :class:`~servicecore.domain.agreement.ServiceAgreement`."""
WorkOrderId = NewType("WorkOrderId", str)
"""Id of a :class:`~servicecore.domain.work_order.WorkOrder`."""
AcceptanceId = NewType("AcceptanceId", str)
"""Id of an :class:`~servicecore.domain.acceptance.Acceptance`."""
ActorId = NewType("ActorId", str)
"""Id of a person (staff member or customer contact) acting on the system."""
CustomerId = NewType("CustomerId", str)
"""Id of a customer (a person or an organisation receiving the service)."""
ComplaintId = NewType("ComplaintId", str)
"""Id of a :class:`~servicecore.domain.complaint.Complaint`."""
ViolationId = NewType("ViolationId", str)
"""Id of a :class:`~servicecore.domain.violation.Violation`."""
AppealId = NewType("AppealId", str)
"""Id of an :class:`~servicecore.domain.appeal.Appeal`."""


def _derived_note(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    # a note may be a caller's text with the recorder's words around it: room for both
    check_text(attribute.name, value, optional=True, max_length=2 * MAX_TEXT_LENGTH)


def check_positive_money(field: str, value: object) -> Money:
    """Return ``value`` if it is :class:`Money` with an amount above zero, else raise naming ``field``."""
    if not isinstance(value, Money):
        raise ValidationError(field, f"must be Money, got {type(value).__name__}")
    if value.amount <= 0:
        raise ValidationError(field, f"must be more than zero, got {value}")
    return value


def to_decimal(value: object) -> Decimal:
    """attrs converter for money amounts: :func:`parse_decimal` naming ``amount``."""
    return parse_decimal("amount", value)


def _currency(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ValidationError(attribute.name, f"must be an ISO 4217 code like 'CNY', got {describe(value)}")


MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF"), 0),
    **dict.fromkeys(("UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
"""ISO 4217 currencies whose minor unit is not 2 decimal places."""


@attrs.frozen
class Money:
    """An amount of money: a :class:`Decimal` and an ISO 4217 currency code.

    >>> Money("12.50", "CNY") + Money(3, "CNY")
    Money(amount=Decimal('15.50'), currency='CNY')
    """

    amount: Decimal = attrs.field(converter=to_decimal)
    currency: str = attrs.field(validator=_currency)

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise ValidationError(
                "other", f"money combines and compares only with Money, got {type(other).__name__} {describe(other)}"
            )
        if other.currency != self.currency:
            raise ValidationError("currency", f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same_currency(other).amount, self.currency)

    def __radd__(self, other: object) -> Money:
        """Only reached with a left operand that is not Money (``sum()`` starting at 0): refused."""
        return self._same_currency(other) + self

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same_currency(other).amount, self.currency)

    def __rsub__(self, other: object) -> Money:
        """Only reached with a left operand that is not Money: refused."""
        return self._same_currency(other) - self

    # ordering: only amounts in one currency compare, as only they add
    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same_currency(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same_currency(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same_currency(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same_currency(other).amount

    def times(self, quantity: Decimal | int | str) -> Money:
        """This amount multiplied by a quantity, exactly and unrounded (see :meth:`rounded`).

        ``quantity`` is what an amount may be: a Decimal, an int or a decimal
        string; a float is refused (:class:`ValidationError` naming ``quantity``).

        >>> Money("50.00", "CNY").times("3")
        Money(amount=Decimal('150.00'), currency='CNY')
        """
        factor = parse_decimal("quantity", quantity)
        digits = len(self.amount.as_tuple().digits) + len(factor.as_tuple().digits)
        with localcontext() as exact:  # enough digits that the product is never rounded
            exact.prec = max(exact.prec, digits)
            product = self.amount * factor
        return Money(product, self.currency)

    @property
    def minor_units(self) -> int:
        """Decimal places of the currency (ISO 4217): 2 for CNY, 0 for JPY, 3 for KWD."""
        return MINOR_UNITS.get(self.currency, 2)

    def rounded(self) -> Money:
        """Rounded half-up to the currency's minor unit, as an invoice line is."""
        exponent = Decimal(1).scaleb(-self.minor_units)
        return Money(self.amount.quantize(exponent, rounding=ROUND_HALF_UP), self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in the given currency."""
        return cls(Decimal(0), currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str) -> Money:
        """Sum amounts that must all be in ``currency``."""
        result = cls.zero(currency)
        for amount in amounts:
            result = result + amount
        return result

    def __str__(self) -> str:
        # never round silently: show the currency's places, or more if the amount has more
        places = max(self.minor_units, -int(self.amount.as_tuple().exponent))
        return f"{self.amount:.{places}f} {self.currency}"


def _roles(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise ValidationError("roles", "must be a collection of role names, not a single string")
    roles = as_tuple("roles", value, of=str)
    for index, role in enumerate(roles):
        check_text(f"roles[{index}]", role, single_line=True)
    return frozenset(roles)


@attrs.frozen
class Actor:
    """Someone acting on the system: a staff member or a customer contact.

    ``roles`` carries role names (``"agent"``, ``"reviewer"``, ``"customer"``...).
    The domain's own rules compare ids (a reviewer is not the author, only the
    designated inspector inspects); the facade checks the roles against its
    command policy. Nothing here is verified: the host application builds the
    actor from the person it authenticated (see docs/trust-model.md).
    """

    id: ActorId = attrs.field(validator=identifier)
    name: str = attrs.field(validator=non_empty_line)
    roles: frozenset[str] = attrs.field(factory=frozenset, converter=_roles)

    @property
    def ref(self) -> ActorRef:
        """The id and name of this actor, as kept in history."""
        return ActorRef(self.id, self.name)


@attrs.frozen
class ActorRef:
    """Who did something, as recorded in history and on documents."""

    id: ActorId = attrs.field(validator=identifier)
    name: str = attrs.field(validator=non_empty_line)


@attrs.frozen
class Customer:
    """The customer a request is for. Contact data is personal data: keep it here only."""

    id: CustomerId = attrs.field(validator=identifier)
    name: str = attrs.field(validator=non_empty_line)
    phone: str | None = attrs.field(default=None, validator=attrs.validators.optional(optional_line))
    email: str | None = attrs.field(default=None, validator=attrs.validators.optional(optional_line))
    address: str | None = attrs.field(default=None, validator=attrs.validators.optional(optional_text))


@attrs.frozen
class EvidenceRef:
    """A pointer to evidence kept elsewhere (a photo, a signed sheet, a test log).

    servicecore stores the reference, not the file: ``uri`` is whatever your
    document store understands.
    """

    uri: str = attrs.field(validator=non_empty_line)
    description: str = attrs.field(default="", validator=optional_text)


def evidence_tuple(value: Iterable[EvidenceRef]) -> tuple[EvidenceRef, ...]:
    """attrs converter: evidence references as a tuple (a caller's list is copied, never kept)."""
    return as_tuple("evidence", value, of=EvidenceRef)


@attrs.frozen
class HistoryEntry:
    """One line of an aggregate's append-only audit trail: who, when, what, why."""

    at: datetime = attrs.field(validator=aware)
    actor: ActorRef
    action: str = attrs.field(validator=non_empty_line)
    from_state: str = attrs.field(validator=optional_line)
    to_state: str = attrs.field(validator=optional_line)
    note: str = attrs.field(default="", validator=_derived_note)


__all__ = [
    "EARLIEST_YEAR",
    "LATEST_YEAR",
    "MAX_DECIMAL_DIGITS",
    "MAX_DECIMAL_EXPONENT",
    "MAX_ID_LENGTH",
    "MAX_LINE_LENGTH",
    "MAX_REPR",
    "MAX_TEXT_LENGTH",
    "MINOR_UNITS",
    "AcceptanceId",
    "Actor",
    "ActorId",
    "ActorRef",
    "AgreementId",
    "AppealId",
    "ComplaintId",
    "Customer",
    "CustomerId",
    "EvidenceRef",
    "HistoryEntry",
    "Money",
    "RequestId",
    "ViolationId",
    "WorkOrderId",
    "as_tuple",
    "aware",
    "check_aware",
    "check_id",
    "check_positive_money",
    "check_text",
    "describe",
    "describe_names",
    "evidence_tuple",
    "identifier",
    "instance_of",
    "is_bool",
    "non_empty",
    "non_empty_line",
    "optional_aware",
    "optional_identifier",
    "optional_line",
    "optional_text",
    "parse_category",
    "parse_decimal",
    "parse_enum",
    "to_decimal",
    "with_article",
]
