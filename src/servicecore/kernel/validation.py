"""Validators and value primitives shared by the domain model and the service-level engine.

Every field rule lives here once, so every refusal has the same shape: a
:class:`~servicecore.kernel.errors.ValidationError` naming the field and quoting
(a bounded part of) the refused value.
"""

from __future__ import annotations

import enum
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs

from servicecore.kernel.errors import ValidationError

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


__all__ = [
    "EARLIEST_YEAR",
    "LATEST_YEAR",
    "MAX_DECIMAL_DIGITS",
    "MAX_DECIMAL_EXPONENT",
    "MAX_ID_LENGTH",
    "MAX_LINE_LENGTH",
    "MAX_REPR",
    "MAX_TEXT_LENGTH",
    "as_tuple",
    "aware",
    "check_aware",
    "check_id",
    "check_text",
    "describe",
    "describe_names",
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
    "with_article",
]
