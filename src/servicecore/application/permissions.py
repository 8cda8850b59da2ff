"""Who may run which command: roles and the command policy.

A :class:`CommandPolicy` maps every :class:`~servicecore.ServiceDesk` command
name to the roles allowed to run it; an actor may run a command if any of its
``roles`` is allowed. :data:`DEFAULT_POLICY` is the built-in table (see
:data:`DEFAULT_RULES`); derive your own with :meth:`CommandPolicy.with_overrides`,
:meth:`~CommandPolicy.grant`, :meth:`~CommandPolicy.revoke` or
:meth:`~CommandPolicy.with_commands` (the policy is immutable).

Roles are plain strings on :class:`~servicecore.Actor`; :class:`Role` names the
built-in ones, and an application may use its own.

Customers may act only on their own cases: for a command on a request,
agreement, acceptance or complaint, call :meth:`CommandPolicy.check_owner` with
the case's customer id. Staff roles are not limited that way; the domain's own
rules (separation of duties, the designated inspector, the sanctioned
appellant) still apply to everyone.

Work on a work order is done by its assignees. An actor holding one of the
policy's ``supervisor_roles`` (default: ``supervisor``) may do it too: the
facade asks :meth:`CommandPolicy.supervises` and passes the answer to the
domain method, which records the work "as supervisor".

>>> from servicecore import Actor
>>> DEFAULT_POLICY.allows(Actor("E-1", "Li Na", ["agent"]), "acknowledge_request")
True
>>> DEFAULT_POLICY.check(Actor("C-1", "Wang Fang", ["customer"]), "decide_violation")
Traceback (most recent call last):
...
servicecore.kernel.errors.PermissionDeniedError: actor C-1 may not decide_violation: requires one of the roles \
discipline_officer; actor has: customer
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType

from servicecore.domain.errors import ConfigurationError, PermissionDeniedError
from servicecore.domain.values import Actor, describe_names


class Role(enum.StrEnum):
    """The built-in roles."""

    CUSTOMER = "customer"
    """A customer contact: acts only on their own requests, agreements, acceptances and complaints."""
    AGENT = "agent"
    """Customer service: intake, proposals, scheduling."""
    ENGINEER = "engineer"
    """Field staff who carry out work orders."""
    SUPERVISOR = "supervisor"
    """Handles exceptions, oversees the service, investigates complaints."""
    QUALITY_INSPECTOR = "quality_inspector"
    """Internal quality supervision, or a third-party inspector at acceptance."""
    REVIEWER = "reviewer"
    """Reviews proposals internally."""
    DISCIPLINE_OFFICER = "discipline_officer"
    """Handles violation cases: investigation, decision, publication."""
    APPEAL_PANEL_MEMBER = "appeal_panel_member"
    """Sits on appeal panels."""
    ADMINISTRATOR = "administrator"
    """Runs the system: reads, documents and notifications, but no case decisions."""


_R = Role
STAFF: frozenset[str] = frozenset(Role) - {Role.CUSTOMER}
"""Every built-in role except customer."""
_READERS = frozenset(
    {_R.AGENT, _R.ENGINEER, _R.SUPERVISOR, _R.QUALITY_INSPECTOR, _R.REVIEWER, _R.DISCIPLINE_OFFICER, _R.ADMINISTRATOR}
)
_AGENTS = frozenset({_R.AGENT, _R.SUPERVISOR})
_FIELD = frozenset({_R.ENGINEER, _R.SUPERVISOR})
_INSPECTORS = frozenset({_R.CUSTOMER, _R.QUALITY_INSPECTOR})
_COMPLAINT_STAFF = frozenset({_R.AGENT, _R.SUPERVISOR, _R.QUALITY_INSPECTOR, _R.DISCIPLINE_OFFICER, _R.ADMINISTRATOR})
_INVESTIGATORS = frozenset({_R.SUPERVISOR, _R.QUALITY_INSPECTOR, _R.DISCIPLINE_OFFICER})
_CASE_READERS = frozenset(
    {_R.SUPERVISOR, _R.QUALITY_INSPECTOR, _R.DISCIPLINE_OFFICER, _R.APPEAL_PANEL_MEMBER, _R.ADMINISTRATOR}
)
_APPEAL_READERS = frozenset({_R.APPEAL_PANEL_MEMBER, _R.DISCIPLINE_OFFICER, _R.ADMINISTRATOR})


def _roles(*roles: Role) -> frozenset[str]:
    return frozenset(roles)


DEFAULT_RULES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        # --- service requests ---
        "receive_request": _roles(_R.CUSTOMER, _R.AGENT, _R.SUPERVISOR),
        "acknowledge_request": _AGENTS,
        "assess_request": _roles(_R.AGENT, _R.ENGINEER, _R.SUPERVISOR),
        "decline_request": _AGENTS,
        "withdraw_request": _roles(_R.CUSTOMER, _R.AGENT, _R.SUPERVISOR),
        "close_request": _AGENTS,
        "raise_request_priority": _AGENTS,
        "get_request": _READERS | {_R.CUSTOMER},
        "list_requests": _READERS,
        # --- agreements ---
        "draft_agreement": _AGENTS,
        "revise_agreement": _AGENTS,
        "submit_agreement_for_review": _AGENTS,
        "approve_agreement": _roles(_R.REVIEWER, _R.SUPERVISOR),
        "return_agreement": _roles(_R.REVIEWER, _R.SUPERVISOR),
        "offer_agreement": _AGENTS,
        "confirm_agreement": _roles(_R.CUSTOMER),
        "decline_agreement": _roles(_R.CUSTOMER),
        "request_agreement_change": _roles(_R.CUSTOMER),
        "activate_agreement": _AGENTS,
        "terminate_agreement": _roles(_R.SUPERVISOR),
        "get_agreement": _READERS | {_R.CUSTOMER},
        "list_agreements": _READERS,
        # --- work orders ---
        "create_work_order": _AGENTS,
        "reassign_work_order": _AGENTS,
        "start_work_order": _FIELD,
        "complete_step": _FIELD,
        "skip_step": _FIELD,
        "hold_work_order": _FIELD,
        "report_hold": _FIELD,
        "coordinate_hold": _roles(_R.SUPERVISOR),
        "inform_customer_of_hold": _FIELD | {_R.AGENT},
        "resume_work_order": _FIELD,
        "complete_work_order": _FIELD,
        "cancel_work_order": _AGENTS,
        "get_work_order": _READERS,
        "list_work_orders": _READERS,
        # --- acceptance ---
        "open_acceptance": _AGENTS,
        "record_inspection": _INSPECTORS,
        "order_rectification": _INSPECTORS | _AGENTS,
        "mark_rectified": _FIELD,
        "sign_acceptance_report": _INSPECTORS,
        "get_acceptance": _READERS | {_R.CUSTOMER},
        "list_acceptances": _READERS,
        # --- complaints ---
        "receive_complaint": _roles(_R.CUSTOMER, _R.AGENT, _R.SUPERVISOR),
        "acknowledge_complaint": _AGENTS,
        "start_complaint_investigation": _roles(_R.SUPERVISOR, _R.QUALITY_INSPECTOR),
        "add_complaint_evidence": _roles(_R.SUPERVISOR, _R.QUALITY_INSPECTOR),
        "resolve_complaint": _roles(_R.SUPERVISOR, _R.QUALITY_INSPECTOR),
        "confirm_complaint_resolution": _roles(_R.CUSTOMER, _R.AGENT),
        "close_complaint_after_silence": _AGENTS,
        "reopen_complaint": _roles(_R.CUSTOMER, _R.AGENT),
        "withdraw_complaint": _roles(_R.CUSTOMER, _R.AGENT),
        "get_complaint": _COMPLAINT_STAFF | {_R.CUSTOMER},
        "list_complaints": _COMPLAINT_STAFF,
        # --- violations ---
        "report_violation": STAFF | {_R.CUSTOMER},
        "raise_violation_from_complaint": _INVESTIGATORS,
        "assign_violation_investigators": _roles(_R.SUPERVISOR, _R.DISCIPLINE_OFFICER),
        "add_violation_evidence": _INVESTIGATORS,
        "determine_violation": _INVESTIGATORS,
        "decide_violation": _roles(_R.DISCIPLINE_OFFICER),
        "publish_violation": _roles(_R.DISCIPLINE_OFFICER),
        "finalize_violation": _roles(_R.DISCIPLINE_OFFICER),
        "get_violation": _CASE_READERS,
        "list_violations": _CASE_READERS,
        # --- appeals ---
        "file_appeal": STAFF,
        "start_appeal_review": _roles(_R.APPEAL_PANEL_MEMBER),
        "uphold_appeal": _roles(_R.APPEAL_PANEL_MEMBER),
        "reject_appeal": _roles(_R.APPEAL_PANEL_MEMBER),
        "close_appeal": _roles(_R.APPEAL_PANEL_MEMBER, _R.DISCIPLINE_OFFICER),
        "get_appeal": _APPEAL_READERS,
        "list_appeals": _APPEAL_READERS,
        # --- documents ---
        "render_work_order_sheet": _READERS - {_R.REVIEWER, _R.DISCIPLINE_OFFICER} | {_R.CUSTOMER},
        "render_acceptance_report": _AGENTS | {_R.CUSTOMER, _R.QUALITY_INSPECTOR, _R.ADMINISTRATOR},
        "render_rectification_notice": _AGENTS | _FIELD | {_R.CUSTOMER, _R.QUALITY_INSPECTOR, _R.ADMINISTRATOR},
        "render_complaint_reply": _roles(_R.CUSTOMER, _R.AGENT, _R.SUPERVISOR, _R.QUALITY_INSPECTOR),
        "render_violation_decision_letter": _roles(_R.DISCIPLINE_OFFICER, _R.ADMINISTRATOR),
        "render_publication_notice": STAFF,
        "render_appeal_decision": _APPEAL_READERS,
        # --- service levels ---
        "scan_sla": _roles(_R.SUPERVISOR, _R.ADMINISTRATOR),
        "recompute_sla": _roles(_R.SUPERVISOR, _R.ADMINISTRATOR),
        # --- notifications ---
        "pending_notifications": _roles(_R.SUPERVISOR, _R.ADMINISTRATOR),
        "dispatch_notifications": _roles(_R.ADMINISTRATOR),
    }
)
"""The built-in table: command name → roles allowed to run it."""

OWNER_SCOPED_ROLES: frozenset[str] = frozenset({Role.CUSTOMER})
"""Roles that only reach the actor's own cases (see :meth:`CommandPolicy.check_owner`)."""

SUPERVISOR_ROLES: frozenset[str] = frozenset({Role.SUPERVISOR})
"""Roles with supervisor authority over work orders they are not assigned to (see :meth:`CommandPolicy.supervises`)."""


def actor_customer_id(actor: Actor) -> str:
    """The default link from a customer contact to their customer: the actor's own id."""
    return actor.id


def _role_set(command: str, roles: Iterable[str]) -> frozenset[str]:
    if isinstance(roles, str):
        raise ConfigurationError(f"roles for command {command!r} must be a collection of role names, not {roles!r}")
    result = frozenset(roles)
    for role in result:
        if not isinstance(role, str) or not role.strip():
            raise ConfigurationError(f"roles for command {command!r} must be non-empty strings, got {role!r}")
    return result


class CommandPolicy:
    """An immutable table of which roles may run each command.

    ``customer_of`` links a customer-role actor to the customer they act for
    (default: the actor's id is the customer id); ``owner_scoped_roles`` are the
    roles limited to the actor's own cases; ``supervisor_roles`` are the roles
    that may work on a work order without being assigned to it.
    """

    __slots__ = ("_customer_of", "_owner_scoped", "_rules", "_supervisor_roles")

    def __init__(
        self,
        rules: Mapping[str, Iterable[str]],
        *,
        customer_of: Callable[[Actor], str] = actor_customer_id,
        owner_scoped_roles: Iterable[str] = OWNER_SCOPED_ROLES,
        supervisor_roles: Iterable[str] = SUPERVISOR_ROLES,
    ) -> None:
        table: dict[str, frozenset[str]] = {}
        for command, roles in rules.items():
            if not isinstance(command, str) or not command.strip():
                raise ConfigurationError(f"command names must be non-empty strings, got {command!r}")
            table[command] = _role_set(command, roles)
        self._rules: Mapping[str, frozenset[str]] = MappingProxyType(table)
        self._customer_of = customer_of
        self._owner_scoped = frozenset(owner_scoped_roles)
        self._supervisor_roles = frozenset(supervisor_roles)

    # --- reading ------------------------------------------------------------

    @property
    def rules(self) -> Mapping[str, frozenset[str]]:
        """Command name → allowed roles (read-only)."""
        return self._rules

    @property
    def commands(self) -> tuple[str, ...]:
        """Every command the policy knows, sorted."""
        return tuple(sorted(self._rules))

    def __iter__(self) -> Iterator[str]:
        return iter(self.commands)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CommandPolicy):
            return NotImplemented
        return (dict(self._rules), self._customer_of, self._owner_scoped, self._supervisor_roles) == (
            dict(other._rules),
            other._customer_of,
            other._owner_scoped,
            other._supervisor_roles,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CommandPolicy({len(self._rules)} commands)"

    def roles_for(self, command: str) -> frozenset[str]:
        """The roles allowed to run ``command``; an unknown command is a :class:`ConfigurationError`."""
        try:
            return self._rules[command]
        except KeyError:
            raise ConfigurationError(
                f"the command policy has no rule for command {command!r}; add one with with_commands()"
            ) from None

    def allows(self, actor: Actor, command: str) -> bool:
        """True if one of ``actor``'s roles may run ``command`` (ownership not considered)."""
        return bool(self.roles_for(command) & actor.roles)

    # --- checks -------------------------------------------------------------

    def check(self, actor: Actor, command: str) -> None:
        """Raise :class:`PermissionDeniedError` (actor, command, rule) unless a role of ``actor`` allows ``command``."""
        allowed = self.roles_for(command)
        if not allowed & actor.roles:
            roles = describe_names(sorted(actor.roles)) or "no roles"
            needed = ", ".join(sorted(allowed)) or "nobody (the command is disabled)"
            raise PermissionDeniedError(actor.id, command, f"requires one of the roles {needed}; actor has: {roles}")

    def supervises(self, actor: Actor) -> bool:
        """True if ``actor`` holds a supervisor role: may work on a work order it is not assigned to, as supervisor."""
        return bool(self._supervisor_roles & actor.roles)

    def customer_id_of(self, actor: Actor) -> str:
        """The customer a customer-role ``actor`` acts for (by default, the actor's own id)."""
        return self._customer_of(actor)

    def limits_to_own_cases(self, actor: Actor, command: str) -> bool:
        """True if ``actor`` may run ``command`` only through roles limited to its own cases (a customer)."""
        granting = self.roles_for(command) & actor.roles
        return bool(granting) and not granting - self._owner_scoped

    def check_owner(self, actor: Actor, command: str, customer_id: str) -> None:
        """Like :meth:`check`, and a customer may only act on their own case (``customer_id``'s).

        An actor whose staff role allows the command is not limited to one customer.
        """
        self.check(actor, command)
        granting = self.roles_for(command) & actor.roles
        if granting - self._owner_scoped:
            return
        if self._customer_of(actor) != customer_id:
            raise PermissionDeniedError(
                actor.id, command, "a customer may only see and act on their own requests and complaints"
            )

    # --- deriving -----------------------------------------------------------

    def _derive(self, rules: Mapping[str, Iterable[str]]) -> CommandPolicy:
        return CommandPolicy(
            rules,
            customer_of=self._customer_of,
            owner_scoped_roles=self._owner_scoped,
            supervisor_roles=self._supervisor_roles,
        )

    def _known(self, commands: Iterable[str], how: str) -> None:
        unknown = sorted(c for c in commands if c not in self._rules)
        if unknown:
            raise ConfigurationError(
                f"{how}: unknown commands {unknown}; use with_commands() to add commands of your own"
            )

    def with_overrides(self, overrides: Mapping[str, Iterable[str]]) -> CommandPolicy:
        """A copy whose listed commands are allowed to exactly the given roles (empty: nobody)."""
        self._known(overrides, "with_overrides")
        return self._derive({**self._rules, **overrides})

    def with_commands(self, additions: Mapping[str, Iterable[str]]) -> CommandPolicy:
        """A copy that also knows new commands (an application's own); existing ones are refused."""
        existing = sorted(c for c in additions if c in self._rules)
        if existing:
            raise ConfigurationError(f"with_commands: commands {existing} exist already; use with_overrides()")
        return self._derive({**self._rules, **additions})

    def grant(self, command: str, *roles: str) -> CommandPolicy:
        """A copy in which ``roles`` may also run ``command``."""
        return self.with_overrides({command: self.roles_for(command) | _role_set(command, roles)})

    def revoke(self, command: str, *roles: str) -> CommandPolicy:
        """A copy in which ``roles`` may no longer run ``command``."""
        return self.with_overrides({command: self.roles_for(command) - _role_set(command, roles)})

    def with_customer_link(self, customer_of: Callable[[Actor], str]) -> CommandPolicy:
        """A copy that finds a customer contact's customer id with ``customer_of``."""
        return CommandPolicy(
            self._rules,
            customer_of=customer_of,
            owner_scoped_roles=self._owner_scoped,
            supervisor_roles=self._supervisor_roles,
        )


DEFAULT_POLICY = CommandPolicy(DEFAULT_RULES)
"""The built-in policy."""


def apply_overrides(
    policy: CommandPolicy, contributions: Iterable[tuple[str, Mapping[str, Iterable[str]]]]
) -> CommandPolicy:
    """Apply overrides contributed by plugins, in order; two plugins overriding one command is an error.

    ``contributions`` are ``(plugin name, {command: roles})`` pairs.
    """
    owners: dict[str, str] = {}
    for plugin, overrides in contributions:
        if not isinstance(overrides, Mapping):
            raise ConfigurationError(
                f"plugin {plugin!r}: command policy overrides must be a mapping, got {type(overrides).__name__}"
            )
        for command in overrides:
            if command in owners:
                raise ConfigurationError(
                    f"command {command!r} is overridden by both {owners[command]!r} and {plugin!r}"
                )
            owners[command] = plugin
        try:
            policy = policy.with_overrides(overrides)
        except ConfigurationError as exc:
            raise ConfigurationError(f"plugin {plugin!r}: {exc}") from None
    return policy


__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_RULES",
    "OWNER_SCOPED_ROLES",
    "STAFF",
    "SUPERVISOR_ROLES",
    "CommandPolicy",
    "Role",
    "actor_customer_id",
    "apply_overrides",
]
