"""The role × command matrix at the facade: every ServiceDesk command refuses every role the policy does not allow.

The role check runs before any argument is used, so each command is called with
placeholder arguments; a check that ran later would trip over them first.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import servicecore as sc
from servicecore.application.core import command_names
from servicecore.application.permissions import DEFAULT_POLICY, Role
from tests.application.support import AGENT, CUSTOMER, ENGINEER, SUPERVISOR, WANG_FANG, Desk

COMMANDS = command_names(sc.ServiceDesk)


class Placeholder:
    """An argument no command can use: any attempt to look at it fails loudly."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<placeholder {self.name}>"


def call(desk: sc.ServiceDesk, command: str, actor: sc.Actor) -> Any:
    """Call ``command`` as ``actor``, with a placeholder for every argument it requires."""
    method = getattr(desk, command)
    args: list[Any] = []
    kwargs: dict[str, Any] = {"actor": actor}
    for name, parameter in inspect.signature(method).parameters.items():
        if name == "actor" or parameter.default is not inspect.Parameter.empty:
            continue
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[name] = Placeholder(name)
        else:
            args.append(Placeholder(name))
    return method(*args, **kwargs)


@pytest.fixture(scope="module")
def populated() -> Desk:
    """A desk with one case of each kind a refused command could touch by mistake (refusals never change it)."""
    world = Desk()
    order = world.completed_order()
    world.desk.receive_complaint(
        actor=AGENT,
        complainant=WANG_FANG,
        subject=sc.ComplaintSubject(request_id=order.request_id, work_order_id=order.id),
        channel="hotline",
        category="quality",
        severity="major",
        description="灭蟑后又出现蟑螂",
    )
    world.desk.report_violation(
        actor=SUPERVISOR,
        subject=ENGINEER,
        category="service_norm_breach",
        source=sc.ViolationSource.staff_report(SUPERVISOR),
        description="迟到一小时未通知客户",
    )
    return world


def test_every_command_has_a_rule_and_every_rule_a_command() -> None:
    assert len(COMMANDS) > 70
    assert set(COMMANDS) - set(DEFAULT_POLICY.commands) == set(), "facade commands without a rule"
    assert set(DEFAULT_POLICY.commands) - set(COMMANDS) == set(), "rules for commands the facade does not have"


@pytest.mark.parametrize("command", DEFAULT_POLICY.commands)
def test_every_command_refuses_every_role_the_policy_does_not_allow(populated: Desk, command: str) -> None:
    allowed = DEFAULT_POLICY.roles_for(command)
    refused = [role for role in Role if role not in allowed]
    assert refused or allowed == set(Role)
    before = populated.state()
    for role in refused:
        actor = sc.Actor(f"A-{role}", f"Only {role}", [role])
        with pytest.raises(sc.PermissionDeniedError) as caught:
            call(populated.desk, command, actor)
        error = caught.value
        assert type(error) is sc.PermissionDeniedError
        assert (error.actor_id, error.command) == (actor.id, command)
        assert error.rule.startswith("requires one of the roles "), error.rule
        assert f"actor has: {role}" in error.rule
        for needed in allowed:
            assert needed in error.rule, "the rule names the roles that would be allowed"
        assert actor.id in str(error)
        assert command in str(error)
        assert populated.state() == before, f"{command} refused to {role} changed storage"
    assert populated.notifier.sent == []


@pytest.mark.parametrize("command", DEFAULT_POLICY.commands)
def test_every_allowed_role_gets_past_the_role_check(command: str) -> None:
    """With placeholders the command then fails (or, for a read, succeeds), but never on the actor's role."""
    desk = Desk().desk
    for role in DEFAULT_POLICY.roles_for(command):
        actor = CUSTOMER if role == Role.CUSTOMER else sc.Actor(f"A-{role}", f"Only {role}", [role])
        outcome: Exception | None = None
        try:
            call(desk, command, actor)
        except Exception as error:  # the placeholders are meant to fail whatever comes after the check
            outcome = error
        denied = isinstance(outcome, sc.PermissionDeniedError) and outcome.rule.startswith("requires one of the roles")
        assert not denied, (role, outcome)
