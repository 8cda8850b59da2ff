"""ServiceRequest: intake → first response → assessment → agreement → service → closure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from servicecore.domain import (
    BusinessRuleError,
    Channel,
    FirstResponse,
    InvalidTransitionError,
    Priority,
    RequestStatus,
    ServiceRequest,
    ValidationError,
)
from servicecore.domain import events as ev

S = RequestStatus

# command name -> how to run it with valid-looking arguments
COMMANDS: dict[str, Callable[[ServiceRequest, Any, datetime], ServiceRequest]] = {
    "acknowledge": lambda r, actor, at: r.acknowledge(actor=actor, at=at, message="  We will call you back  "),
    "assess": lambda r, actor, at: r.assess(
        actor=actor, at=at, feasible=True, analysis="Two technicians, half a day", departments=("ops", "sales")
    ),
    "mark_agreed": lambda r, actor, at: r.mark_agreed(actor=actor, at=at, agreement_id="agr-9"),
    "start_service": lambda r, actor, at: r.start_service(actor=actor, at=at, work_order_id="wo-9"),
    "complete": lambda r, actor, at: r.complete(actor=actor, at=at, note="accepted"),
    "close": lambda r, actor, at: r.close(actor=actor, at=at, note="follow-up done"),
    "decline": lambda r, actor, at: r.decline(actor=actor, at=at, reason="Outside our area"),
    "withdraw": lambda r, actor, at: r.withdraw(actor=actor, at=at, reason="Fixed it ourselves"),
    "cancel": lambda r, actor, at: r.cancel(actor=actor, at=at, reason="Agreement terminated"),
}

# The specification, written out independently of the implementation.
EARLY = {S.RECEIVED, S.ACKNOWLEDGED, S.ASSESSED}
ALLOWED_FROM: dict[str, set[RequestStatus]] = {
    "acknowledge": {S.RECEIVED},
    "assess": {S.ACKNOWLEDGED, S.ASSESSED},
    "mark_agreed": {S.ASSESSED},
    "start_service": {S.AGREED, S.IN_SERVICE},
    "complete": {S.IN_SERVICE},
    "close": {S.COMPLETED},
    "decline": EARLY,
    "withdraw": EARLY,
    "cancel": {S.AGREED, S.IN_SERVICE},
}
TARGET: dict[str, tuple[RequestStatus, type[ev.DomainEvent]]] = {
    "acknowledge": (S.ACKNOWLEDGED, ev.RequestAcknowledged),
    "assess": (S.ASSESSED, ev.RequestAssessed),
    "mark_agreed": (S.AGREED, ev.RequestAgreed),
    "start_service": (S.IN_SERVICE, ev.RequestServiceStarted),
    "complete": (S.COMPLETED, ev.RequestCompleted),
    "close": (S.CLOSED, ev.RequestClosed),
    "decline": (S.DECLINED, ev.RequestDeclined),
    "withdraw": (S.WITHDRAWN, ev.RequestWithdrawn),
    "cancel": (S.CANCELLED, ev.RequestCancelled),
}
TERMINAL = {S.CLOSED, S.DECLINED, S.WITHDRAWN, S.CANCELLED}

LEGAL = [(state, name) for name, states in ALLOWED_FROM.items() for state in sorted(states)]
ILLEGAL = [(state, name) for name in COMMANDS for state in S if state not in ALLOWED_FROM[name]]


def test_tables_cover_every_command() -> None:
    public = {n for n in dir(ServiceRequest) if not n.startswith("_")}
    commands = (
        public
        - {"receive", "is_terminal", "require_feasible", "sla_check_at"}
        - {"kind", "id_kind"}  # class-level facts of every aggregate
        - {"raise_priority"}  # changes no status: see test_raise_priority_*
        - {f.name for f in ServiceRequest.__attrs_attrs__}
    )
    assert commands == set(COMMANDS) == set(ALLOWED_FROM) == set(TARGET)


# --- creation -------------------------------------------------------------------------


def test_receive_records_the_request(domain: Any, customer: Any, agent: Any, t0: datetime) -> None:
    request = ServiceRequest.receive(
        id="req-7",
        customer=customer,
        channel="hotline",
        category="pest control",
        priority="urgent",
        description="Cockroaches in the kitchen",
        actor=agent,
        at=t0,
    )
    assert request.status is S.RECEIVED
    assert request.channel is Channel.HOTLINE
    assert request.priority is Priority.URGENT
    assert request.received_at == t0
    assert request.first_response is None
    assert request.assessment is None
    assert request.work_order_ids == ()
    assert not request.is_terminal
    (entry,) = request.history
    assert (entry.action, entry.from_state, entry.to_state, entry.actor, entry.at) == (
        "receive",
        "",
        "received",
        agent.ref,
        t0,
    )
    (event,) = request.events
    assert isinstance(event, ev.RequestReceived)
    assert (event.aggregate_id, event.customer_id, event.channel, event.priority) == (
        "req-7",
        customer.id,
        "hotline",
        "urgent",
    )
    assert event.occurred_at == t0
    assert event.actor == agent.ref


@pytest.mark.parametrize(("field", "value"), [("description", "   "), ("category", ""), ("id", "")])
def test_receive_rejects_blank_text(domain: Any, field: str, value: str) -> None:
    kwargs: dict[str, Any] = {
        "id": "req-1",
        "customer": domain.customer,
        "channel": "email",
        "category": "pest control",
        "priority": "normal",
        "description": "Ants",
        "actor": domain.agent,
        "at": domain.t0,
    }
    kwargs[field] = value
    with pytest.raises(ValidationError) as info:
        ServiceRequest.receive(**kwargs)
    assert info.value.field == field


@pytest.mark.parametrize(("field", "value"), [("channel", "fax"), ("priority", "whenever")])
def test_receive_rejects_unknown_enum_values_with_validation_error(domain: Any, field: str, value: str) -> None:
    kwargs: dict[str, Any] = {
        "id": "req-1",
        "customer": domain.customer,
        "channel": "email",
        "category": "pest control",
        "priority": "normal",
        "description": "Ants",
        "actor": domain.agent,
        "at": domain.t0,
    }
    kwargs[field] = value
    with pytest.raises(ValidationError) as info:
        ServiceRequest.receive(**kwargs)
    assert info.value.field == field


# --- every legal transition ------------------------------------------------------------


@pytest.mark.parametrize(("state", "command"), LEGAL)
def test_legal_transition(domain: Any, state: RequestStatus, command: str) -> None:
    before = domain.request(state)
    snapshot = domain.snapshot(before)
    at = domain.after(before, minutes=7)
    actor = domain.customer_contact if command == "withdraw" else domain.agent
    after = COMMANDS[command](before, actor, at)
    to, event = TARGET[command]
    domain.transitioned(before, after, action=command, actor=actor, at=at, to=to, event=event)
    domain.assert_unchanged(before, snapshot)
    assert after.is_terminal is (to in TERMINAL)


# --- every illegal transition ----------------------------------------------------------


@pytest.mark.parametrize(("state", "command"), ILLEGAL)
def test_illegal_transition(domain: Any, state: RequestStatus, command: str) -> None:
    request = domain.request(state)
    err = domain.invalid_transition(request, command, lambda r, at: COMMANDS[command](r, domain.agent, at))
    assert err.allowed_from == tuple(sorted(s.value for s in ALLOWED_FROM[command]))


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_terminal_states_refuse_everything(domain: Any, state: RequestStatus) -> None:
    request = domain.request(state)
    assert request.is_terminal
    for name, command in COMMANDS.items():
        domain.invalid_transition(request, name, lambda r, at, c=command: c(r, domain.agent, at))


# --- what each step records --------------------------------------------------------------


def test_acknowledge_records_first_response(domain: Any, agent: Any) -> None:
    request = domain.request(S.RECEIVED)
    at = domain.after(request, 12)
    acknowledged = request.acknowledge(actor=agent, at=at, message="  We will call you within the hour ")
    assert acknowledged.first_response == FirstResponse(at=at, by=agent.id, message="We will call you within the hour")
    assert acknowledged.history[-1].note == "We will call you within the hour"
    assert acknowledged.events[-1].customer_id == domain.customer.id


@pytest.mark.parametrize(
    ("command", "state", "field"),
    [
        (lambda r, a, at: r.acknowledge(actor=a, at=at, message="  "), S.RECEIVED, "message"),
        (lambda r, a, at: r.assess(actor=a, at=at, feasible=True, analysis=""), S.ACKNOWLEDGED, "analysis"),
        (lambda r, a, at: r.decline(actor=a, at=at, reason=" "), S.ASSESSED, "reason"),
        (lambda r, a, at: r.withdraw(actor=a, at=at, reason=""), S.RECEIVED, "reason"),
    ],
)
def test_blank_text_is_rejected_naming_the_field(domain: Any, command: Any, state: RequestStatus, field: str) -> None:
    request = domain.request(state)
    err = domain.refused(request, ValidationError, lambda r, at: command(r, domain.agent, at))
    assert err.field == field


def test_assess_records_assessment_and_can_be_repeated(domain: Any, agent: Any) -> None:
    request = domain.request(S.ACKNOWLEDGED)
    first = request.assess(
        actor=agent, at=domain.after(request), feasible=False, analysis=" No access ", departments=["ops"]
    )
    assert first.assessment is not None
    assert (first.assessment.feasible, first.assessment.analysis, first.assessment.departments) == (
        False,
        "No access",
        ("ops",),
    )
    assert first.events[-1].feasible is False
    second = first.assess(actor=agent, at=domain.after(first), feasible=True, analysis="Access arranged")
    assert second.status is S.ASSESSED
    assert second.assessment is not None
    assert second.assessment.feasible is True
    assert second.events[-1].feasible is True
    assert [h.action for h in second.history] == ["receive", "acknowledge", "assess", "assess"]
    assert second.history[-1].from_state == second.history[-1].to_state == "assessed"


def test_mark_agreed_needs_a_feasible_assessment(domain: Any, agent: Any) -> None:
    request = domain.request(S.ASSESSED, feasible=False)
    err = domain.refused(
        request, BusinessRuleError, lambda r, at: r.mark_agreed(actor=agent, at=at, agreement_id="agr-1")
    )
    assert err.aggregate_id == request.id
    assert "mark_agreed" in str(err)
    assert request.id in str(err)
    assert "feasible" in err.rule


def test_an_infeasible_request_can_still_be_declined(domain: Any, agent: Any) -> None:
    request = domain.request(S.ASSESSED, feasible=False)
    declined = request.decline(actor=agent, at=domain.after(request), reason="  Not feasible ")
    assert declined.status is S.DECLINED
    assert declined.outcome_reason == "Not feasible"
    assert declined.events[-1].reason == "Not feasible"
    assert declined.is_terminal


def test_mark_agreed_records_the_agreement(domain: Any, agent: Any) -> None:
    request = domain.request(S.ASSESSED)
    agreed = request.mark_agreed(actor=agent, at=domain.after(request), agreement_id="agr-42")
    assert agreed.agreement_id == "agr-42"
    assert agreed.events[-1].agreement_id == "agr-42"
    assert "agr-42" in agreed.history[-1].note


def test_require_feasible(domain: Any) -> None:
    domain.request(S.ASSESSED).require_feasible("draft_agreement")
    with pytest.raises(BusinessRuleError, match="draft_agreement"):
        domain.request(S.ASSESSED, feasible=False).require_feasible("draft_agreement")
    with pytest.raises(InvalidTransitionError) as info:
        domain.request(S.ACKNOWLEDGED).require_feasible("draft_agreement")
    assert info.value.action == "draft_agreement"


def test_start_service_collects_every_work_order(domain: Any, agent: Any) -> None:
    request = domain.request(S.AGREED)
    first = request.start_service(actor=agent, at=domain.after(request), work_order_id="wo-1")
    second = first.start_service(actor=agent, at=domain.after(first), work_order_id="wo-2")
    assert first.work_order_ids == ("wo-1",)
    assert second.work_order_ids == ("wo-1", "wo-2")
    assert second.status is S.IN_SERVICE
    assert [e.work_order_id for e in second.events[-2:]] == ["wo-1", "wo-2"]


def test_withdraw_records_reason(domain: Any) -> None:
    request = domain.request(S.ACKNOWLEDGED)
    withdrawn = request.withdraw(actor=domain.customer_contact, at=domain.after(request), reason="Moved house")
    assert withdrawn.outcome_reason == "Moved house"
    assert withdrawn.history[-1].actor == domain.customer_contact.ref


def test_full_lifecycle_history(domain: Any) -> None:
    closed = domain.request(S.CLOSED)
    assert [(h.action, h.from_state, h.to_state) for h in closed.history] == [
        ("receive", "", "received"),
        ("acknowledge", "received", "acknowledged"),
        ("assess", "acknowledged", "assessed"),
        ("mark_agreed", "assessed", "agreed"),
        ("start_service", "agreed", "in_service"),
        ("complete", "in_service", "completed"),
        ("close", "completed", "closed"),
    ]
    assert [e.name for e in closed.events] == [
        "RequestReceived",
        "RequestAcknowledged",
        "RequestAssessed",
        "RequestAgreed",
        "RequestServiceStarted",
        "RequestCompleted",
        "RequestClosed",
    ]


# --- time ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "command"), LEGAL + ILLEGAL)
def test_time_cannot_go_backwards(domain: Any, state: Any, command: str) -> None:
    """``at`` is checked before anything else, so even an illegal command reports it."""
    agg = domain.request(state)
    err = domain.refused(
        agg, ValidationError, lambda a, at: COMMANDS[command](a, domain.agent, at), at=domain.before(agg)
    )
    assert err.field == "at"
    assert "earlier" in str(err)


@pytest.mark.parametrize(("state", "command"), LEGAL)
def test_same_instant_as_last_step_is_allowed(domain: Any, state: RequestStatus, command: str) -> None:
    request = domain.request(state)
    after = COMMANDS[command](request, domain.agent, domain.last_at(request))
    assert after.history[-1].at == request.history[-1].at


@pytest.mark.parametrize(("state", "command"), LEGAL + ILLEGAL)
def test_naive_datetime_is_rejected_naming_at(domain: Any, state: Any, command: str) -> None:
    agg = domain.request(state)
    naive = domain.after(agg).replace(tzinfo=None)
    err = domain.refused(agg, ValidationError, lambda a, at: COMMANDS[command](a, domain.agent, at), at=naive)
    assert err.field == "at"
    assert "timezone-aware" in str(err)


def test_receive_rejects_naive_datetime_naming_at(domain: Any) -> None:
    with pytest.raises(ValidationError, match="timezone-aware") as info:
        ServiceRequest.receive(
            id="req-1",
            customer=domain.customer,
            channel="email",
            category="pest control",
            priority="normal",
            description="Ants",
            actor=domain.agent,
            at=datetime(2024, 5, 6, 9, 0),
        )
    assert info.value.field == "at"


def test_other_timezones_compare_by_instant(domain: Any, agent: Any) -> None:
    """09:05 UTC+8 is 01:05 UTC: an aware UTC time of 01:04 is earlier and refused."""
    from datetime import UTC

    request = domain.request(S.RECEIVED)
    last = domain.last_at(request)
    earlier_in_utc = (last - timedelta(minutes=1)).astimezone(UTC)
    domain.refused(
        request, ValidationError, lambda r, at: r.acknowledge(actor=agent, at=at, message="hi"), at=earlier_in_utc
    )
    later_in_utc = (last + timedelta(minutes=1)).astimezone(UTC)
    assert request.acknowledge(actor=agent, at=later_in_utc, message="hi").status is S.ACKNOWLEDGED


# --- input hardening: non-bool flags, lone strings for lists, blank linked ids --------------------------


def test_assess_refuses_non_bool_feasible(domain: Any, agent: Any) -> None:
    request = domain.request(S.ACKNOWLEDGED)
    domain.refused(
        request, ValidationError, lambda r, at: r.assess(actor=agent, at=at, feasible="no", analysis="No access")
    )


def test_assess_refuses_a_single_string_as_departments(domain: Any, agent: Any) -> None:
    request = domain.request(S.ACKNOWLEDGED)
    err = domain.refused(
        request,
        ValidationError,
        lambda r, at: r.assess(actor=agent, at=at, feasible=True, analysis="ok", departments="ops"),
    )
    assert err.field == "departments"


@pytest.mark.parametrize(
    ("state", "command", "field"),
    [
        (S.ASSESSED, lambda r, a, at: r.mark_agreed(actor=a, at=at, agreement_id=""), "agreement_id"),
        (S.AGREED, lambda r, a, at: r.start_service(actor=a, at=at, work_order_id="  "), "work_order_id"),
    ],
    ids=["mark_agreed", "start_service"],
)
def test_linked_ids_must_not_be_blank(domain: Any, state: RequestStatus, command: Any, field: str) -> None:
    request = domain.request(state)
    err = domain.refused(request, ValidationError, lambda r, at: command(r, domain.agent, at))
    assert err.field == field


def test_start_service_refuses_a_work_order_already_linked(domain: Any) -> None:
    request = domain.request(S.IN_SERVICE)
    linked = request.work_order_ids[0]
    err = domain.refused(
        request, BusinessRuleError, lambda r, at: r.start_service(actor=domain.agent, at=at, work_order_id=linked)
    )
    assert linked in str(err)


# --- raising the priority (an SLA escalation, or an agent) ---------------------------------


RAISABLE = set(S) - TERMINAL - {S.COMPLETED}


@pytest.mark.parametrize("state", sorted(RAISABLE))
def test_raise_priority_moves_one_step_and_keeps_the_status(domain: Any, state: RequestStatus) -> None:
    request = attrs.evolve(domain.request(state), priority=Priority.NORMAL)
    at = request.history[-1].at
    raised = request.raise_priority(actor=domain.agent, at=at, reason="escalated")
    assert (raised.status, raised.priority) == (state, Priority.HIGH)
    entry = raised.history[-1]
    assert (entry.action, entry.from_state, entry.to_state) == ("raise_priority", state.value, state.value)
    assert "normal → high" in entry.note


@pytest.mark.parametrize("state", sorted(set(S) - RAISABLE))
def test_raise_priority_is_refused_once_the_request_is_done(domain: Any, state: RequestStatus) -> None:
    request = domain.request(state)
    domain.invalid_transition(
        request, "raise_priority", lambda r, at: r.raise_priority(actor=domain.agent, at=at, reason="late")
    )


def test_raise_priority_stops_at_urgent(domain: Any) -> None:
    request = attrs.evolve(domain.request(S.RECEIVED), priority=Priority.LOW)
    at = request.history[-1].at
    for _ in range(3):
        request = request.raise_priority(actor=domain.agent, at=at, reason="escalated")
    assert request.priority is Priority.URGENT
    with pytest.raises(BusinessRuleError, match="already 'urgent'"):
        request.raise_priority(actor=domain.agent, at=at, reason="again")
