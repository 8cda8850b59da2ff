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
import threading
import typing
from collections.abc import Callable
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
class Encoded:
    """A document and the pieces it was made of, to reuse for the next version of the same aggregate."""

    text: str
    values: tuple[Any, ...]  # the field values (kept alive, so identity comparisons stay valid)
    pieces: tuple[str, ...]
    elements: tuple[tuple[tuple[Any, str], ...] | None, ...]  # per tuple field: (element, its JSON)


class DocumentEncoder:
    """Encodes aggregates to JSON documents, piece by piece; thread-safe."""

    def __init__(self) -> None:
        self._plans: dict[type[Any], tuple[_Field, ...] | None] = {}
        self._lock = threading.Lock()

    def _plan(self, cls: type[Any]) -> tuple[_Field, ...] | None:
        if cls in self._plans:
            return self._plans[cls]
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # unresolvable annotations: encode whole
            hints = None
        plan: tuple[_Field, ...] | None = None
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
            plan = tuple(fields)
        return plan

    def encode(self, aggregate: Any, previous: Encoded | None = None) -> Encoded:
        """The document of ``aggregate``, reusing the pieces of ``previous`` (an earlier version) that still apply."""
        cls = type(aggregate)
        with self._lock:
            known = cls in self._plans
            plan = self._plan(cls)
        if plan is None:
            return Encoded(dumps(unstructure(aggregate)), (), (), ())
        encoded = self._encode(plan, aggregate, previous)
        if not known:
            whole = dumps(unstructure(aggregate))
            trusted = plan if encoded.text == whole else None
            with self._lock:
                self._plans[cls] = trusted
            if trusted is None:
                return Encoded(whole, (), (), ())
        return encoded

    def _encode(self, plan: tuple[_Field, ...], aggregate: Any, previous: Encoded | None) -> Encoded:
        reuse = previous is not None and len(previous.values) == len(plan)
        unstructure_as: Callable[..., Any] = converter().unstructure
        values: list[Any] = []
        pieces: list[str] = []
        elements: list[tuple[tuple[Any, str], ...] | None] = []
        for index, field in enumerate(plan):
            value = getattr(aggregate, field.name)
            values.append(value)
            if reuse and previous is not None and previous.values[index] is value:
                pieces.append(previous.pieces[index])
                elements.append(previous.elements[index])
                continue
            if field.element is not None and isinstance(value, tuple):
                known: dict[int, str] = {}
                if reuse and previous is not None and previous.elements[index] is not None:
                    known = {id(item): text for item, text in previous.elements[index] or ()}
                items = tuple(
                    (item, known.get(id(item)) or dumps(unstructure_as(item, unstructure_as=field.element)))
                    for item in value
                )
                pieces.append("[" + ",".join(text for _, text in items) + "]")
                elements.append(items)
            else:
                pieces.append(dumps(unstructure_as(value, unstructure_as=field.type)))
                elements.append(None)
        text = "{" + ",".join(field.key + piece for field, piece in zip(plan, pieces, strict=True)) + "}"
        return Encoded(text, tuple(values), tuple(pieces), tuple(elements))


__all__ = ["DocumentEncoder", "Encoded", "dumps"]
