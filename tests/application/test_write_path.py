"""The write path: reads and changes told apart, each check once, the caller carried by the transaction."""

from __future__ import annotations

from typing import Any

import pytest

import servicecore as sc
import servicecore.application.core as core
from servicecore.application.core import change_names, command_names, query_names
from servicecore.application.permissions import DEFAULT_POLICY
from tests.application.support import AGENT, CUSTOMER, ENGINEER, LI_QIANG, OTHER_CUSTOMER, REVIEWER, Desk


def test_queries_are_the_reads_and_commands_the_changes() -> None:
    reads, changes = set(query_names(sc.ServiceDesk)), set(change_names(sc.ServiceDesk))
    assert reads == {c for c in command_names(sc.ServiceDesk) if c.startswith(("get_", "list_", "render_"))} | {
        "pending_notifications"
    }
    assert not reads & changes
    assert {"receive_request", "scan_sla", "dispatch_notifications"} <= changes
    assert set(command_names(sc.ServiceDesk)) == reads | changes == set(DEFAULT_POLICY.commands)


def test_a_command_returns_the_case_as_the_next_read_loads_it() -> None:
    world = Desk()
    request = world.request()
    acknowledged = world.desk.acknowledge_request(request.id, actor=AGENT, message="今天安排评估")
    assert acknowledged.version == 2
    assert acknowledged.events == ()
    assert acknowledged == world.desk.get_request(request.id)


def test_each_case_a_customer_command_touches_passes_the_owner_check_once(monkeypatch: pytest.MonkeyPatch) -> None:
    world = Desk()
    desk = world.desk
    request = world.request()
    desk.acknowledge_request(request.id, actor=AGENT, message="今天安排评估")
    desk.assess_request(request.id, actor=ENGINEER, feasible=True, analysis="常规灭蟑")
    agreement = desk.draft_agreement(request.id, actor=AGENT, title="厨房灭蟑", terms=world.terms())
    desk.submit_agreement_for_review(agreement.id, actor=AGENT)
    desk.approve_agreement(agreement.id, actor=REVIEWER)
    desk.offer_agreement(agreement.id, actor=AGENT)
    checked: list[str] = []
    projection = core.index_fields

    def counting(aggregate: Any) -> Any:
        checked.append(aggregate.id)
        return projection(aggregate)

    monkeypatch.setattr(core, "index_fields", counting)
    desk.confirm_agreement(agreement.id, actor=CUSTOMER)
    assert checked == [agreement.id, request.id], "each case loaded, changed and stored: one ownership check"


def test_the_caller_stays_with_its_command() -> None:
    world = Desk()
    theirs = world.request(LI_QIANG)
    with pytest.raises(sc.PermissionDeniedError):
        world.desk.get_request(theirs.id, actor=CUSTOMER)
    # the desk itself is application code: no customer's limits linger on it after a customer's command
    assert world.desk.get_request(theirs.id) == theirs
    assert world.desk.get_request(theirs.id, actor=OTHER_CUSTOMER) == theirs
