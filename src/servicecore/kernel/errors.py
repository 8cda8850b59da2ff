"""The one error hierarchy of servicecore.

Every error the library raises on purpose derives from :class:`ServiceCoreError`,
so callers can catch the whole family in one ``except`` and still tell the cases
apart by class. Messages name the object, its state and the rule that was broken.
"""

from __future__ import annotations

from collections.abc import Iterable


class ServiceCoreError(Exception):
    """Root of every error servicecore raises deliberately."""


class ValidationError(ServiceCoreError, ValueError):
    """Input that does not satisfy a field's rule.

    ``field`` names the offending field (a dotted path where nested).
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class DeserializationError(ValidationError):
    """Structured data (a dict, JSON) could not be turned into a servicecore object.

    ``errors`` holds one readable line per problem, each ending in ``@ $.path``.
    """

    def __init__(self, target: str, errors: Iterable[str]) -> None:
        self.errors = tuple(errors)
        super().__init__(target, "; ".join(self.errors) or "invalid data")


class InvalidTransitionError(ServiceCoreError):
    """A command was issued in a state that does not allow it."""

    def __init__(
        self,
        aggregate: str,
        aggregate_id: str,
        state: str,
        action: str,
        allowed_from: Iterable[str],
    ) -> None:
        self.aggregate = aggregate
        self.aggregate_id = aggregate_id
        self.state = state
        self.action = action
        self.allowed_from = tuple(allowed_from)
        allowed = ", ".join(self.allowed_from) or "no state"
        super().__init__(f"{aggregate} {aggregate_id} is {state!r}; {action!r} is allowed only from: {allowed}")


class BusinessRuleError(ServiceCoreError):
    """A domain rule other than the state machine itself refused the command.

    Examples: completing a work order with required steps still open, or
    editing an agreement revision the customer has already confirmed.
    """

    def __init__(self, aggregate: str, aggregate_id: str, rule: str) -> None:
        self.aggregate = aggregate
        self.aggregate_id = aggregate_id
        self.rule = rule
        super().__init__(f"{aggregate} {aggregate_id}: {rule}")


class NotFoundError(ServiceCoreError, LookupError):
    """No aggregate of that kind with that id exists in storage."""

    def __init__(self, aggregate: str, aggregate_id: str) -> None:
        self.aggregate = aggregate
        self.aggregate_id = aggregate_id
        super().__init__(f"{aggregate} {aggregate_id} does not exist")


class ConcurrencyError(ServiceCoreError):
    """A write was based on a stale version; somebody else changed the aggregate first."""

    def __init__(self, aggregate: str, aggregate_id: str, expected: int, actual: int | None) -> None:
        self.aggregate = aggregate
        self.aggregate_id = aggregate_id
        self.expected = expected
        self.actual = actual
        found = "it no longer exists" if actual is None else f"storage holds version {actual}"
        super().__init__(
            f"{aggregate} {aggregate_id}: write based on version {expected}, but {found}; reload and retry"
        )


class PermissionDeniedError(ServiceCoreError):
    """An actor may not run a command; names the actor, the command and the rule."""

    def __init__(self, actor_id: str, command: str, rule: str) -> None:
        self.actor_id = actor_id
        self.command = command
        self.rule = rule
        super().__init__(f"actor {actor_id} may not {command}: {rule}")


class SeparationOfDutiesError(PermissionDeniedError):
    """The same person would hold two roles that must be held by different people."""


class PluginError(ServiceCoreError):
    """A plugin or backend could not be found, loaded or used."""


class BackendNotFoundError(PluginError, LookupError):
    """No backend of that kind is registered under that name.

    ``available`` lists the registered names; ``failed`` describes plugins that
    failed to load or whose hook raised, since one of them may be the provider.
    """

    def __init__(self, kind: str, name: str, available: Iterable[str], failed: Iterable[str] = ()) -> None:
        self.kind = kind
        self.name = name
        self.available = tuple(sorted(available))
        self.failed = tuple(failed)
        listed = ", ".join(self.available) or "none"
        message = f"no {kind} backend named {name!r}; registered {kind} backends: {listed}"
        if self.failed:  # the plugin meant to provide it may be among these
            message += f"; plugins that failed: {'; '.join(self.failed)}"
        super().__init__(message)


class ConfigurationError(ServiceCoreError):
    """The library was configured inconsistently (e.g. two backends with one name)."""


class RenderingError(ServiceCoreError):
    """A document could not be rendered (missing template, template error)."""


class StorageError(ServiceCoreError):
    """The storage backend failed (unreachable, locked for too long, out of space...); the command wrote nothing.

    The backend's own exception is the ``__cause__``; retrying later is safe.
    """


class DuplicateIdError(ServiceCoreError):
    """Storage already holds a record under this id, so a new one cannot take it (``kind`` names the record)."""

    def __init__(self, kind: str, record_id: str, where: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"{where} already holds {kind} {record_id}")


class UnitOfWorkEndedError(ServiceCoreError):
    """A unit of work was used after it ended (committed, rolled back or closed); start a new one."""

    def __init__(self) -> None:
        super().__init__("this unit of work has ended; start a new one")


__all__ = [
    "BackendNotFoundError",
    "BusinessRuleError",
    "ConcurrencyError",
    "ConfigurationError",
    "DeserializationError",
    "DuplicateIdError",
    "InvalidTransitionError",
    "NotFoundError",
    "PermissionDeniedError",
    "PluginError",
    "RenderingError",
    "SeparationOfDutiesError",
    "ServiceCoreError",
    "StorageError",
    "UnitOfWorkEndedError",
    "ValidationError",
]
