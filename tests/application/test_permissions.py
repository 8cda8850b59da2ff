"""The command policy: a role × command matrix, customers limited to their own cases, and customisation."""

from __future__ import annotations

import inspect

import pytest

import servicecore as sc
from servicecore.application.permissions import (
    DEFAULT_POLICY,
    DEFAULT_RULES,
    STAFF,
    CommandPolicy,
    Role,
    apply_overrides,
)

NOT_COMMANDS = {"clock", "checklist_templates", "close"}
"""Public ServiceDesk members that are plumbing, not commands."""

DISCIPLINE_COMMANDS = [
    "receive_complaint",
    "acknowledge_complaint",
    "start_complaint_investigation",
    "resolve_complaint",
    "confirm_complaint_resolution",
    "close_complaint_after_silence",
    "reopen_complaint",
    "withdraw_complaint",
    "get_complaint",
    "list_complaints",
    "report_violation",
    "raise_violation_from_complaint",
    "assign_violation_investigators",
    "add_violation_evidence",
    "determine_violation",
    "decide_violation",
    "publish_violation",
    "finalize_violation",
    "get_violation",
    "list_violations",
    "file_appeal",
    "start_appeal_review",
    "uphold_appeal",
    "reject_appeal",
    "close_appeal",
    "get_appeal",
    "list_appeals",
    "render_complaint_reply",
    "render_violation_decision_letter",
    "render_publication_notice",
    "render_appeal_decision",
]


def only(role: str, id: str = "X-1") -> sc.Actor:
    return sc.Actor(id, f"Someone ({role})", [role])


def facade_commands() -> set[str]:
    """Every public method of the desk, its own or inherited (properties and constructors aside)."""
    found = set()
    for name in dir(sc.ServiceDesk):
        member = inspect.getattr_static(sc.ServiceDesk, name)
        if name.startswith("_") or name in NOT_COMMANDS or isinstance(member, property | classmethod | staticmethod):
            continue
        if callable(member):
            found.add(name)
    return found


# --- coverage -------------------------------------------------------------------------------


def test_every_facade_command_has_a_rule() -> None:
    missing = sorted(facade_commands() - set(DEFAULT_POLICY.commands))
    assert not missing, f"ServiceDesk commands without a rule in DEFAULT_RULES: {missing}"


def test_every_complaint_violation_and_appeal_command_has_a_rule() -> None:
    assert not sorted(set(DISCIPLINE_COMMANDS) - set(DEFAULT_POLICY.commands))


def test_every_rule_allows_somebody_and_only_known_roles() -> None:
    for command, roles in DEFAULT_RULES.items():
        assert roles, f"{command} is allowed to nobody"
        assert roles <= set(Role), f"{command} names unknown roles {roles - set(Role)}"


# --- the matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", DEFAULT_POLICY.commands)
def test_every_command_is_denied_to_every_role_the_policy_does_not_allow(command: str) -> None:
    allowed = DEFAULT_POLICY.roles_for(command)
    for role in Role:
        actor = only(role, id=f"A-{role}")
        if role in allowed:
            DEFAULT_POLICY.check(actor, command)
            assert DEFAULT_POLICY.allows(actor, command)
            continue
        assert not DEFAULT_POLICY.allows(actor, command)
        with pytest.raises(sc.PermissionDeniedError) as info:
            DEFAULT_POLICY.check(actor, command)
        err = info.value
        assert type(err) is sc.PermissionDeniedError
        assert (err.actor_id, err.command) == (f"A-{role}", command)
        assert f"actor has: {role}" in err.rule
        for needed in allowed:
            assert needed in err.rule, "the rule names the roles that would be allowed"
        assert f"A-{role}" in str(err)
        assert command in str(err)


@pytest.mark.parametrize("command", DEFAULT_POLICY.commands)
def test_an_actor_without_roles_or_with_unknown_roles_may_do_nothing(command: str) -> None:
    for actor in (sc.Actor("N-1", "Nobody"), sc.Actor("N-2", "Guest", ["guest", "planner"])):
        with pytest.raises(sc.PermissionDeniedError, match=r"no roles|guest, planner"):
            DEFAULT_POLICY.check(actor, command)


def test_one_allowing_role_is_enough() -> None:
    actor = sc.Actor("E-1", "Li Na", ["engineer", "discipline_officer"])
    DEFAULT_POLICY.check(actor, "decide_violation")
    DEFAULT_POLICY.check(actor, "start_work_order")


@pytest.mark.parametrize(
    ("command", "roles"),
    [
        ("decide_violation", {Role.DISCIPLINE_OFFICER}),
        ("uphold_appeal", {Role.APPEAL_PANEL_MEMBER}),
        ("reject_appeal", {Role.APPEAL_PANEL_MEMBER}),
        ("approve_agreement", {Role.REVIEWER, Role.SUPERVISOR}),
        ("confirm_agreement", {Role.CUSTOMER}),
        ("coordinate_hold", {Role.SUPERVISOR}),
        ("file_appeal", STAFF),
    ],
)
def test_who_decides_what(command: str, roles: set[str]) -> None:
    assert DEFAULT_POLICY.roles_for(command) == roles


def test_customers_see_no_violation_or_appeal_and_list_nothing() -> None:
    customer = only(Role.CUSTOMER)
    for command in DEFAULT_POLICY.commands:
        if ("violation" in command and command != "report_violation") or "appeal" in command:
            assert not DEFAULT_POLICY.allows(customer, command), command
        if command.startswith("list_") or command.endswith("_notifications"):
            assert not DEFAULT_POLICY.allows(customer, command), command


def test_administrators_run_the_system_but_decide_no_case() -> None:
    admin = only(Role.ADMINISTRATOR)
    for command in ("decide_violation", "uphold_appeal", "approve_agreement", "resolve_complaint", "confirm_agreement"):
        assert not DEFAULT_POLICY.allows(admin, command)
    for command in ("dispatch_notifications", "list_violations", "render_publication_notice", "get_request"):
        assert DEFAULT_POLICY.allows(admin, command)


# --- unknown commands -----------------------------------------------------------------------------


def test_an_unknown_command_is_a_configuration_error() -> None:
    with pytest.raises(sc.ConfigurationError, match="'decide_violations'"):
        DEFAULT_POLICY.check(only(Role.DISCIPLINE_OFFICER), "decide_violations")
    with pytest.raises(sc.ConfigurationError):
        DEFAULT_POLICY.allows(only(Role.AGENT), "nope")
    with pytest.raises(sc.ConfigurationError):
        DEFAULT_POLICY.check_owner(only(Role.CUSTOMER), "nope", "C-1")


# --- a customer's own cases -----------------------------------------------------------------------


def test_a_customer_acts_only_on_their_own_cases() -> None:
    customer = sc.Actor("C-1", "Wang Fang", ["customer"])
    DEFAULT_POLICY.check_owner(customer, "get_complaint", "C-1")
    DEFAULT_POLICY.check_owner(customer, "reopen_complaint", "C-1")
    for command in ("get_request", "get_complaint", "withdraw_complaint", "receive_complaint"):
        with pytest.raises(sc.PermissionDeniedError) as info:
            DEFAULT_POLICY.check_owner(customer, command, "C-2")
        assert (info.value.actor_id, info.value.command) == ("C-1", command)
        assert "their own requests and complaints" in info.value.rule


def test_the_role_check_comes_before_the_ownership_check() -> None:
    with pytest.raises(sc.PermissionDeniedError, match="requires one of the roles"):
        DEFAULT_POLICY.check_owner(sc.Actor("C-1", "W", ["customer"]), "list_complaints", "C-1")


def test_staff_are_not_limited_to_one_customer() -> None:
    DEFAULT_POLICY.check_owner(only(Role.AGENT), "get_complaint", "C-2")
    both = sc.Actor("E-9", "Agent who is also a customer", ["customer", "agent"])
    DEFAULT_POLICY.check_owner(both, "get_complaint", "C-2")


def test_a_customer_may_be_linked_to_their_organisation() -> None:
    contact = sc.Actor("contact-7", "Dee", ["customer"])
    linked = DEFAULT_POLICY.with_customer_link(lambda actor: {"contact-7": "cust-1"}.get(actor.id, actor.id))
    linked.check_owner(contact, "get_request", "cust-1")
    with pytest.raises(sc.PermissionDeniedError):
        DEFAULT_POLICY.check_owner(contact, "get_request", "cust-1")
    assert linked.rules == DEFAULT_POLICY.rules


# --- customising -------------------------------------------------------------------------------------


def test_overrides_replace_roles_and_leave_the_original_alone() -> None:
    policy = DEFAULT_POLICY.with_overrides({"decide_violation": ["supervisor"], "publish_violation": []})
    supervisor, officer = only(Role.SUPERVISOR), only(Role.DISCIPLINE_OFFICER)
    policy.check(supervisor, "decide_violation")
    with pytest.raises(sc.PermissionDeniedError):
        policy.check(officer, "decide_violation")
    with pytest.raises(sc.PermissionDeniedError, match="nobody"):
        policy.check(officer, "publish_violation")
    DEFAULT_POLICY.check(officer, "decide_violation")
    assert DEFAULT_POLICY.roles_for("decide_violation") == {"discipline_officer"}
    assert policy != DEFAULT_POLICY
    assert DEFAULT_POLICY.with_overrides({}) == DEFAULT_POLICY


def test_overriding_an_unknown_command_is_refused() -> None:
    with pytest.raises(sc.ConfigurationError, match="decide_violations"):
        DEFAULT_POLICY.with_overrides({"decide_violations": ["supervisor"]})


def test_grant_and_revoke() -> None:
    policy = DEFAULT_POLICY.grant("decide_violation", "supervisor", "hr_manager").revoke(
        "decide_violation", "discipline_officer"
    )
    assert policy.roles_for("decide_violation") == {"supervisor", "hr_manager"}
    policy.check(sc.Actor("H-1", "HR", ["hr_manager"]), "decide_violation")


def test_applications_add_their_own_commands() -> None:
    policy = DEFAULT_POLICY.with_commands({"export_kpis": [Role.SUPERVISOR, "analyst"]})
    policy.check(sc.Actor("A-1", "Analyst", ["analyst"]), "export_kpis")
    with pytest.raises(sc.ConfigurationError, match="exist already"):
        DEFAULT_POLICY.with_commands({"decide_violation": ["analyst"]})


@pytest.mark.parametrize("roles", ["supervisor", [""], [3]])
def test_roles_must_be_a_collection_of_names(roles: object) -> None:
    with pytest.raises(sc.ConfigurationError, match="decide_violation"):
        DEFAULT_POLICY.with_overrides({"decide_violation": roles})  # type: ignore[dict-item]


def test_command_names_must_be_text() -> None:
    with pytest.raises(sc.ConfigurationError):
        CommandPolicy({" ": ["agent"]})


def test_plugin_overrides_apply_in_order_and_may_not_collide() -> None:
    policy = apply_overrides(
        DEFAULT_POLICY,
        [("acme", {"decide_violation": ["supervisor"]}), ("hr", {"publish_violation": ["hr_manager"]})],
    )
    assert policy.roles_for("decide_violation") == {"supervisor"}
    assert policy.roles_for("publish_violation") == {"hr_manager"}
    with pytest.raises(sc.ConfigurationError, match="'acme' and 'hr'"):
        apply_overrides(DEFAULT_POLICY, [("acme", {"decide_violation": []}), ("hr", {"decide_violation": []})])
    with pytest.raises(sc.ConfigurationError, match=r"plugin 'acme'.*mapping"):
        apply_overrides(DEFAULT_POLICY, [("acme", ["decide_violation"])])  # type: ignore[list-item]
    with pytest.raises(sc.ConfigurationError, match=r"plugin 'acme'.*nope"):
        apply_overrides(DEFAULT_POLICY, [("acme", {"nope": []})])


def test_the_policy_reads_like_a_table() -> None:
    assert list(DEFAULT_POLICY) == sorted(DEFAULT_RULES)
    assert "commands" in repr(DEFAULT_POLICY)
    with pytest.raises(TypeError):
        hash(DEFAULT_POLICY)
    with pytest.raises(TypeError):
        DEFAULT_POLICY.rules["decide_violation"] = frozenset()  # type: ignore[index]
