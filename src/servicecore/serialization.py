"""The one cattrs converter of servicecore, and the two functions built on it.

:func:`unstructure` turns any servicecore object into JSON-ready data (str,
int, bool, None, lists and dicts); :func:`structure` turns such data back and,
on bad input, raises :class:`~servicecore.DeserializationError` whose ``errors``
are readable ``"message @ $.path"`` lines naming each bad field.

Conventions: datetimes are ISO 8601 strings with an offset (naive ones are
refused), durations ISO 8601 durations (``PT4H``), ``Decimal`` is a string (floats are refused), enums are their values,
sets are sorted lists, dates ISO dates (``2025-10-01``), time zones their IANA names. Pending domain
events are never serialized. SLA settings round-trip too: a stored clock's
:class:`~servicecore.sla.Target` and a :class:`~servicecore.sla.BusinessCalendar` with its
``deadline_at``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, get_args, get_origin
from zoneinfo import ZoneInfo

import cattrs
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import format_exception, transform_error

from servicecore.domain import registry
from servicecore.domain.errors import DeserializationError, ServiceCoreError, ValidationError
from servicecore.domain.values import check_aware, parse_category, to_decimal
from servicecore.sla.durations import format_duration, parse_duration

T = TypeVar("T")

AGGREGATES: tuple[type[Any], ...] = registry.AGGREGATES
"""The aggregate classes (:data:`servicecore.domain.registry.AGGREGATES`); each round-trips through the converter."""


def _structure_datetime(value: Any, _: type[datetime]) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError("datetime", f"not an ISO 8601 datetime: {value!r}") from None
    else:
        raise ValidationError("datetime", f"expected an ISO 8601 string, got {type(value).__name__}")
    return check_aware("datetime", parsed)


def _structure_date(value: Any, _: type[date]) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError("date", f"expected an ISO date like '2025-10-01', got {value!r}")


def _structure_zone(value: Any, _: type[ZoneInfo]) -> ZoneInfo:
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
            pass
    raise ValidationError("time_zone", f"expected an IANA time zone name like 'Asia/Shanghai', got {value!r}")


def _is_date_set(type_: Any) -> bool:
    return bool(type_ == frozenset[date])


def _unstructure_dates(value: frozenset[date]) -> list[str]:
    return [day.isoformat() for day in sorted(value)]


def _structure_decimal(value: Any, _: type[Decimal]) -> Decimal:
    return to_decimal(value)


def _structure_roles(value: Any, _: Any) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValidationError("roles", f"expected a list of role names, got {type(value).__name__}")
    if not all(isinstance(v, str) for v in value):
        raise ValidationError("roles", "every role must be a string")
    return frozenset(value)


def _structure_bool(value: Any, _: type[bool]) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("value", f"expected true or false, got {value!r}")
    return value


def _structure_int(value: Any, _: type[int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("value", f"expected a whole number, got {value!r}")
    return value


def _structure_str(value: Any, _: type[str]) -> str:
    if not isinstance(value, str):
        raise ValidationError("value", f"expected a string, got {value!r}")
    return value


def _structure_str_enum(value: Any, type_: type[enum.StrEnum]) -> enum.StrEnum:
    return type_(value)


def _is_homogenous_tuple(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _strict_tuple_factory(type_: Any, conv: cattrs.BaseConverter) -> Callable[[Any, Any], Any]:
    inner = homogenous_tuple_structure_factory(type_, conv)

    def structure_tuple(value: Any, target: Any) -> Any:
        # a string is iterable, but "WO-1" is not a list of ids
        if not isinstance(value, list | tuple):
            raise ValidationError("value", f"expected a list, got {type(value).__name__}")
        return inner(value, target)

    return structure_tuple


def _is_category(type_: Any) -> bool:
    # ``SomeCategory | str``: a built-in category or a custom one (values.parse_category)
    args = get_args(type_)
    return (
        len(args) == 2
        and args[1] is str
        and isinstance(args[0], type)
        and issubclass(args[0], enum.StrEnum)
        and type_ == args[0] | str
    )


def _structure_category(value: Any, type_: Any) -> Any:
    return parse_category(get_args(type_)[0], "category", value)


def _is_role_set(type_: Any) -> bool:
    return bool(type_ == frozenset[str])


def _build_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    # cattrs' default scalar hooks coerce (bool("false") is True, int(1.9) is 1): refuse instead
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(str, _structure_str)
    # StrEnum is a str subclass: without this the str hook above would take its fields
    conv.register_structure_hook(enum.StrEnum, _structure_str_enum)
    conv.register_structure_hook_factory(_is_homogenous_tuple, _strict_tuple_factory)
    conv.register_unstructure_hook(datetime, lambda d: d.isoformat())
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(date, _structure_date)
    conv.register_unstructure_hook_func(_is_date_set, _unstructure_dates)
    conv.register_unstructure_hook(ZoneInfo, lambda zone: zone.key)
    conv.register_structure_hook(ZoneInfo, _structure_zone)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_unstructure_hook(timedelta, format_duration)
    conv.register_structure_hook(timedelta, lambda value, _: parse_duration(value))
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook_func(_is_role_set, sorted)
    conv.register_structure_hook_func(_is_role_set, _structure_roles)
    conv.register_structure_hook_func(_is_category, _structure_category)
    for cls in AGGREGATES:
        conv.register_unstructure_hook(cls, make_dict_unstructure_fn(cls, conv, events=override(omit=True)))
        conv.register_structure_hook(cls, make_dict_structure_fn(cls, conv, events=override(omit=True)))
    return conv


_converter = _build_converter()


def _format(exc: BaseException, type_: type[Any] | None) -> str:
    if isinstance(exc, ServiceCoreError):
        return str(exc)
    return format_exception(exc, type_)


def unstructure(obj: Any) -> Any:
    """Turn a servicecore object into JSON-ready data."""
    return _converter.unstructure(obj)


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from JSON-ready data, or raise :class:`DeserializationError`."""
    try:
        return _converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError) as exc:
        raise DeserializationError(cls.__name__, transform_error(exc, format_exception=_format)) from exc
    except ServiceCoreError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise DeserializationError(cls.__name__, [f"{exc} @ $"]) from exc


def converter() -> cattrs.Converter:
    """The shared converter, for adapters that need to register hooks of their own types.

    Register hooks only for your own classes; changing servicecore's would
    change what every adapter stores.
    """
    return _converter


__all__ = ["AGGREGATES", "converter", "structure", "unstructure"]
