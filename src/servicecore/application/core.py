"""The plumbing every facade command shares: permissions, one transaction, SLA clocks.

A command runs in this order, inside one unit of work: check the actor's role
(:func:`command`) → load the aggregate(s) → call the domain method(s) → keep the
SLA clocks in step with the new status → save with the optimistic version check
(a customer may only touch their own cases) → turn the raised events into
outbox notifications → commit. If anything raises, nothing is written.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import attrs

from servicecore.application.notifications import NotificationPolicy
from servicecore.application.permissions import CommandPolicy
from servicecore.application.sla import SlaService
from servicecore.domain.aggregate import Aggregate
from servicecore.domain.errors import ConcurrencyError, PermissionDeniedError, ValidationError
from servicecore.domain.events import DomainEvent
from servicecore.domain.values import Actor, check_aware, check_id, check_text, describe
from servicecore.ports.clock import Clock
from servicecore.ports.ids import IdGenerator
from servicecore.ports.storage import Repository, StorageBackend, UnitOfWork
from servicecore.storage_kinds import ListQuery, index_fields

A = TypeVar("A", bound=Aggregate)
P = ParamSpec("P")
R = TypeVar("R")
D = TypeVar("D", bound="DeskCore")


@attrs.frozen
class Caller:
    """Who runs one command: checked against the command policy before the command touched anything.

    ``customer_id`` is set when the actor runs the command only through a role
    limited to its own cases (a customer): every case the command loads or
    stores must then be that customer's.
    """

    actor: Actor
    command: str
    customer_id: str | None


OWN_CASES_RULE = "a customer may only see and act on their own requests and complaints"
"""The rule a customer's access to another customer's case breaks."""


def command(method: Callable[Concatenate[D, P], R]) -> Callable[Concatenate[D, P], R]:
    """Mark a facade method as a command (a change) named after it, checked against the command policy.

    Reads are marked with :func:`query` instead; both are checked the same way.

    The ``actor`` keyword argument is checked before anything else runs. Reads
    take ``actor`` optionally: without one, the caller is trusted application code,
    unless the desk is strict (then every command needs its actor).
    Then every other argument is checked against the method's type hints
    (:class:`_Arguments`), so a wrongly typed argument is a :class:`ValidationError`
    naming it before the command touches storage.
    """
    return _checked(method, "__servicecore_command__")


def query(method: Callable[Concatenate[D, P], R]) -> Callable[Concatenate[D, P], R]:
    """Mark a facade method as a query (a read that changes nothing), checked like a :func:`command`."""
    return _checked(method, "__servicecore_query__")


def _checked(method: Callable[Concatenate[D, P], R], mark: str) -> Callable[Concatenate[D, P], R]:
    name = method.__name__
    signature = inspect.signature(method)
    parameter = signature.parameters.get("actor")
    actor_required = parameter is not None and parameter.default is inspect.Parameter.empty
    arguments = _Arguments(method, signature)

    @functools.wraps(method)
    def checked(self: D, /, *args: P.args, **kwargs: P.kwargs) -> R:
        actor = kwargs.get("actor")
        if actor is None:
            if actor_required or self._strict:  # a change always has someone who made it
                why = "" if actor_required else " (this service desk is strict: reads need an actor too)"
                raise ValidationError("actor", f"{name} needs the Actor who runs it{why}")
            call_args, call_kwargs = arguments.check(self, args, kwargs)
            return method(self, *call_args, **call_kwargs)
        if not isinstance(actor, Actor):
            raise ValidationError("actor", f"must be an Actor, got {type(actor).__name__}")
        permissions = self._permissions
        permissions.check(actor, name)
        call_args, call_kwargs = arguments.check(self, args, kwargs)
        own = permissions.customer_id_of(actor) if permissions.limits_to_own_cases(actor, name) else None
        return method(self._acting_as(Caller(actor, name, own)), *call_args, **call_kwargs)

    setattr(checked, mark, name)
    return checked


MAX_INT = 2**62
"""The largest whole number (in size) a command accepts: every backend stores and compares it as a 64-bit integer."""


class _Arguments:
    """Checks a command's arguments against its type hints before the command runs.

    The hints are the contract, so a command added later is checked without
    writing anything for it: an argument of the wrong type is a
    :class:`ValidationError` naming the parameter, never an ``AttributeError``
    deep inside. ``*_id`` parameters must be ids (:func:`check_id`), text obeys
    :func:`check_text`, whole numbers stay within :data:`MAX_INT`, instants
    within the years :func:`check_aware` accepts, and a collection is copied
    into a tuple after each item was checked (so a generator is read once).
    Finer rules (required text, ranges, states) stay with the domain.
    """

    def __init__(self, method: Callable[..., Any], signature: inspect.Signature) -> None:
        self._method = method
        self._signature = signature
        self._hints: dict[str, Any] | None = None

    def check(
        self, desk: object, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if self._hints is None:  # resolved on first use: the annotations are strings until every module is loaded
            self._hints = typing.get_type_hints(self._method)
        try:
            bound = self._signature.bind(desk, *args, **kwargs)
        except TypeError as error:
            raise ValidationError("arguments", f"{self._method.__name__}: {error}") from None
        for name, value in bound.arguments.items():
            hint = self._hints.get(name)
            if name in ("self", "actor") or hint is None:
                continue
            bound.arguments[name] = _check_argument(name, hint, value)
        return bound.args[1:], bound.kwargs


def _check_argument(field: str, hint: Any, value: Any) -> Any:
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if value is None:
        if type(None) in options:
            return None
        raise ValidationError(field, f"is required, got None (expected {_expected(options)})")
    options = tuple(option for option in options if option is not type(None))
    for option in options:
        origin = typing.get_origin(option)
        if origin in (collections.abc.Iterable, collections.abc.Sequence):
            return _check_items(field, typing.get_args(option)[0], value)
        if origin is not None:  # another generic (a mapping, a callable): its class is what can be checked here
            if isinstance(value, origin):
                return value
            continue
        if option is str or option.__class__ is typing.NewType:
            if isinstance(value, str):
                if field.split("[", 1)[0].endswith(("_id", "_ids")) or option.__class__ is typing.NewType:
                    return check_id(field, value)
                check_text(field, value, optional=True)
                return value
        elif option is bool:
            if isinstance(value, bool):
                return value
        elif option is int:
            if isinstance(value, int) and not isinstance(value, bool):
                if abs(value) > MAX_INT:
                    raise ValidationError(field, f"must be at most {MAX_INT} in size, got {describe(value)}")
                return value
        elif option is datetime:
            if isinstance(value, datetime):
                return check_aware(field, value)
        elif isinstance(option, type) and isinstance(value, option):
            return value
    raise ValidationError(field, f"must be {_expected(options)}, got {type(value).__name__} {describe(value)}")


def _check_items(field: str, hint: Any, value: Any) -> tuple[Any, ...]:
    if isinstance(value, str | bytes | bytearray | collections.abc.Mapping) or not isinstance(
        value, collections.abc.Iterable
    ):
        raise ValidationError(field, f"must be a list or tuple, got {type(value).__name__} {describe(value)}")
    return tuple(_check_argument(f"{field}[{index}]", hint, item) for index, item in enumerate(value))


def _expected(options: tuple[Any, ...]) -> str:
    names = [getattr(option, "__name__", str(option)) for option in options]
    return " or ".join(names)


def command_names(cls: type) -> tuple[str, ...]:
    """The names of every method of ``cls`` the command policy covers: :func:`command` and :func:`query`, sorted."""
    return tuple(sorted({*change_names(cls), *query_names(cls)}))


def change_names(cls: type) -> tuple[str, ...]:
    """The names of the methods of ``cls`` decorated with :func:`command` (the changes), sorted."""
    return tuple(sorted(name for name in dir(cls) if hasattr(getattr(cls, name), "__servicecore_command__")))


def query_names(cls: type) -> tuple[str, ...]:
    """The names of the methods of ``cls`` decorated with :func:`query` (the reads), sorted."""
    return tuple(sorted(name for name in dir(cls) if hasattr(getattr(cls, name), "__servicecore_query__")))


def _check_owner(caller: Caller | None, aggregate: object, *, reading: bool = False) -> None:
    """A customer's command touches only that customer's cases (reads: never a case of no customer's)."""
    if caller is None or caller.customer_id is None:
        return
    customer_id = index_fields(aggregate).customer_id
    if customer_id is not None:
        if customer_id != caller.customer_id:
            raise PermissionDeniedError(caller.actor.id, caller.command, OWN_CASES_RULE)
    elif reading:  # a case of no customer's is never a customer's to read
        raise PermissionDeniedError(caller.actor.id, caller.command, OWN_CASES_RULE)


class Transaction:
    """One command's unit of work, as its caller: what it loads and writes, and the events it raised.

    Every case the command loads (:meth:`get`) or creates (:meth:`add`) passes
    the caller's ownership check once; a case loaded here is not checked again
    when it is stored (:meth:`update`).
    """

    def __init__(
        self,
        uow: UnitOfWork,
        sla: SlaService | None,
        clock: Clock,
        caller: Caller | None = None,
    ) -> None:
        self.uow = uow
        self.caller = caller
        self.events: list[DomainEvent] = []
        self._sla = sla
        self._clock = clock
        self._now: datetime | None = None
        self._checked: set[tuple[type[Any], str]] = set()  # cases that passed the ownership check

    @property
    def now(self) -> datetime:
        """The command's instant, read from the clock on first use and then fixed.

        Read it after loading what the command changes: a concurrent writer that
        committed first is then in the past, so a lost race is a version conflict,
        never a command dated before the history it extends.
        """
        if self._now is None:
            self._now = self._clock.now()
        return self._now

    def get(self, repo: Repository[A], id: str) -> A:
        """Load an aggregate the current caller may see.

        Loaded after the command's instant was fixed, a case changed since then by
        a concurrent writer is a :class:`ConcurrencyError` (reload and retry), not
        a command dated before the history it would extend.
        """
        aggregate = repo.get(id)
        self._check_owner(aggregate)
        history = aggregate.history
        if self._now is not None and history and history[-1].at > self._now:
            raise ConcurrencyError(type(aggregate).__name__, id, aggregate.version - 1, aggregate.version)
        return aggregate

    def read(self, repo: Repository[A], id: str) -> A:
        """Load an aggregate for a read: a case of no customer's is never a customer's to read."""
        aggregate = repo.get(id)
        _check_owner(self.caller, aggregate, reading=True)
        return aggregate

    def add(self, repo: Repository[A], aggregate: A) -> A:
        """Store a new aggregate; returns it as stored (version 1, no pending events)."""
        self._check_owner(aggregate)
        return repo.add(self._observe(aggregate))

    def update(self, repo: Repository[A], aggregate: A) -> A:
        """Store a changed aggregate; returns it as stored (next version, no pending events)."""
        self._check_owner(aggregate)
        return repo.update(self._observe(aggregate))

    def _check_owner(self, aggregate: Any) -> None:
        caller = self.caller
        if caller is None or caller.customer_id is None:
            return
        key = (type(aggregate), aggregate.id)
        if key not in self._checked:
            _check_owner(caller, aggregate)
            self._checked.add(key)

    def _observe(self, aggregate: A) -> A:
        if self._sla is not None:
            aggregate = self._sla.observe(aggregate, self.now)
        self.events.extend(aggregate.events)
        return aggregate


class DeskCore:
    """Ports and plumbing behind :class:`~servicecore.ServiceDesk`; not used on its own."""

    def __init__(
        self,
        *,
        storage: StorageBackend,
        clock: Clock,
        ids: IdGenerator,
        notification_policy: NotificationPolicy,
        permissions: CommandPolicy,
        sla: SlaService | None,
        strict: bool = False,
    ) -> None:
        if not isinstance(strict, bool):
            raise ValidationError("strict", f"must be True or False, got {describe(strict)}")
        self._strict = strict
        self._storage = storage
        self._clock = clock
        self._ids = ids
        self._notification_policy = notification_policy
        self._permissions = permissions
        self._sla = sla
        self._caller: Caller | None = None  # application code, trusted; a command runs on a copy naming its caller

    def _acting_as(self: D, caller: Caller) -> D:
        """This desk as seen by one command's ``caller``: the same ports; the caller goes into every transaction."""
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view._caller = caller
        return view

    @property
    def clock(self) -> Clock:
        """The clock every command reads."""
        return self._clock

    @property
    def strict(self) -> bool:
        """True if every command, reads included, refuses to run without an actor."""
        return self._strict

    @property
    def permissions(self) -> CommandPolicy:
        """The command policy every command is checked against."""
        return self._permissions

    def _now(self) -> datetime:
        return self._clock.now()

    def _new_id(self, kind: str) -> str:
        """A new id for an aggregate (or notification) of ``kind``: the one way commands name what they create."""
        return self._ids.new_id(kind)

    @contextmanager
    def _transaction(self) -> Iterator[Transaction]:
        with self._storage.unit_of_work() as uow:
            tx = Transaction(uow, self._sla, self._clock, self._caller)
            yield tx
            self._queue_notifications(uow, tx.events, tx.now)
            uow.commit()

    @contextmanager
    def _reading(self) -> Iterator[Transaction]:
        """A read-only transaction as the caller: nothing is committed."""
        with self._storage.unit_of_work() as uow:
            yield Transaction(uow, self._sla, self._clock, self._caller)

    def _queue_notifications(self, uow: UnitOfWork, events: list[DomainEvent], now: datetime) -> None:
        for event in events:
            for notification in self._notification_policy.notifications_for(
                event, new_id=lambda: self._new_id("notification"), now=now
            ):
                uow.outbox.add(notification)

    def _change(self, kind: type[A], id: str, change: Callable[[A, datetime], A]) -> A:
        with self._transaction() as tx:
            repo = tx.uow.repository(kind)
            return tx.update(repo, change(tx.get(repo, id), tx.now))

    def _read(self, kind: type[A], id: str) -> A:
        with self._reading() as tx:
            return tx.read(tx.uow.repository(kind), id)

    def _list(self, kind: type[A], **query: Any) -> list[A]:
        caller = self._caller
        if caller is not None and caller.customer_id is not None:  # a customer lists only their own cases
            if query.get("customer_id") not in (None, caller.customer_id):
                raise PermissionDeniedError(caller.actor.id, caller.command, OWN_CASES_RULE)
            query["customer_id"] = caller.customer_id
        with self._storage.unit_of_work() as uow:
            return list(uow.repository(kind).list(ListQuery(**query)))


__all__ = [
    "Caller",
    "DeskCore",
    "Transaction",
    "change_names",
    "command",
    "command_names",
    "query",
    "query_names",
]
