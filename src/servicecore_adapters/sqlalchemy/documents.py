"""JSON documents of aggregates, re-encoding only what changed since the aggregate was last written.

An aggregate's document is ``json.dumps(unstructure(aggregate))`` with
servicecore's one cattrs converter. A command returns a new aggregate that
shares every unchanged field, and every unchanged element of its tuples
(history entries, checklist steps...), with the version it was loaded at, as
the very same objects. :class:`DocumentEncoder` keeps the JSON text of each
field and tuple element of the last version it encoded and reuses it for the
objects that are still the same: a command then costs the encoding of what it
changed, not of the whole history.

The first time a class is encoded, the piecewise result is compared with the
converter's whole-object result; a class for which they differ (a custom hook
that is not field by field, say) is always encoded whole.
"""

from __future__ import annotations

import json
import operator
import threading
import typing
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from servicecore.serialization import converter, unstructure

_OMITTED = frozenset({"events"})  # never stored (servicecore.serialization omits them)


_JSON = json.JSONEncoder(separators=(",", ":"))


def dumps(data: Any) -> str:
    """Compact JSON, as every stored document is written."""
    return _JSON.encode(data)


@attrs.frozen
class _Field:
    name: str
    key: str  # '"name":'
    type: Any
    element: Any | None  # the element type of a ``tuple[X, ...]`` field


@attrs.frozen
class _Plan:
    fields: tuple[_Field, ...]
    values: Callable[[Any], tuple[Any, ...]]  # every field's value, in order


@attrs.frozen
class Encoded:
    """A document and the pieces it was made of, to reuse for the next version of the same aggregate."""

    text: str
    cls: type[Any] | None  # the class encoded piece by piece (None: encoded whole, nothing to reuse)
    values: tuple[Any, ...]  # the field values (kept alive, so identity comparisons stay valid)
    pieces: tuple[str, ...]  # per field: '"name":<json>'
    elements: tuple[tuple[str, ...] | None, ...]  # per tuple field: the JSON of each element, in order


def _whole(aggregate: Any) -> Encoded:
    return Encoded(dumps(unstructure(aggregate)), None, (), (), ())


def _scalar_or_dumps(data: Any) -> str:
    # the converter's output for ids, counters and statuses: skip the encoder's dispatch
    if type(data) is int:
        return int.__repr__(data)
    return _JSON.encode(data)


class DocumentEncoder:
    """Encodes aggregates to JSON documents, piece by piece; thread-safe."""

    def __init__(self) -> None:
        self._plans: dict[type[Any], _Plan | None] = {}
        self._lock = threading.Lock()

    def _plan(self, cls: type[Any]) -> _Plan | None:
        if cls in self._plans:
            return self._plans[cls]
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # unresolvable annotations: encode whole
            hints = None
        plan: _Plan | None = None
        if hints is not None:
            fields = []
            for attribute in attrs.fields(cls):
                if attribute.name in _OMITTED:
                    continue
                declared = hints.get(attribute.name, Any)
                args = typing.get_args(declared)
                element = (
                    args[0] if typing.get_origin(declared) is tuple and len(args) == 2 and args[1] is ... else None
                )
                fields.append(_Field(attribute.name, f"{dumps(attribute.name)}:", declared, element))
            if len(fields) >= 2:  # attrgetter of one name returns the value, not a tuple
                plan = _Plan(tuple(fields), operator.attrgetter(*(field.name for field in fields)))
        return plan

    def encode(self, aggregate: Any, previous: Encoded | None = None) -> Encoded:
        """The document of ``aggregate``, reusing the pieces of ``previous`` (an earlier version) that still apply."""
        cls = type(aggregate)
        if cls not in self._plans:  # a dict read needs no lock
            with self._lock:
                plan = self._plan(cls)
            if plan is None:
                with self._lock:
                    self._plans[cls] = None
                return _whole(aggregate)
            encoded = self._encode(cls, plan, aggregate, None)
            whole = dumps(unstructure(aggregate))
            trusted = plan if encoded.text == whole else None
            with self._lock:
                self._plans[cls] = trusted
            return encoded if trusted is not None else _whole(aggregate)
        plan = self._plans[cls]
        if plan is None:
            return _whole(aggregate)
        return self._encode(cls, plan, aggregate, previous if previous is not None and previous.cls is cls else None)

    def _encode(self, cls: type[Any], plan: _Plan, aggregate: Any, previous: Encoded | None) -> Encoded:
        unstructure_as: Callable[..., Any] = converter().unstructure
        fields = plan.fields
        values = plan.values(aggregate)
        changed: Iterable[int]
        if previous is None:
            changed = range(len(fields))
            pieces: list[str] = [""] * len(fields)
            elements: list[tuple[str, ...] | None] = [None] * len(fields)
        else:  # a command changes a few fields: compare every one by identity, encode only those
            before = previous.values
            changed = [index for index, value in enumerate(values) if value is not before[index]]
            pieces, elements = list(previous.pieces), list(previous.elements)
        for index in changed:
            field, value = fields[index], values[index]
            if field.element is not None and isinstance(value, tuple):
                old_texts = previous.elements[index] if previous is not None else None
                old: Any = previous.values[index] if old_texts is not None and previous is not None else ()
                texts = _element_texts(value, old, old_texts or (), unstructure_as, field.element)
                pieces[index] = field.key + "[" + ",".join(texts) + "]"
                elements[index] = texts
            else:
                pieces[index] = field.key + _scalar_or_dumps(unstructure_as(value, unstructure_as=field.type))
                elements[index] = None
        return Encoded("{" + ",".join(pieces) + "}", cls, values, tuple(pieces), tuple(elements))


def _element_texts(
    value: tuple[Any, ...],
    old: tuple[Any, ...],
    old_texts: tuple[str, ...],
    unstructure_as: Callable[..., Any],
    element: Any,
) -> tuple[str, ...]:
    """The JSON of each element of ``value``, reusing the text of the element of ``old`` at the same position
    when it is the very same object (commands append to these tuples or replace one element)."""
    size = len(old)
    return tuple(
        old_texts[position]
        if position < size and old[position] is item
        else dumps(unstructure_as(item, unstructure_as=element))
        for position, item in enumerate(value)
    )


__all__ = ["DocumentEncoder", "Encoded", "dumps"]
