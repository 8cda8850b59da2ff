"""Value objects shared by every aggregate: ids, actors, money, evidence, history.

All are frozen attrs classes; their validators raise :class:`ValidationError`
naming the field, so bad input never produces a half-built object.
"""

from __future__ import annotations

import enum
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
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

MAX_ID_LENGTH = 200
"""Longest id (of a case, a person, a customer) the domain accepts, in characters.

Ids are indexed by storage; PostgreSQL cannot index a key of several kilobytes.
"""

MAX_LINE_LENGTH = 500
"""Longest single-line text (a name, a category, a key, contact data) the domain accepts, in characters."""

MAX_TEXT_LENGTH = 20_000
"""Longest free text (a description, a note, a reason) the domain accepts, in characters: some ten pages."""

MAX_REPR = 80
"""How many characters of a refused value an error message quotes (:func:`describe`)."""

# free text: NUL, lone surrogates, C0 controls except tab, line feed and carriage return, C1 controls
_BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x80-\x9f\ud800-\udfff]")
# a single line: also no tab or line break, and no bidi override or isolate (they can disguise an id)
_BAD_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def describe(value: object) -> str:
    """``repr(value)`` cut to :data:`MAX_REPR` characters: what error messages quote of a refused value.

    A caller's megabyte note or a list of a million items is never echoed back
    in full (nor into logs, nor even built in full): a list, tuple, set or dict
    shows its first items and says how many it has; a long text says how long it was.
    """
    return _describe(value, 0)


_COLLECTIONS: tuple[tuple[type[Any], str, str], ...] = (
    (list, "[", "]"),
    (tuple, "(", ")"),
    (dict, "{", "}"),
    (frozenset, "frozenset({", "})"),
    (set, "{", "}"),
)


def _describe(value: object, depth: int) -> str:
    for cls, opening, closing in _COLLECTIONS:
        if isinstance(value, cls):
            return _describe_collection(value, opening, closing, depth)
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__, or an int too long to print
        return f"<{type(value).__name__}>"
    if len(text) <= MAX_REPR:
        return text
    size = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} characters shown"
    return f"{text[: MAX_REPR - 20]}... ({type(value).__name__}, {size})"


def _describe_collection(value: Any, opening: str, closing: str, depth: int) -> str:
    size = len(value)
    if size == 0:
        return "set()" if isinstance(value, set) and not isinstance(value, frozenset) else repr(type(value)())
    if depth >= 3:  # a list nested in lists: its shape, not its content
        return f"<{type(value).__name__} of {size} items>"
    parts: list[str] = []
    shown = 0
    for item in itertools.islice(value.items() if isinstance(value, dict) else value, 8):
        if isinstance(value, dict):
            key, item_value = item
            parts.append(f"{_describe(key, depth + 1)}: {_describe(item_value, depth + 1)}")
        else:
            parts.append(_describe(item, depth + 1))
        shown += len(parts[-1]) + 2
        if shown > MAX_REPR:
            break
    if len(parts) == size:
        text = opening + ", ".join(parts) + ("," if isinstance(value, tuple) and size == 1 else "") + closing
        if len(text) <= MAX_REPR:
            return text
    text = opening + ", ".join(parts)
    return f"{text[: MAX_REPR - 20]}, ...{closing} ({type(value).__name__}, {size} items)"


def describe_names(names: Iterable[str], *, limit: int = 8) -> str:
    """``names`` joined by commas for a message: at most ``limit`` of them, each cut like :func:`describe`,
    then how many more there are (an actor with a million roles is not listed in full)."""
    shown: list[str] = []
    more = 0
    for name in names:
        if len(shown) < limit:
            shown.append(name if len(name) <= MAX_REPR else f"{name[: MAX_REPR - 20]}... ({len(name)} characters)")
        else:
            more += 1
    return ", ".join(shown) + (f" and {more} more" if more else "")


def _invisible(value: str) -> re.Match[str] | None:
    """The first character of ``value`` that is invisible or breaks the line (Unicode Cf, Zl, Zp)."""
    if value.isascii():
        return None
    for position, char in enumerate(value):
        if unicodedata.category(char) in _INVISIBLE:
            return _ONE_CHAR.match(value, position)
    return None


_INVISIBLE = frozenset({"Cf", "Zl", "Zp"})
_ONE_CHAR = re.compile(".", re.DOTALL)


def check_text(
    field: str, value: object, *, single_line: bool = False, optional: bool = False, max_length: int | None = None
) -> str:
    """The one rule for text the domain accepts; returns ``value`` stripped, or raises naming ``field``.

    What a command accepts is exactly what every storage backend can store and
    load back, so text must be a ``str`` (never ``None``, a number, bytes or a
    list) and may not contain:

    * NUL or a lone surrogate (no database stores them, no encoder writes them);
    * other C0 and C1 control characters (U+0001–U+001F, U+0080–U+009F),
      except tab, line feed and carriage return in free text (notes, comments,
      descriptions, reasons);
    * in a ``single_line`` field (ids, names, keys, categories, contact data):
      no tab or line break at all (nor the Unicode line and paragraph
      separators U+2028, U+2029), no DEL, and no invisible format character
      (Unicode category Cf: zero-width spaces and joiners, the byte-order mark,
      bidi marks, overrides and isolates), which can make one id or name look
      like another. Free text keeps them: right-to-left text needs its marks,
      and U+2028 is a line break there.

    Text is at most :data:`MAX_LINE_LENGTH` characters on one line and
    :data:`MAX_TEXT_LENGTH` in free text (or ``max_length``). A refused
    character is never dropped silently: the error names it and its position.
    Only surrounding whitespace is stripped from the result. Unless
    ``optional`` (an empty note is fine), the text must have a non-blank character.
    """
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__} {describe(value)}")
    kind = "text on one line" if single_line else "text"
    limit = max_length if max_length is not None else MAX_LINE_LENGTH if single_line else MAX_TEXT_LENGTH
    if len(value) > limit:
        raise ValidationError(field, f"{kind} may have at most {limit} characters, got {len(value)}")
    bad = (_BAD_IN_LINE if single_line else _BAD_IN_TEXT).search(value)
    if bad is None and single_line:
        bad = _invisible(value)
    if bad is not None:
        raise ValidationError(
            field, f"{kind} may not contain U+{ord(bad.group()):04X} (at position {bad.start()}): {describe(value)}"
        )
    text = value.strip()
    if not text and not optional:
        raise ValidationError(field, f"must be a non-empty string, got {describe(value)}")
    return text


def check_id(field: str, value: object) -> str:
    """``value`` if it is a usable id: non-blank text on one line of at most :data:`MAX_ID_LENGTH` characters,
    with no whitespace around it and none inside but plain spaces (U+0020).

    Returned unchanged (an id is compared exactly, never stripped: ``" C-900"`` is
    refused rather than silently a different id from ``"C-900"``).
    """
    if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
        raise ValidationError(field, f"an id may have at most {MAX_ID_LENGTH} characters, got {len(value)}")
    check_text(field, value, single_line=True)
    assert isinstance(value, str)  # checked above
    if value != value.strip():
        raise ValidationError(field, f"an id may not begin or end with whitespace, got {describe(value)}")
    odd = _ODD_SPACE.search(value)
    if odd is not None:
        raise ValidationError(
            field,
            f"an id may contain no whitespace but plain spaces, got U+{ord(odd.group()):04X} "
            f"(at position {odd.start()}): {describe(value)}",
        )
    return value


_ODD_SPACE = re.compile(r"[^\S ]")


def non_empty(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require free text with at least one non-blank character (see :func:`check_text`)."""
    check_text(attribute.name, value)


def non_empty_line(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require non-blank text on one line: a name, a key, a category (see :func:`check_text`)."""
    check_text(attribute.name, value, single_line=True)


def optional_text(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require free text, possibly empty: a note, a comment (see :func:`check_text`)."""
    check_text(attribute.name, value, optional=True)


def optional_line(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require text on one line, possibly empty (see :func:`check_text`)."""
    check_text(attribute.name, value, single_line=True, optional=True)


def _derived_note(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    # a note may be a caller's text with the recorder's words around it: room for both
    check_text(attribute.name, value, optional=True, max_length=2 * MAX_TEXT_LENGTH)


def identifier(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require an id (see :func:`check_id`)."""
    check_id(attribute.name, value)


def optional_identifier(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Like :func:`identifier`, but ``None`` is allowed."""
    if value is not None:
        check_id(attribute.name, value)


def instance_of(*classes: type[Any]) -> Callable[[Any, attrs.Attribute[Any], object], None]:
    """An attrs validator requiring an instance of one of ``classes``: a :class:`ValidationError` naming
    the field, where ``attrs.validators.instance_of`` would raise a bare ``TypeError``."""
    expected = " or ".join(cls.__name__ for cls in classes)

    def validate(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, classes):
            raise ValidationError(attribute.name, f"must be a {expected}, got {type(value).__name__} {describe(value)}")

    return validate


def aware(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a timezone-aware :class:`datetime`."""
    check_aware(attribute.name, value)


def optional_aware(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Like :func:`aware`, but ``None`` is allowed."""
    if value is not None:
        check_aware(attribute.name, value)


EARLIEST_YEAR, LATEST_YEAR = 1900, 9000
"""The years an instant the domain accepts may fall in.

Far from ``datetime.min`` and ``datetime.max``, so that converting to UTC and
adding deadlines, windows and SLA targets never overflows.
"""


def check_aware(field: str, value: object) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime between :data:`EARLIEST_YEAR` and
    :data:`LATEST_YEAR`, else raise naming ``field``."""
    if not isinstance(value, datetime):
        raise ValidationError(field, f"must be a datetime, got {type(value).__name__}")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(
            field, f"must lie between the years {EARLIEST_YEAR} and {LATEST_YEAR}, got {describe(value)}"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, f"must be timezone-aware, got naive {value.isoformat()}")
    return value


def is_bool(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    """Require a real ``bool``: ``"no"`` is truthy, so strings and numbers are refused."""
    if not isinstance(value, bool):
        raise ValidationError(attribute.name, f"must be True or False, got {describe(value)}")


def as_tuple(field: str, value: Iterable[T], of: type[Any] | None = None) -> tuple[T, ...]:
    """``value`` as a tuple, refusing a lone string (``"WO-1"`` is not a list of ids).

    With ``of``, every item must be an instance of that type.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(field, f"must be a list or tuple, got {type(value).__name__} {describe(value)}")
    items = tuple(value)
    if of is not None:
        for index, item in enumerate(items):
            if not isinstance(item, of):
                raise ValidationError(f"{field}[{index}]", f"must be a {of.__name__}, got {describe(item)}")
    return items


MAX_DECIMAL_EXPONENT = 30
"""Decimals the domain accepts lie between ``1e-30`` and ``1e30`` in size (or are zero): sums and
products of amounts and quantities then never overflow, and a total prints in a few dozen digits."""
MAX_DECIMAL_DIGITS = 60
"""The most significant digits a decimal the domain accepts may have."""


def parse_decimal(field: str, value: object) -> Decimal:
    """Convert ints, strings and Decimals to :class:`Decimal`, naming ``field`` on error.

    Floats are refused because ``0.1`` is not a decimal number; pass ``"0.1"``.
    So are NaN, infinities, sizes beyond :data:`MAX_DECIMAL_EXPONENT` and more than
    :data:`MAX_DECIMAL_DIGITS` digits, which no sum or product of amounts should meet.
    """
    if isinstance(value, bool | float):
        raise ValidationError(field, f"must be a Decimal, int or decimal string, not {describe(value)}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValidationError(field, f"is not a decimal number: {describe(value)}") from None
    else:
        raise ValidationError(field, f"must be a Decimal, int or decimal string, not {describe(value)}")
    if not result.is_finite():
        raise ValidationError(field, f"must be finite, got {describe(value)}")
    if result and not -MAX_DECIMAL_EXPONENT <= result.adjusted() < MAX_DECIMAL_EXPONENT:
        raise ValidationError(
            field,
            f"must lie between 1e-{MAX_DECIMAL_EXPONENT} and 1e{MAX_DECIMAL_EXPONENT} in size, got {describe(value)}",
        )
    if len(result.as_tuple().digits) > MAX_DECIMAL_DIGITS:
        raise ValidationError(field, f"may have at most {MAX_DECIMAL_DIGITS} significant digits, got {describe(value)}")
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
    except (ValueError, TypeError):
        choices = ", ".join(repr(m.value) for m in cls)
        raise ValidationError(field, f"must be one of {choices}; got {describe(value)}") from None


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
    text = check_text(field, value, single_line=True)
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
