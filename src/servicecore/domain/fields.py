"""Field converters shared by every model: enum and category fields that name themselves in errors.

``attrs.field(converter=AsEnum[Priority])`` accepts a ``Priority`` or its value
(``"high"``) and refuses anything else with a :class:`ValidationError` naming the
field, through :func:`~servicecore.domain.values.parse_enum`;
``attrs.field(converter=AsCategory[ComplaintCategory])`` does the same through
:func:`~servicecore.domain.values.parse_category`, which also keeps custom
categories. The field's own name is the one the error carries, so one
converter serves every field of that enum.

Why a subscripted class rather than a function returning ``attrs.field``: the
attrs type checker plugin only reads converters written inside
``attrs.field(...)``, and of those only named functions and classes. It reads
``AsEnum[Priority]`` as a class whose constructor takes ``Priority | str``, so
constructors keep accepting the value's text; at run time the subscription
returns an attrs converter that is handed the field.
"""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar

import attrs

from servicecore.domain.values import parse_category, parse_enum

E = TypeVar("E", bound=enum.Enum)
C = TypeVar("C", bound=enum.StrEnum)


class AsEnum(Generic[E]):
    """Converter of an enum field: ``attrs.field(converter=AsEnum[Priority])``.

    Accepts a member or a member's value; anything else is a
    :class:`~servicecore.ValidationError` naming the field and listing the choices.
    """

    def __init__(self, value: E | str) -> None:  # the type checker's view: what the field accepts
        raise TypeError("AsEnum is used subscripted, as a converter: attrs.field(converter=AsEnum[Priority])")

    def __class_getitem__(cls, members: Any) -> Any:
        def convert(value: object, field: attrs.Attribute[Any]) -> Any:
            return parse_enum(members, field.name, value)

        return attrs.Converter(convert, takes_field=True)


class AsCategory(Generic[C]):
    """Converter of a category field: ``attrs.field(converter=AsCategory[ComplaintCategory])``.

    Accepts a built-in category (a member or its value) or any other non-blank
    text as a custom category (see :func:`~servicecore.domain.values.parse_category`).
    """

    def __init__(self, value: C | str) -> None:  # the type checker's view: what the field accepts
        raise TypeError("AsCategory is used subscripted, as a converter: attrs.field(converter=AsCategory[Kind])")

    def __class_getitem__(cls, members: Any) -> Any:
        def convert(value: object, field: attrs.Attribute[Any]) -> Any:
            return parse_category(members, field.name, value)

        return attrs.Converter(convert, takes_field=True)


__all__ = ["AsCategory", "AsEnum"]
