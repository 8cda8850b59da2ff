"""Violation: reporting, investigation and evidence, determination or dismissal, decision,
publication, appeals recorded on the case, finalization, and separation of duties."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicecore.domain import (
    ActorRef,
    AppealConclusion,
    BusinessRuleError,
    Compensation,
    EvidenceKind,
    EvidenceRef,
    Finding,
    Money,
    PermissionDeniedError,
    ResponsibilityDegree,
    Sanction,
    SanctionKind,
    SeparationOfDutiesError,
    ValidationError,
    Violation,
    ViolationCategory,
    ViolationSource,
    ViolationSourceKind,
    ViolationStatus,
)
from servicecore.domain import events as ev

S = ViolationStatus
ALLOWED_FROM: dict[str, set[ViolationStatus]] = {
    "assign_investigators": {S.REPORTED, S.INVESTIGATING},
    "add_evidence": {S.INVESTIGATING},
    "determine": {S.INVESTIGATING},
    "decide": {S.DETERMINED},
    "publish": {S.DECIDED},
    "finalize": {S.PUBLISHED},
}
TARGET: dict[str, tuple[ViolationStatus | None, type[ev.DomainEvent]]] = {
    "assign_investigators": (S.INVESTIGATING, ev.ViolationInvestigatorsAssigned),
    "add_evidence": (None, ev.ViolationEvidenceAdded),
    "determine": (S.DETERMINED, ev.ViolationDetermined),
    "decide": (S.DECIDED, ev.ViolationDecided),
    "publish": (S.PUBLISHED, ev.ViolationPublished),
    "finalize": (S.FINAL, ev.ViolationFinalized),
}
ACTOR = {
    "assign_investigators": "officer",
    "add_evidence": "investigator",
    "determine": "investigator",
    "decide": "officer",
    "publish": "officer",
    "finalize": "officer",
}
LEGAL = [(state, name) for name, states in ALLOWED_FROM.items() for state in sorted(states)]
ILLEGAL = [(state, name) for name, states in ALLOWED_FROM.items() for state in S if state not in states]


def _investigating(discipline: Any, domain: Any, *, evidence: bool = True) -> Violation:
    violation = discipline.violation(S.INVESTIGATING)
    if not evidence:
        violation = domain._run(discipline.new_violation(), discipline.violation_commands()["assign_investigators"])
    return violation


# --- reporting --------------------------------------------------------------------------


def test_report_opens_a_case(discipline: Any, t0: datetime) -> None:
    violation = discipline.new_violation()
    assert violation.status is S.REPORTED
    assert violation.subject == discipline.subject.ref
    assert violation.category == "quality_failure"
    assert violation.source.kind is ViolationSourceKind.COMPLAINT
    assert violation.source.complaint_id == "cmp-1"
    assert violation.reported_by == discipline.investigator.ref
    assert violation.reported_at == t0
    assert violation.decision is None
    assert violation.prior_case_id is None
    (event,) = violation.events
    assert isinstance(event, ev.ViolationReported)
    assert (event.subject_id, event.category, event.source_kind) == ("u-eng", "quality_failure", "complaint")
    assert event.aggregate_type == "Violation"


@pytest.mark.parametrize(
    ("category", "stored"),
    [(ViolationCategory.CUSTOMER_INFORMATION_LEAK, "customer_information_leak"), (" bribery ", "bribery")],
)
def test_categories_are_built_in_or_custom(discipline: Any, category: Any, stored: str) -> None:
    assert discipline.new_violation(category=category).category == stored


def test_sources() -> None:
    reporter = ActorRef("u-1", "Reporter")
    assert ViolationSource.from_inspection("acc-1").reference == "acc-1"
    assert ViolationSource.staff_report(reporter).reported_by == reporter
    anonymous = ViolationSource.customer_report()
    assert (anonymous.kind, anonymous.reported_by, anonymous.complaint_id) == (
        ViolationSourceKind.CUSTOMER_REPORT,
        None,
        None,
    )
    with pytest.raises(ValidationError, match="complaint_id"):
        ViolationSource.from_complaint(" ")
    with pytest.raises(ValidationError, match="reference"):
        ViolationSource(kind="inspection")
    with pytest.raises(ValidationError, match="reported_by"):
        ViolationSource(kind="staff_report")
    with pytest.raises(ValidationError, match="kind"):
        ViolationSource(kind="rumour")
    with pytest.raises(ValidationError, match="reporter"):
        ViolationSource.staff_report("u-1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"at": datetime(2024, 5, 6)}, "at"),
        ({"description": ""}, "description"),
        ({"category": ""}, "category"),
        ({"subject": "u-eng"}, "subject"),
        ({"prior_case": "vio-0"}, "prior_case"),
    ],
)
def test_bad_reports_are_refused_naming_the_field(discipline: Any, override: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        discipline.new_violation(**override)
    assert info.value.field == field


@pytest.mark.parametrize("state", [S.FINAL, S.DISMISSED])
def test_a_new_case_may_revisit_a_closed_one(discipline: Any, domain: Any, state: ViolationStatus) -> None:
    prior = discipline.violation(state)
    follow_up = discipline.new_violation(id="vio-2", prior_case=prior, at=domain.after(prior))
    assert follow_up.prior_case_id == prior.id
    assert "revisits vio-1" in follow_up.history[0].note


@pytest.mark.parametrize("state", [S.REPORTED, S.DECIDED, S.PUBLISHED])
def test_an_open_case_cannot_be_revisited(discipline: Any, state: ViolationStatus) -> None:
    with pytest.raises(BusinessRuleError, match=f"is '{state.value}'"):
        discipline.new_violation(id="vio-2", prior_case=discipline.violation(state))


# --- transitions ------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "name"), LEGAL, ids=[f"{s.value}-{n}" for s, n in LEGAL])
def test_every_legal_transition(discipline: Any, domain: Any, state: ViolationStatus, name: str) -> None:
    before = discipline.violation(state)
    if name == "assign_investigators" and state is S.INVESTIGATING:
        command = lambda v, at: v.assign_investigators(  # noqa: E731
            actor=discipline.officer, at=at, investigators=[discipline.investigator2]
        )
    else:
        command = discipline.violation_commands()[name]
    after = command(before, domain.after(before))
    target, event = TARGET[name]
    domain.transitioned(
        before,
        after,
        action=name,
        actor=getattr(discipline, ACTOR[name]),
        at=after.history[-1].at,
        to=target or state,
        event=event,
    )


@pytest.mark.parametrize(("state", "name"), ILLEGAL, ids=[f"{s.value}-{n}" for s, n in ILLEGAL])
def test_every_illegal_transition_is_refused(discipline: Any, domain: Any, state: ViolationStatus, name: str) -> None:
    violation = discipline.violation(state)
    err = domain.invalid_transition(violation, name, discipline.violation_commands()[name])
    assert set(err.allowed_from) == {s.value for s in ALLOWED_FROM[name]}


@pytest.mark.parametrize("state", [S.FINAL, S.DISMISSED])
def test_nothing_happens_to_a_closed_case(discipline: Any, domain: Any, state: ViolationStatus) -> None:
    violation = discipline.violation(state)
    for name, command in discipline.violation_commands().items():
        domain.invalid_transition(violation, name, command)
    conclusion = AppealConclusion(
        appeal_id="apl-1",
        appellant=discipline.subject.ref,
        decision_number=1,
        upheld=False,
        reasons="r",
        decided_by=discipline.panel[0].ref,
    )
    domain.invalid_transition(
        violation,
        "register_appeal",
        lambda v, at: v.register_appeal(appellant=discipline.subject, at=at, appeal_id="apl-9"),
    )
    domain.invalid_transition(
        violation,
        "conclude_appeal",
        lambda v, at: v.conclude_appeal(actor=discipline.panel[0], at=at, conclusion=conclusion),
    )


# --- investigation ----------------------------------------------------------------------


def test_assignment_only_adds_investigators(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.INVESTIGATING)
    more = violation.assign_investigators(
        actor=discipline.officer, at=domain.after(violation), investigators=[discipline.investigator2]
    )
    assert more.investigators == (discipline.investigator.ref, discipline.investigator2.ref)
    assert more.events[-1].investigator_ids == ("u-qa2",)
    err = domain.refused(
        more,
        ValidationError,
        lambda v, at: v.assign_investigators(actor=discipline.officer, at=at, investigators=[discipline.investigator]),
    )
    assert "already investigating" in err.message


@pytest.mark.parametrize(
    ("investigators", "field"),
    [([], "investigators"), ("u-qa", "investigators"), (["u-qa"], "investigators[0]")],
)
def test_assignment_needs_people(discipline: Any, domain: Any, investigators: Any, field: str) -> None:
    violation = discipline.new_violation()
    err = domain.refused(
        violation,
        ValidationError,
        lambda v, at: v.assign_investigators(actor=discipline.officer, at=at, investigators=investigators),
    )
    assert err.field == field


def test_the_same_investigator_twice_in_one_call_is_refused(discipline: Any, domain: Any) -> None:
    err = domain.refused(
        discipline.new_violation(),
        ValidationError,
        lambda v, at: v.assign_investigators(
            actor=discipline.officer, at=at, investigators=[discipline.investigator, discipline.investigator.ref]
        ),
    )
    assert "u-qa" in err.message


def test_evidence_is_numbered_with_who_and_when(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.INVESTIGATING)
    at = domain.after(violation)
    more = violation.add_evidence(
        actor=discipline.investigator,
        at=at,
        kind=EvidenceKind.INTERVIEW_RECORD,
        description="Interview with the engineer",
        reference=EvidenceRef("doc://interviews/1"),
    )
    first, second = more.evidence
    assert (first.number, second.number) == (1, 2)
    assert second.kind is EvidenceKind.INTERVIEW_RECORD
    assert (second.collected_by, second.collected_at) == (discipline.investigator.ref, at)
    assert second.reference == EvidenceRef("doc://interviews/1")
    assert (more.events[-1].evidence_number, more.events[-1].evidence_kind) == (2, "interview_record")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "rumour", "description": "d"}, "kind"),
        ({"kind": "document", "description": " "}, "description"),
        ({"kind": "document", "description": "d", "reference": "doc://x"}, "reference"),
    ],
)
def test_bad_evidence_is_refused(discipline: Any, domain: Any, kwargs: dict[str, Any], field: str) -> None:
    err = domain.refused(
        discipline.violation(S.INVESTIGATING),
        ValidationError,
        lambda v, at: v.add_evidence(actor=discipline.investigator, at=at, **kwargs),
    )
    assert err.field == field


@pytest.mark.parametrize("who", ["officer", "subject", "agent"])
def test_only_an_assigned_investigator_adds_evidence_or_determines(discipline: Any, domain: Any, who: str) -> None:
    violation = discipline.violation(S.INVESTIGATING)
    person = getattr(discipline, who)
    for name, command in {
        "add_evidence": lambda v, at: v.add_evidence(actor=person, at=at, kind="document", description="d"),
        "determine": lambda v, at: v.determine(actor=person, at=at, findings=discipline.findings(), summary="s"),
    }.items():
        err = domain.refused(violation, PermissionDeniedError, command)
        assert type(err) is PermissionDeniedError
        assert err.actor_id == person.id
        assert err.command == f"{name} on violation vio-1"
        assert "assigned investigator" in err.rule
        assert "Kim Inspector" in err.rule


# --- determination ------------------------------------------------------------------------


def test_a_determination_needs_evidence(discipline: Any, domain: Any) -> None:
    violation = _investigating(discipline, domain, evidence=False)
    err = domain.refused(violation, BusinessRuleError, discipline.violation_commands()["determine"])
    assert "at least one evidence item" in str(err)


def test_determination_records_findings_and_the_evidence_it_rests_on(discipline: Any) -> None:
    violation = discipline.violation(S.DETERMINED)
    determination = violation.determination
    assert determination is not None
    assert [f.degree for f in determination.findings] == [ResponsibilityDegree.PRIMARY]
    assert determination.responsible == determination.findings
    assert determination.evidence_numbers == (1,)
    assert violation.events[-1].responsible_ids == ("u-eng",)


def test_nobody_responsible_dismisses_the_case(discipline: Any) -> None:
    violation = discipline.violation(S.DISMISSED)
    assert violation.is_terminal
    assert violation.determination.responsible == ()
    assert isinstance(violation.events[-1], ev.ViolationDismissed)
    assert violation.history[-1].to_state == "dismissed"


def test_a_colleague_may_share_responsibility(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.INVESTIGATING)
    determined = violation.determine(
        actor=discipline.investigator,
        at=domain.after(violation),
        findings=discipline.findings("none", colleague="secondary"),
        summary="The colleague signed off",
    )
    assert determined.status is S.DETERMINED, "someone is responsible, even if not the subject"
    assert determined.events[-1].responsible_ids == ("u-eng2",)


@pytest.mark.parametrize(
    ("findings", "message"),
    [
        ("colleague-only", "subject"),
        ("twice", "repeated"),
        ("not-findings", "findings[0]"),
    ],
)
def test_findings_cover_the_subject_once_each(discipline: Any, domain: Any, findings: str, message: str) -> None:
    chosen = {
        "colleague-only": [Finding(person=discipline.colleague, degree="primary")],
        "twice": [*discipline.findings(), Finding(person=discipline.subject, degree="none")],
        "not-findings": ["primary"],
    }[findings]
    err = domain.refused(
        discipline.violation(S.INVESTIGATING),
        ValidationError,
        lambda v, at: v.determine(actor=discipline.investigator, at=at, findings=chosen, summary="s"),
    )
    assert message in str(err)


def test_finding_degrees_are_validated() -> None:
    with pytest.raises(ValidationError, match="degree"):
        Finding(person=ActorRef("u-1", "A"), degree="most")


# --- decision -------------------------------------------------------------------------------


def test_decision_records_measures_decider_and_deadline(discipline: Any) -> None:
    violation = discipline.violation(S.DECIDED)
    decision = violation.decision
    assert decision is not None
    assert decision.number == 1
    assert [s.kind for s in decision.sanctions] == [SanctionKind.WARNING, SanctionKind.FINE]
    assert decision.sanctions[1].amount == Money("200.00", "CNY")
    assert decision.compensations[0].amount == Money("300.00", "CNY")
    assert decision.decided_by == discipline.officer.ref
    assert decision.appeal_deadline == decision.decided_at + discipline.appeal_window
    assert decision.addressee_ids == ("u-eng",)
    assert decision.corrects is None
    assert not decision.is_revocation
    assert violation.original_decision is decision
    event = violation.events[-1]
    assert (event.decision_number, event.addressee_ids, event.appeal_deadline) == (
        1,
        ("u-eng",),
        decision.appeal_deadline,
    )


def _decide(discipline: Any, **overrides: Any) -> Any:
    def command(v: Violation, at: datetime) -> Violation:
        values: dict[str, Any] = {
            "actor": discipline.officer,
            "at": at,
            "sanctions": discipline.sanctions(),
            "reasons": "r",
            "appeal_deadline": at + timedelta(days=7),
        }
        values.update({k: (v(at) if callable(v) else v) for k, v in overrides.items()})
        return v.decide(**values)

    return command


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sanctions": []}, "sanctions"),
        ({"sanctions": Sanction(person=ActorRef("u-eng", "I"), kind="warning")}, "sanctions"),
        ({"reasons": ""}, "reasons"),
        ({"appeal_deadline": lambda at: at}, "appeal_deadline"),
        ({"appeal_deadline": lambda at: at - timedelta(days=1)}, "appeal_deadline"),
        ({"appeal_deadline": datetime(2030, 1, 1)}, "appeal_deadline"),
        ({"compensations": ["300"]}, "compensations[0]"),
    ],
)
def test_bad_decisions_are_refused_naming_the_field(
    discipline: Any, domain: Any, overrides: dict[str, Any], field: str
) -> None:
    err = domain.refused(discipline.violation(S.DETERMINED), ValidationError, _decide(discipline, **overrides))
    assert err.field == field


def test_compensation_alone_is_a_decision(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.DETERMINED)
    decided = _decide(
        discipline, sanctions=[], compensations=[Compensation(person=discipline.subject, amount=Money("5", "CNY"))]
    )(violation, domain.after(violation))
    assert decided.decision.addressee_ids == ("u-eng",)


def test_only_responsible_parties_are_sanctioned(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.DETERMINED)
    err = domain.refused(
        violation,
        BusinessRuleError,
        _decide(discipline, sanctions=[Sanction(person=discipline.colleague, kind="warning")]),
    )
    assert "Jo Engineer" in str(err)
    assert "not found responsible" in str(err)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "fine"}, "amount"),
        ({"kind": "fine", "amount": Money("-1", "CNY")}, "amount"),
        ({"kind": "warning", "amount": Money("1", "CNY")}, "amount"),
        ({"kind": "caning"}, "kind"),
        ({"kind": "warning", "person": "u-eng"}, "person"),
    ],
)
def test_sanctions_are_validated(values: dict[str, Any], field: str) -> None:
    values = {"person": ActorRef("u-eng", "I"), **values}
    with pytest.raises(ValidationError) as info:
        Sanction(**values)
    assert info.value.field == field


def test_compensation_is_a_positive_amount() -> None:
    with pytest.raises(ValidationError, match="amount"):
        Compensation(person=ActorRef("u-1", "A"), amount=Money("0", "CNY"))


def test_publication_is_recorded(discipline: Any) -> None:
    violation = discipline.violation(S.PUBLISHED)
    (publication,) = violation.publications
    assert (publication.decision_number, publication.published_by) == (1, discipline.officer.ref)
    assert violation.events[-1].decision_number == 1


# --- appeals on the case ---------------------------------------------------------------------


def _conclusion(discipline: Any, violation: Violation, *, upheld: bool, **measures: Any) -> AppealConclusion:
    appeal = violation.open_appeal
    assert appeal is not None
    return AppealConclusion(
        appeal_id=appeal.appeal_id,
        appellant=appeal.appellant,
        decision_number=violation.decision.number,
        upheld=upheld,
        reasons="Panel reasons",
        decided_by=discipline.panel[0].ref,
        **measures,
    )


@pytest.mark.parametrize("state", [S.DECIDED, S.PUBLISHED])
def test_register_appeal_tracks_the_open_appeal(discipline: Any, state: ViolationStatus) -> None:
    violation = discipline.violation(state)
    _, registered = discipline.file(violation)
    assert registered.status is state
    assert registered.open_appeal_id == "apl-1"
    record = registered.open_appeal
    assert (record.appellant, record.decision_number, record.is_open) == (discipline.subject.ref, 1, True)
    assert registered.events == violation.events
    assert registered.history[-1].action == "register_appeal"


def test_only_someone_the_decision_sanctions_may_appeal(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.PUBLISHED)
    err = domain.refused(
        violation,
        PermissionDeniedError,
        lambda v, at: v.register_appeal(appellant=discipline.colleague, at=at, appeal_id="apl-1"),
    )
    assert err.actor_id == "u-eng2"
    assert err.command == "appeal decision 1 of violation vio-1"
    assert "sanctions" in err.rule


def test_a_late_appeal_is_refused_naming_the_deadline(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.PUBLISHED)
    deadline = violation.decision.appeal_deadline
    err = domain.refused(
        violation,
        BusinessRuleError,
        lambda v, at: v.register_appeal(appellant=discipline.subject, at=at, appeal_id="apl-1"),
        at=deadline + timedelta(seconds=1),
    )
    assert deadline.isoformat() in str(err)
    assert "too late" in str(err)
    on_time = violation.register_appeal(appellant=discipline.subject, at=deadline, appeal_id="apl-1")
    assert on_time.open_appeal_id == "apl-1", "the deadline itself is still in time"


def test_one_open_appeal_at_a_time_and_one_appeal_per_person(discipline: Any, domain: Any) -> None:
    violation = _two_addressees(discipline, domain)
    _, registered = discipline.file(violation)
    err = domain.refused(
        registered,
        BusinessRuleError,
        lambda v, at: v.register_appeal(appellant=discipline.colleague, at=at, appeal_id="apl-2"),
    )
    assert "apl-1" in str(err)
    assert "still open" in str(err)
    concluded = registered.conclude_appeal(
        actor=discipline.panel[0],
        at=domain.after(registered),
        conclusion=_conclusion(discipline, registered, upheld=False),
    )
    err = domain.refused(
        concluded,
        BusinessRuleError,
        lambda v, at: v.register_appeal(appellant=discipline.subject, at=at, appeal_id="apl-2"),
    )
    assert "already appealed" in str(err)
    second = concluded.register_appeal(appellant=discipline.colleague, at=domain.after(concluded), appeal_id="apl-2")
    assert second.open_appeal_id == "apl-2"
    err = domain.refused(
        second,
        BusinessRuleError,
        lambda v, at: v.register_appeal(appellant=discipline.colleague, at=at, appeal_id="apl-1"),
    )


def test_an_appeal_id_is_registered_once(discipline: Any, domain: Any) -> None:
    violation = _two_addressees(discipline, domain)
    _, registered = discipline.file(violation)
    concluded = registered.conclude_appeal(
        actor=discipline.panel[0],
        at=domain.after(registered),
        conclusion=_conclusion(discipline, registered, upheld=False),
    )
    err = domain.refused(
        concluded,
        BusinessRuleError,
        lambda v, at: v.register_appeal(appellant=discipline.colleague, at=at, appeal_id="apl-1"),
    )
    assert "already registered" in str(err)


def _two_addressees(discipline: Any, domain: Any) -> Violation:
    violation = discipline.violation(S.INVESTIGATING)
    determined = violation.determine(
        actor=discipline.investigator,
        at=domain.after(violation),
        findings=discipline.findings("primary", colleague="secondary"),
        summary="Both",
    )
    at = domain.after(determined)
    return determined.decide(
        actor=discipline.officer,
        at=at,
        sanctions=[*discipline.sanctions(), Sanction(person=discipline.colleague, kind="warning")],
        reasons="Both at fault",
        appeal_deadline=at + timedelta(days=7),
    )


def test_an_upheld_appeal_appends_a_corrected_decision(discipline: Any, domain: Any) -> None:
    violation = _two_addressees(discipline, domain)
    published = violation.publish(actor=discipline.officer, at=domain.after(violation))
    _, registered = discipline.file(published)
    revised = [Sanction(person=discipline.subject, kind="warning")]
    corrected = registered.conclude_appeal(
        actor=discipline.panel[0],
        at=domain.after(registered),
        conclusion=_conclusion(discipline, registered, upheld=True, sanctions=revised),
    )
    assert corrected.status is S.DECIDED, "the corrected decision is published afresh"
    original, new = corrected.decisions
    assert original == violation.decision, "the original decision stays exactly as it was"
    assert corrected.superseded_decisions == (original,)
    assert (new.number, new.corrects, new.appeal_id) == (2, 1, "apl-1")
    assert new.decided_by == discipline.panel[0].ref
    assert new.appeal_deadline == original.appeal_deadline
    assert [(s.person.id, s.kind.value) for s in new.sanctions] == [("u-eng2", "warning"), ("u-eng", "warning")]
    assert new.compensations == ()
    assert corrected.open_appeal is None
    assert corrected.appeals[0].upheld is True
    event = corrected.events[-1]
    assert isinstance(event, ev.ViolationAppealConcluded)
    assert (event.appeal_id, event.upheld, event.decision_number) == ("apl-1", True, 2)
    republished = corrected.publish(actor=discipline.officer, at=domain.after(corrected))
    assert [p.decision_number for p in republished.publications] == [1, 2]


def test_an_upheld_appeal_may_revoke_everything(discipline: Any, domain: Any) -> None:
    _, registered = discipline.file(discipline.violation(S.PUBLISHED))
    revoked = registered.conclude_appeal(
        actor=discipline.panel[0],
        at=domain.after(registered),
        conclusion=_conclusion(discipline, registered, upheld=True),
    )
    assert revoked.decision.is_revocation
    assert revoked.decision.addressee_ids == ()
    assert revoked.original_decision.sanctions


@pytest.mark.parametrize("state", [S.DECIDED, S.PUBLISHED])
def test_a_rejected_appeal_maintains_the_decision(discipline: Any, domain: Any, state: ViolationStatus) -> None:
    _, registered = discipline.file(discipline.violation(state))
    maintained = registered.conclude_appeal(
        actor=discipline.panel[0],
        at=domain.after(registered),
        conclusion=_conclusion(discipline, registered, upheld=False),
    )
    assert maintained.status is state
    assert maintained.decisions == registered.decisions
    assert maintained.appeals[0].upheld is False
    assert maintained.events[-1].decision_number == 1


def test_only_the_open_appeal_of_the_decision_in_force_is_concluded(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.PUBLISHED)
    conclusion = AppealConclusion(
        appeal_id="apl-1",
        appellant=discipline.subject.ref,
        decision_number=1,
        upheld=False,
        reasons="r",
        decided_by=discipline.panel[0].ref,
    )
    conclude = lambda v, at: v.conclude_appeal(actor=discipline.panel[0], at=at, conclusion=conclusion)  # noqa: E731
    assert "not the open appeal" in str(domain.refused(violation, BusinessRuleError, conclude))
    _, registered = discipline.file(violation, id="apl-2")
    assert "open: apl-2" in str(domain.refused(registered, BusinessRuleError, conclude))
    stale = AppealConclusion(
        appeal_id="apl-2",
        appellant=discipline.subject.ref,
        decision_number=7,
        upheld=False,
        reasons="r",
        decided_by=discipline.panel[0].ref,
    )
    err = domain.refused(
        registered,
        BusinessRuleError,
        lambda v, at: v.conclude_appeal(actor=discipline.panel[0], at=at, conclusion=stale),
    )
    assert "decision 7" in str(err)
    err = domain.refused(
        registered,
        ValidationError,
        lambda v, at: v.conclude_appeal(actor=discipline.panel[0], at=at, conclusion="upheld"),
    )
    assert err.field == "conclusion"


# --- finalization --------------------------------------------------------------------------------


def test_finalize_waits_for_the_appeal_window_and_names_it(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.PUBLISHED)
    deadline = violation.decision.appeal_deadline
    finalize = lambda v, at: v.finalize(actor=discipline.officer, at=at)  # noqa: E731
    for at in (domain.after(violation), deadline):
        err = domain.refused(violation, BusinessRuleError, finalize, at=at)
        assert deadline.isoformat() in str(err)
        assert "u-eng" in str(err)
    final = violation.finalize(actor=discipline.officer, at=deadline + timedelta(microseconds=1))
    assert final.status is S.FINAL
    assert final.is_terminal
    assert final.events[-1].decision_number == 1


def test_finalize_refuses_while_an_appeal_is_open(discipline: Any, domain: Any) -> None:
    _, registered = discipline.file(discipline.violation(S.PUBLISHED))
    after_deadline = registered.decision.appeal_deadline + timedelta(days=1)
    err = domain.refused(
        registered, BusinessRuleError, lambda v, at: v.finalize(actor=discipline.officer, at=at), at=after_deadline
    )
    assert "apl-1 is still open" in str(err)


def test_a_concluded_appeal_makes_the_case_final_before_the_deadline(discipline: Any, domain: Any) -> None:
    _, registered = discipline.file(discipline.violation(S.PUBLISHED))
    concluded = registered.conclude_appeal(
        actor=discipline.panel[0],
        at=domain.after(registered),
        conclusion=_conclusion(discipline, registered, upheld=False),
    )
    assert concluded.may_still_appeal(domain.after(concluded)) == ()
    final = concluded.finalize(actor=discipline.officer, at=domain.after(concluded))
    assert final.status is S.FINAL


def test_with_two_addressees_finalize_waits_for_the_one_who_has_not_appealed(discipline: Any, domain: Any) -> None:
    violation = _two_addressees(discipline, domain).publish(actor=discipline.officer, at=domain.t0 + timedelta(days=1))
    _, registered = discipline.file(violation)
    concluded = registered.conclude_appeal(
        actor=discipline.panel[0],
        at=domain.after(registered),
        conclusion=_conclusion(discipline, registered, upheld=False),
    )
    assert concluded.may_still_appeal(domain.after(concluded)) == ("u-eng2",)
    err = domain.refused(concluded, BusinessRuleError, lambda v, at: v.finalize(actor=discipline.officer, at=at))
    assert "u-eng2" in str(err)


@settings(max_examples=100, deadline=None)
@given(
    offset=st.timedeltas(min_value=-timedelta(days=8), max_value=timedelta(days=8)),
    tz=st.integers(min_value=-12 * 4, max_value=14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q))),
)
def test_finalize_and_appeal_split_time_exactly_at_the_deadline(
    discipline: Any, offset: timedelta, tz: timezone
) -> None:
    violation = discipline.violation(S.PUBLISHED)
    deadline = violation.decision.appeal_deadline
    at = max(violation.history[-1].at, deadline + offset).astimezone(tz)
    try:
        violation.finalize(actor=discipline.officer, at=at)
        finalized = True
    except BusinessRuleError:
        finalized = False
    try:
        violation.register_appeal(appellant=discipline.subject, at=at, appeal_id="apl-1")
        appealed = True
    except BusinessRuleError:
        appealed = False
    assert finalized is (at > deadline)
    assert appealed is (at <= deadline)


# --- separation of duties ------------------------------------------------------------------------


def test_the_subject_never_investigates_their_own_case(discipline: Any, domain: Any) -> None:
    err = domain.refused(
        discipline.new_violation(),
        SeparationOfDutiesError,
        lambda v, at: v.assign_investigators(
            actor=discipline.officer, at=at, investigators=[discipline.investigator, discipline.subject]
        ),
    )
    assert err.actor_id == "u-eng"
    assert err.command == "assign_investigators violation vio-1"
    assert "subject" in err.rule
    assert "investigate" in err.rule


# add_evidence and determine are for assigned investigators only, which the subject can never be
HANDLING = [(s, n) for s, n in LEGAL if n not in {"add_evidence", "determine"}]


@pytest.mark.parametrize(("state", "name"), HANDLING, ids=[f"{s.value}-{n}" for s, n in HANDLING])
def test_the_subject_takes_no_part_in_handling_the_case(
    discipline: Any, domain: Any, state: ViolationStatus, name: str
) -> None:
    violation = discipline.violation(state)
    subject = discipline.subject
    command = {
        "assign_investigators": lambda v, at: v.assign_investigators(
            actor=subject, at=at, investigators=[discipline.investigator2]
        ),
        "decide": _decide(discipline, actor=subject),
        "publish": lambda v, at: v.publish(actor=subject, at=at),
        "finalize": lambda v, at: v.finalize(actor=subject, at=discipline.after_deadline(v, at)),
    }[name]
    err = domain.refused(violation, SeparationOfDutiesError, command)
    assert err.actor_id == subject.id
    assert err.command == f"{name} violation vio-1"
    assert "subject of this violation" in err.rule


def test_a_responsible_colleague_does_not_decide_on_sanctions(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.INVESTIGATING)
    determined = violation.determine(
        actor=discipline.investigator,
        at=domain.after(violation),
        findings=[*discipline.findings(), Finding(person=discipline.officer, degree="secondary")],
        summary="The officer approved the shortcut",
    )
    err = domain.refused(determined, SeparationOfDutiesError, _decide(discipline))
    assert err.actor_id == discipline.officer.id
    assert "found responsible" in err.rule


def test_the_subject_cannot_conclude_an_appeal(discipline: Any, domain: Any) -> None:
    _, registered = discipline.file(discipline.violation(S.PUBLISHED))
    err = domain.refused(
        registered,
        SeparationOfDutiesError,
        lambda v, at: v.conclude_appeal(
            actor=discipline.subject, at=at, conclusion=_conclusion(discipline, registered, upheld=True)
        ),
    )
    assert err.actor_id == "u-eng"


def test_refused_commands_leave_the_case_untouched(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(S.PUBLISHED)
    domain.refused(violation, BusinessRuleError, lambda v, at: v.finalize(actor=discipline.officer, at=at))
    assert violation.status is S.PUBLISHED
    assert ResponsibilityDegree("none") is ResponsibilityDegree.NONE
