"""The one cattrs converter of servicecore, and the two functions built on it.

:func:`unstructure` turns any servicecore object into JSON-ready data (str,
int, bool, None, lists and dicts); :func:`structure` turns such data back and,
on bad input, raises :class:`~servicecore.DeserializationError` whose ``errors``
are readable ``"message @ $.path"`` lines naming each bad field.

Conventions: datetimes are ISO 8601 strings with an offset (naive ones are
refused), ``Decimal`` is a string (floats are refused), enums are their values,
sets are sorted lists. Pending domain events are never serialized.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.v import format_exception, transform_error

from servicecore.domain.acceptance import Acceptance
from servicecore.domain.agreement import ServiceAgreement
from servicecore.domain.errors import DeserializationError, ServiceCoreError, ValidationError
from servicecore.domain.service_request import ServiceRequest
from servicecore.domain.values import check_aware, to_decimal
from servicecore.domain.work_order import WorkOrder

T = TypeVar("T")

AGGREGATES: tuple[type[Any], ...] = (ServiceRequest, ServiceAgreement, WorkOrder, Acceptance)
"""The aggregate classes; each round-trips through the converter."""


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


def _structure_decimal(value: Any, _: type[Decimal]) -> Decimal:
    return to_decimal(value)


def _structure_roles(value: Any, _: Any) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValidationError("roles", f"expected a list of role names, got {type(value).__name__}")
    if not all(isinstance(v, str) for v in value):
        raise ValidationError("roles", "every role must be a string")
    return frozenset(value)


def _is_role_set(type_: Any) -> bool:
    return bool(type_ == frozenset[str])


def _build_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    conv.register_unstructure_hook(datetime, lambda d: d.isoformat())
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_unstructure_hook_func(_is_role_set, sorted)
    conv.register_structure_hook_func(_is_role_set, _structure_roles)
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
