"""Acceptance: numbered inspection rounds, rectification orders, the signed report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from servicecore.domain import (
    Acceptance,
    AcceptanceCriterion,
    AcceptanceReport,
    AcceptanceStatus,
    AgreementStatus,
    CriterionResult,
    EvidenceRef,
    Inspector,
    InspectorKind,
    PermissionDeniedError,
    RectificationOrder,
    ValidationError,
)
from servicecore.domain import events as ev
from servicecore.domain.agreement import criteria_of

S = AcceptanceStatus
DEADLINE = timedelta(days=2)

COMMANDS: dict[str, Callable[[Acceptance, Any, datetime], Acceptance]] = {
    # (acceptance, domain, at)
    "record_inspection": lambda a, d, at: a.record_inspection(
        actor=d.inspector_actor, at=at, results=d.results(), note="walked every aisle"
    ),
    "sign_report": lambda a, d, at: a.sign_report(
        actor=d.inspector_actor, at=at, signed_by="Dee Customer", summary="All good"
    ),
    "order_rectification": lambda a, d, at: a.order_rectification(
        actor=d.inspector_actor, at=at, responsible_party="Crew B", deadline=at + DEADLINE, instructions="Seal gaps"
    ),
    "mark_rectified": lambda a, d, at: a.mark_rectified(
        actor=d.technician, at=at, note="Gaps sealed", workers={d.technician.id}
    ),
}
ACTOR = {
    "record_inspection": "inspector_actor",
    "sign_report": "inspector_actor",
    "order_rectification": "inspector_actor",
}

ALLOWED_FROM: dict[str, set[AcceptanceStatus]] = {
    "record_inspection": {S.AWAITING_INSPECTION, S.RECTIFIED},
    "sign_report": {S.PASSED},
    "order_rectification": {S.FAILED},
    "mark_rectified": {S.RECTIFICATION_ORDERED},
}
TARGET: dict[str, tuple[AcceptanceStatus, type[ev.DomainEvent]]] = {
    "record_inspection": (S.PASSED, ev.InspectionRecorded),  # with passing results
    "sign_report": (S.ACCEPTED, ev.AcceptanceSigned),
    "order_rectification": (S.RECTIFICATION_ORDERED, ev.RectificationOrdered),
    "mark_rectified": (S.RECTIFIED, ev.RectificationCompleted),
}
TERMINAL = {S.ACCEPTED}

LEGAL = [(state, name) for name, states in ALLOWED_FROM.items() for state in sorted(states)]
ILLEGAL = [(state, name) for name in COMMANDS for state in S if state not in ALLOWED_FROM[name]]


def actor_for(domain: Any, command: str) -> Any:
    return getattr(domain, ACTOR.get(command, "technician"))


def inspect(domain: Any, acceptance: Acceptance, **results: Any) -> Acceptance:
    return acceptance.record_inspection(
        actor=domain.inspector_actor, at=domain.after(acceptance), results=domain.results(**results)
    )


def rectify(domain: Any, failed: Acceptance, *, late: bool = False) -> Acceptance:
    ordered = COMMANDS["order_rectification"](failed, domain, domain.after(failed))
    deadline = ordered.rectifications[-1].deadline
    at = deadline + timedelta(minutes=1) if late else deadline - timedelta(hours=1)
    return ordered.mark_rectified(actor=domain.technician, at=at, note="Fixed", workers={domain.technician.id})


def test_tables_cover_every_command() -> None:
    public = {n for n in dir(Acceptance) if not n.startswith("_")}
    fields = {f.name for f in Acceptance.__attrs_attrs__}
    readers = {"sla_check_at", "open", "round_count", "passed_first_time", "is_terminal", "open_rectification"}
    readers |= {"kind", "id_kind"}  # class-level facts of every aggregate
    assert public - fields - readers == set(COMMANDS) == set(ALLOWED_FROM) == set(TARGET)


# --- opening ---------------------------------------------------------------------------------------------


def test_open_snapshots_criteria_and_inspector(acceptance: Acceptance, domain: Any) -> None:
    assert acceptance.status is S.AWAITING_INSPECTION
    assert acceptance.criteria == domain.criteria()
    assert acceptance.inspector == Inspector(domain.inspector_actor.ref, InspectorKind.CUSTOMER)
    assert acceptance.work_order_ids == ("wo-1",)
    assert acceptance.rounds == acceptance.rectifications == ()
    assert acceptance.round_count == 0
    assert acceptance.report is None
    assert acceptance.open_rectification is None
    assert not acceptance.passed_first_time
    assert not acceptance.is_terminal
    (entry,) = acceptance.history
    assert (entry.action, entry.from_state, entry.to_state, entry.actor, entry.at) == (
        "open",
        "",
        "awaiting_inspection",
        domain.agent.ref,
        domain.t0,
    )
    assert "Hal Inspector" in entry.note
    (event,) = acceptance.events
    assert isinstance(event, ev.AcceptanceOpened)
    assert (event.aggregate_id, event.agreement_id) == ("acc-1", "agr-1")


def test_open_with_criteria_of_the_confirmed_agreement(domain: Any) -> None:
    agreement = domain.agreement(AgreementStatus.ACTIVE)
    acceptance = Acceptance.open(
        id="acc-2",
        agreement_id=agreement.id,
        request_id=agreement.request_id,
        criteria=criteria_of(agreement),
        inspector=Inspector(domain.inspector_actor.ref, "third_party", organisation="CertCo"),
        actor=domain.agent,
        at=domain.after(agreement),
    )
    assert acceptance.criteria == agreement.confirmed_revision.terms.criteria
    assert acceptance.inspector.kind is InspectorKind.THIRD_PARTY


def test_open_needs_a_required_criterion(domain: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Acceptance.open(
            id="acc-1",
            agreement_id="agr-1",
            request_id="req-1",
            criteria=[domain.criteria()[1]],
            inspector=domain.inspector,
            actor=domain.agent,
            at=domain.t0,
        )
    assert info.value.field == "criteria"


def test_open_refuses_duplicate_criterion_codes(domain: Any) -> None:
    required, _ = domain.criteria()
    lenient = AcceptanceCriterion(required.code, "Same code, optional", "document_review", required=False)
    with pytest.raises(ValidationError, match="repeated") as info:
        Acceptance.open(
            id="acc-1",
            agreement_id="agr-1",
            request_id="req-1",
            criteria=[required, lenient],
            inspector=domain.inspector,
            actor=domain.agent,
            at=domain.t0,
        )
    assert info.value.field == "criteria"


def test_inspector_kind_must_be_known(domain: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Inspector(domain.inspector_actor.ref, "neighbour")
    assert info.value.field == "kind"


# --- every legal / illegal transition ----------------------------------------------------------------------


@pytest.mark.parametrize(("state", "command"), LEGAL)
def test_legal_transition(domain: Any, state: AcceptanceStatus, command: str) -> None:
    before = domain.acceptance(state)
    snapshot = domain.snapshot(before)
    at = domain.after(before, minutes=13)
    actor = actor_for(domain, command)
    after = COMMANDS[command](before, domain, at)
    to, event = TARGET[command]
    domain.transitioned(before, after, action=command, actor=actor, at=at, to=to, event=event)
    domain.assert_unchanged(before, snapshot)
    assert after.is_terminal is (to in TERMINAL)
    assert after.rounds[: len(before.rounds)] == before.rounds


@pytest.mark.parametrize("state", sorted(ALLOWED_FROM["record_inspection"]))
def test_failing_inspection_transition(domain: Any, state: AcceptanceStatus) -> None:
    before = domain.acceptance(state)
    at = domain.after(before)
    after = before.record_inspection(actor=domain.inspector_actor, at=at, results=domain.results(required=False))
    domain.transitioned(
        before,
        after,
        action="record_inspection",
        actor=domain.inspector_actor,
        at=at,
        to=S.FAILED,
        event=ev.InspectionRecorded,
    )
    assert after.events[-1].passed is False
    assert after.events[-1].round == after.round_count


@pytest.mark.parametrize(("state", "command"), ILLEGAL)
def test_illegal_transition(domain: Any, state: AcceptanceStatus, command: str) -> None:
    acceptance = domain.acceptance(state)
    err = domain.invalid_transition(acceptance, command, lambda a, at: COMMANDS[command](a, domain, at))
    assert err.allowed_from == tuple(sorted(s.value for s in ALLOWED_FROM[command]))


def test_accepted_is_terminal(domain: Any) -> None:
    accepted = domain.acceptance(S.ACCEPTED)
    assert accepted.is_terminal
    for name, command in COMMANDS.items():
        domain.invalid_transition(accepted, name, lambda a, at, c=command: c(a, domain, at))
        # a failing inspection is refused just the same
    domain.invalid_transition(
        accepted,
        "record_inspection",
        lambda a, at: a.record_inspection(actor=domain.inspector_actor, at=at, results=domain.results(required=False)),
    )


# --- inspection rules ---------------------------------------------------------------------------------------


def test_passing_round_is_recorded(acceptance: Acceptance, domain: Any) -> None:
    at = domain.after(acceptance)
    evidence = EvidenceRef("s3://acc-1/r1.jpg")
    results = (
        CriterionResult(criterion_code=domain.required_code, passed=True, evidence=(evidence,)),
        CriterionResult(criterion_code=domain.optional_code, passed=True),
    )
    passed = acceptance.record_inspection(actor=domain.inspector_actor, at=at, results=results, note="dry day")
    (inspection,) = passed.rounds
    assert (inspection.number, inspection.inspected_by, inspection.at, inspection.results, inspection.passed) == (
        1,
        domain.inspector_actor.ref,
        at,
        results,
        True,
    )
    assert inspection.failed_criteria == ()
    assert passed.history[-1].note == "round 1 passed; dry day"
    assert (passed.events[-1].round, passed.events[-1].passed) == (1, True)


def test_failing_required_criterion_fails_the_round(acceptance: Acceptance, domain: Any) -> None:
    failed = inspect(domain, acceptance, required=False, optional=False)
    assert failed.status is S.FAILED
    assert failed.rounds[-1].passed is False
    assert failed.rounds[-1].failed_criteria == (domain.required_code, domain.optional_code)
    assert failed.history[-1].note == f"round 1 failed: {domain.required_code}, {domain.optional_code}"


def test_failing_optional_criterion_does_not_block_a_pass(acceptance: Acceptance, domain: Any) -> None:
    passed = inspect(domain, acceptance, required=True, optional=False)
    assert passed.status is S.PASSED
    assert passed.rounds[-1].passed is True
    assert passed.rounds[-1].failed_criteria == (domain.optional_code,)


def test_optional_criterion_may_be_left_out(acceptance: Acceptance, domain: Any) -> None:
    passed = inspect(domain, acceptance, optional=None)
    assert passed.status is S.PASSED
    assert len(passed.rounds[-1].results) == 1


def test_results_may_be_any_iterable(acceptance: Acceptance, domain: Any) -> None:
    passed = acceptance.record_inspection(
        actor=domain.inspector_actor, at=domain.after(acceptance), results=(r for r in domain.results())
    )
    assert passed.rounds[-1].results == domain.results()


@pytest.mark.parametrize(
    ("results", "mentions"),
    [
        pytest.param(lambda d: d.results()[1:], "NO-LIVE-PESTS", id="missing-required"),
        pytest.param(lambda d: (), "NO-LIVE-PESTS", id="no-results"),
        pytest.param(
            lambda d: (*d.results(), CriterionResult(criterion_code="SMELL", passed=True)), "SMELL", id="unknown-code"
        ),
        pytest.param(
            lambda d: (*d.results(), CriterionResult(criterion_code=d.required_code, passed=False)),
            "twice",
            id="duplicate-required",
        ),
        pytest.param(
            lambda d: (*d.results(), CriterionResult(criterion_code=d.optional_code, passed=True)),
            "twice",
            id="duplicate-optional",
        ),
        pytest.param(lambda d: (*d.results(), {"code": "x"}), "CriterionResult", id="not-a-result"),
    ],
)
@pytest.mark.parametrize("state", sorted(ALLOWED_FROM["record_inspection"]))
def test_inspection_results_are_checked(domain: Any, state: AcceptanceStatus, results: Any, mentions: str) -> None:
    acceptance = domain.acceptance(state)
    err = domain.refused(
        acceptance,
        ValidationError,
        lambda a, at: a.record_inspection(actor=domain.inspector_actor, at=at, results=results(domain)),
    )
    assert err.field == "results"
    assert mentions in str(err)


# --- rectification ------------------------------------------------------------------------------------------------


def test_order_rectification_names_failed_points_party_and_deadline(domain: Any) -> None:
    failed = inspect(domain, domain.new_acceptance(), required=False, optional=False)
    at = domain.after(failed)
    ordered = COMMANDS["order_rectification"](failed, domain, at)
    order = ordered.open_rectification
    assert order is not None
    assert order == RectificationOrder(
        round=1,
        failed_criteria=(domain.required_code, domain.optional_code),
        responsible_party="Crew B",
        deadline=at + DEADLINE,
        ordered_by=domain.inspector_actor.ref,
        ordered_at=at,
        instructions="Seal gaps",
    )
    assert not order.late
    event = ordered.events[-1]
    assert isinstance(event, ev.RectificationOrdered)
    assert (event.round, event.responsible_party, event.deadline, event.failed_criteria) == (
        1,
        "Crew B",
        at + DEADLINE,
        (domain.required_code, domain.optional_code),
    )


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(seconds=-1), timedelta(days=-3)])
def test_rectification_deadline_must_be_after_now(domain: Any, offset: timedelta) -> None:
    failed = domain.acceptance(S.FAILED)
    err = domain.refused(
        failed,
        ValidationError,
        lambda a, at: a.order_rectification(
            actor=domain.inspector_actor, at=at, responsible_party="Crew B", deadline=at + offset
        ),
    )
    assert err.field == "deadline"


def test_rectification_deadline_must_be_aware(domain: Any) -> None:
    failed = domain.acceptance(S.FAILED)
    err = domain.refused(
        failed,
        ValidationError,
        lambda a, at: a.order_rectification(
            actor=domain.inspector_actor,
            at=at,
            responsible_party="Crew B",
            deadline=(at + DEADLINE).replace(tzinfo=None),
        ),
    )
    assert err.field == "deadline"


def test_rectification_needs_a_responsible_party(domain: Any) -> None:
    failed = domain.acceptance(S.FAILED)
    err = domain.refused(
        failed,
        ValidationError,
        lambda a, at: a.order_rectification(
            actor=domain.inspector_actor, at=at, responsible_party=" ", deadline=at + DEADLINE
        ),
    )
    assert err.field == "responsible_party"


@pytest.mark.parametrize(
    ("offset", "late"),
    [(timedelta(hours=-1), False), (timedelta(0), False), (timedelta(seconds=1), True), (timedelta(days=5), True)],
)
def test_late_flag(domain: Any, offset: timedelta, late: bool) -> None:
    ordered = domain.acceptance(S.RECTIFICATION_ORDERED)
    deadline = ordered.open_rectification.deadline
    at = deadline + offset
    rectified = ordered.mark_rectified(actor=domain.technician, at=at, note="Sealed", workers={domain.technician.id})
    order = rectified.open_rectification
    assert order is not None
    assert (order.rectified_by, order.rectified_at, order.rectification_note) == (domain.technician.ref, at, "Sealed")
    assert order.late is late
    assert rectified.history[-1].note == ("Sealed (after the deadline)" if late else "Sealed")
    assert rectified.events[-1].round == 1


def test_mark_rectified_needs_a_note(domain: Any) -> None:
    ordered = domain.acceptance(S.RECTIFICATION_ORDERED)
    err = domain.refused(
        ordered,
        ValidationError,
        lambda a, at: a.mark_rectified(actor=domain.technician, at=at, note="  ", workers={domain.technician.id}),
    )
    assert err.field == "note"


def test_rounds_are_numbered_through_rectification(domain: Any) -> None:
    acceptance = inspect(domain, domain.new_acceptance(), required=False)
    acceptance = rectify(domain, acceptance, late=True)
    acceptance = inspect(domain, acceptance, required=False, optional=None)
    assert acceptance.status is S.FAILED
    acceptance = rectify(domain, acceptance)
    acceptance = inspect(domain, acceptance)
    assert [r.number for r in acceptance.rounds] == [1, 2, 3]
    assert [r.passed for r in acceptance.rounds] == [False, False, True]
    assert [o.round for o in acceptance.rectifications] == [1, 2]
    assert [o.late for o in acceptance.rectifications] == [True, False]
    assert acceptance.round_count == 3
    assert acceptance.open_rectification is None
    signed = COMMANDS["sign_report"](acceptance, domain, domain.after(acceptance))
    assert signed.report is not None
    assert signed.report.round == 3
    assert not signed.passed_first_time
    assert [e.round for e in signed.events if isinstance(e, ev.InspectionRecorded)] == [1, 2, 3]


# --- report -------------------------------------------------------------------------------------------------------


def test_sign_report_after_first_round(domain: Any) -> None:
    passed = domain.acceptance(S.PASSED)
    at = domain.after(passed)
    signed = passed.sign_report(actor=domain.inspector_actor, at=at, signed_by="Dee Customer", summary="No pests")
    assert signed.report == AcceptanceReport(round=1, signed_by="Dee Customer", signed_at=at, summary="No pests")
    assert signed.passed_first_time
    assert signed.is_terminal
    assert signed.history[-1].note == "signed by Dee Customer"
    assert (signed.events[-1].round, signed.events[-1].signed_by) == (1, "Dee Customer")


def test_passed_first_time_needs_acceptance(domain: Any) -> None:
    assert not domain.acceptance(S.PASSED).passed_first_time


def test_sign_report_needs_a_signatory(domain: Any) -> None:
    passed = domain.acceptance(S.PASSED)
    err = domain.refused(
        passed, ValidationError, lambda a, at: a.sign_report(actor=domain.inspector_actor, at=at, signed_by="")
    )
    assert err.field == "signed_by"


# --- time -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "command"), LEGAL + ILLEGAL)
def test_time_cannot_go_backwards(domain: Any, state: Any, command: str) -> None:
    """``at`` is checked before anything else, so even an illegal command reports it."""
    agg = domain.acceptance(state)
    err = domain.refused(agg, ValidationError, lambda a, at: COMMANDS[command](a, domain, at), at=domain.before(agg))
    assert err.field == "at"
    assert "earlier" in str(err)


@pytest.mark.parametrize(("state", "command"), LEGAL + ILLEGAL)
def test_naive_datetime_is_rejected_naming_at(domain: Any, state: Any, command: str) -> None:
    agg = domain.acceptance(state)
    naive = domain.after(agg).replace(tzinfo=None)
    err = domain.refused(agg, ValidationError, lambda a, at: COMMANDS[command](a, domain, at), at=naive)
    assert err.field == "at"
    assert "timezone-aware" in str(err)


def test_order_rectification_checks_at_before_comparing_with_the_deadline(domain: Any) -> None:
    """A naive ``at`` with an aware deadline must not surface as a TypeError from the comparison."""
    failed = domain.acceptance(S.FAILED)
    aware_deadline = domain.after(failed) + DEADLINE
    with pytest.raises(ValidationError) as info:
        failed.order_rectification(
            actor=domain.inspector_actor,
            at=domain.after(failed).replace(tzinfo=None),
            responsible_party="Crew B",
            deadline=aware_deadline,
        )
    assert info.value.field == "at"


# --- input hardening: non-bool flags, lone strings for lists, blank linked ids --------------------------


def test_criterion_result_passed_must_be_a_bool(domain: Any) -> None:
    with pytest.raises(ValidationError) as info:
        CriterionResult(criterion_code=domain.required_code, passed="no")
    assert info.value.field == "passed"


def test_open_refuses_a_single_string_as_work_order_ids(domain: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Acceptance.open(
            id="acc-1",
            agreement_id="agr-1",
            request_id="req-1",
            criteria=domain.criteria(),
            inspector=domain.inspector,
            actor=domain.agent,
            at=domain.t0,
            work_order_ids="wo-1",
        )
    assert info.value.field == "work_order_ids"


def test_record_inspection_refuses_a_lone_result(domain: Any) -> None:
    acceptance = domain.acceptance(S.AWAITING_INSPECTION)
    err = domain.refused(
        acceptance,
        ValidationError,
        lambda a, at: a.record_inspection(actor=domain.inspector_actor, at=at, results=domain.required_code),
    )
    assert err.field == "results"


@pytest.mark.parametrize("who", ["agent", "technician"])
def test_only_the_designated_inspector_inspects_and_signs(domain: Any, who: str) -> None:
    other = getattr(domain, who)
    waiting = domain.acceptance(S.AWAITING_INSPECTION)
    err = domain.refused(
        waiting,
        PermissionDeniedError,
        lambda a, at: a.record_inspection(actor=other, at=at, results=domain.results()),
    )
    assert (err.actor_id, domain.inspector_actor.id in err.rule) == (other.id, True)
    passed = domain.acceptance(S.PASSED)
    domain.refused(
        passed, PermissionDeniedError, lambda a, at: a.sign_report(actor=other, at=at, signed_by="Dee Customer")
    )
