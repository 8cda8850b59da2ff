"""Value objects shared by every aggregate: ids, actors, money, evidence, history.

All are frozen attrs classes; their validators raise :class:`ValidationError`
naming the field, so bad input never produces a half-built object.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any, NewType, TypeVar

import attrs

from servicecore.domain.errors import ValidationError

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


# --- attrs validators -------------------------------------------------------
# One place for the field rules, so every message has the same shape.


def non_empty(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a string with at least one non-blank character."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(attribute.name, f"must be a non-empty string, got {value!r}")


def aware(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a timezone-aware :class:`datetime`."""
    check_aware(attribute.name, value)


def optional_aware(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Like :func:`aware`, but ``None`` is allowed."""
    if value is not None:
        check_aware(attribute.name, value)


def check_aware(field: str, value: object) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else raise naming ``field``."""
    if not isinstance(value, datetime):
        raise ValidationError(field, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, f"must be timezone-aware, got naive {value.isoformat()}")
    return value


def is_bool(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a real ``bool``: ``"no"`` is truthy, so strings and numbers are refused."""
    if not isinstance(value, bool):
        raise ValidationError(attribute.name, f"must be True or False, got {value!r}")


def as_tuple(field: str, value: Iterable[T], of: type[Any] | None = None) -> tuple[T, ...]:
    """``value`` as a tuple, refusing a lone string (``"WO-1"`` is not a list of ids).

    With ``of``, every item must be an instance of that type.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(field, f"must be a list or tuple, got {type(value).__name__} {value!r}")
    items = tuple(value)
    if of is not None:
        for index, item in enumerate(items):
            if not isinstance(item, of):
                raise ValidationError(f"{field}[{index}]", f"must be a {of.__name__}, got {item!r}")
    return items


def check_text(field: str, value: object) -> str:
    """Return ``value`` stripped if it is a non-blank string, else raise naming ``field``."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, f"must be a non-empty string, got {value!r}")
    return value.strip()


def parse_decimal(field: str, value: object) -> Decimal:
    """Convert ints, strings and Decimals to :class:`Decimal`, naming ``field`` on error.

    Floats are refused because ``0.1`` is not a decimal number; pass ``"0.1"``.
    """
    if isinstance(value, bool | float):
        raise ValidationError(field, f"must be a Decimal, int or decimal string, not {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValidationError(field, f"is not a decimal number: {value!r}") from None
    else:
        raise ValidationError(field, f"must be a Decimal, int or decimal string, not {value!r}")
    if not result.is_finite():
        raise ValidationError(field, f"must be finite, got {value!r}")
    return result


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


E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")


def parse_enum(cls: type[E], field: str, value: object) -> E:
    """``value`` as a member of ``cls`` (by value), or a ValidationError listing the choices."""
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in cls)
        raise ValidationError(field, f"must be one of {choices}; got {value!r}") from None


C = TypeVar("C", bound=enum.StrEnum)


def parse_category(cls: type[C], field: str, value: object) -> C | str:
    """A category: a member of ``cls`` (by value), or a custom category.

    This is the one extension point for categories (complaints, violations):
    the built-in ones are the members of the enum, and any other non-blank
    text is accepted as a custom category, kept as written (stripped). Both
    are stored as their text and load back the same way.

    >>> parse_category(enum.StrEnum("Kind", {"DELAY": "delay"}), "category", " delay ")
    <Kind.DELAY: 'delay'>
    >>> parse_category(enum.StrEnum("Kind", {"DELAY": "delay"}), "category", "  noise at night ")
    'noise at night'
    """
    if isinstance(value, cls):
        return value
    text = check_text(field, value)
    try:
        return cls(text)
    except ValueError:
        return text


def with_article(word: str) -> str:
    """``word`` with its indefinite article, for messages built from enum values.

    >>> with_article("apology"), with_article("refund")
    ('an apology', 'a refund')
    """
    vowel = word[:1].lower() in tuple("aeiou")
    return f"{'an' if vowel else 'a'} {word}"


def _currency(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ValidationError(attribute.name, f"must be an ISO 4217 code like 'CNY', got {value!r}")


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

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValidationError("currency", f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

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
    return frozenset(value)


@attrs.frozen
class Actor:
    """Someone acting on the system: a staff member or a customer contact.

    ``roles`` carries role names (``"agent"``, ``"reviewer"``, ``"customer"``...).
    The domain's own rules compare ids (a reviewer is not the author, only the
    designated inspector inspects); the facade checks the roles against its
    command policy. Nothing here is verified: the host application builds the
    actor from the person it authenticated (see docs/trust-model.md).
    """

    id: ActorId = attrs.field(validator=non_empty)
    name: str = attrs.field(validator=non_empty)
    roles: frozenset[str] = attrs.field(factory=frozenset, converter=_roles)

    @property
    def ref(self) -> ActorRef:
        """The id and name of this actor, as kept in history."""
        return ActorRef(self.id, self.name)


@attrs.frozen
class ActorRef:
    """Who did something, as recorded in history and on documents."""

    id: ActorId = attrs.field(validator=non_empty)
    name: str = attrs.field(validator=non_empty)


@attrs.frozen
class Customer:
    """The customer a request is for. Contact data is personal data: keep it here only."""

    id: CustomerId = attrs.field(validator=non_empty)
    name: str = attrs.field(validator=non_empty)
    phone: str | None = None
    email: str | None = None
    address: str | None = None


@attrs.frozen
class EvidenceRef:
    """A pointer to evidence kept elsewhere (a photo, a signed sheet, a test log).

    servicecore stores the reference, not the file: ``uri`` is whatever your
    document store understands.
    """

    uri: str = attrs.field(validator=non_empty)
    description: str = ""


def evidence_tuple(value: Iterable[EvidenceRef]) -> tuple[EvidenceRef, ...]:
    """attrs converter: evidence references as a tuple (a caller's list is copied, never kept)."""
    return as_tuple("evidence", value, of=EvidenceRef)


@attrs.frozen
class HistoryEntry:
    """One line of an aggregate's append-only audit trail: who, when, what, why."""

    at: datetime = attrs.field(validator=aware)
    actor: ActorRef
    action: str = attrs.field(validator=non_empty)
    from_state: str
    to_state: str
    note: str = ""


__all__ = [
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
    "check_positive_money",
    "check_text",
    "evidence_tuple",
    "is_bool",
    "non_empty",
    "optional_aware",
    "parse_category",
    "parse_decimal",
    "parse_enum",
    "to_decimal",
    "with_article",
]
