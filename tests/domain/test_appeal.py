"""Appeal: who may file and when, the independent panel, upheld or rejected, closing with the
appellant notified, and the hand-over to the violation that keeps the original decision visible."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from servicecore.domain import (
    ActorRef,
    Appeal,
    AppealConclusion,
    AppealStatus,
    BusinessRuleError,
    Compensation,
    InvalidTransitionError,
    Money,
    PermissionDeniedError,
    Sanction,
    SanctionKind,
    SeparationOfDutiesError,
    ValidationError,
    ViolationStatus,
)
from servicecore.domain import events as ev

S = AppealStatus
ALLOWED_FROM: dict[str, set[AppealStatus]] = {
    "start_review": {S.FILED},
    "uphold": {S.UNDER_REVIEW},
    "reject": {S.UNDER_REVIEW},
    "close": {S.UPHELD, S.REJECTED},
}
TARGET: dict[str, tuple[AppealStatus, type[ev.DomainEvent], str]] = {
    "start_review": (S.UNDER_REVIEW, ev.AppealReviewStarted, "supervisor"),
    "uphold": (S.UPHELD, ev.AppealUpheld, "panel0"),
    "reject": (S.REJECTED, ev.AppealRejected, "panel0"),
    "close": (S.CLOSED, ev.AppealClosed, "panel0"),
}
LEGAL = [(state, name) for name, states in ALLOWED_FROM.items() for state in sorted(states)]
ILLEGAL = [(state, name) for name, states in ALLOWED_FROM.items() for state in S if state not in states]


def _actor(discipline: Any, name: str) -> Any:
    return discipline.panel[0] if name == "panel0" else getattr(discipline, name)


def _appeal_in(discipline: Any, state: AppealStatus) -> Appeal:
    return discipline.appeal(state, upheld=state is not S.REJECTED)


# --- filing ----------------------------------------------------------------------------


def test_filing_snapshots_what_the_panel_needs(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(ViolationStatus.PUBLISHED)
    at = domain.after(violation)
    appeal = Appeal.file(id="apl-1", violation=violation, appellant=discipline.subject, at=at, grounds="Wrong gel")
    decision = violation.decision
    assert appeal.status is S.FILED
    assert (appeal.violation_id, appeal.decision_number, appeal.filed_at) == ("vio-1", 1, at)
    assert appeal.appellant == discipline.subject.ref
    assert appeal.appeal_deadline == decision.appeal_deadline
    assert appeal.contested_sanctions == decision.sanctions
    assert appeal.contested_compensations == decision.compensations
    assert appeal.original_investigators == (discipline.investigator.ref,)
    assert appeal.original_deciders == (discipline.officer.ref,)
    (event,) = appeal.events
    assert isinstance(event, ev.AppealFiled)
    assert (event.violation_id, event.decision_number, event.appellant_id) == ("vio-1", 1, "u-eng")
    assert event.aggregate_type == "Appeal"


def test_only_the_sanctioned_staff_member_may_appeal(discipline: Any, domain: Any) -> None:
    violation = discipline.violation(ViolationStatus.PUBLISHED)
    for person in (discipline.colleague, discipline.officer, discipline.contact):
        with pytest.raises(PermissionDeniedError) as info:
            Appeal.file(id="apl-1", violation=violation, appellant=person, at=domain.after(violation), grounds="g")
        assert info.value.actor_id == person.id
        assert info.value.command == "appeal decision 1 of violation vio-1"
        assert "only a staff member the decision sanctions" in info.value.rule


def test_a_late_appeal_gets_an_error_naming_the_deadline(discipline: Any) -> None:
    violation = discipline.violation(ViolationStatus.PUBLISHED)
    deadline = violation.decision.appeal_deadline
    with pytest.raises(BusinessRuleError) as info:
        Appeal.file(
            id="apl-1", violation=violation, appellant=discipline.subject, at=deadline + timedelta(hours=1), grounds="g"
        )
    assert deadline.isoformat() in str(info.value)
    assert "appeal deadline" in str(info.value)


def test_one_open_appeal_per_decision(discipline: Any, domain: Any) -> None:
    _, registered = discipline.file(discipline.violation(ViolationStatus.PUBLISHED))
    with pytest.raises(BusinessRuleError, match="apl-1"):
        Appeal.file(
            id="apl-2", violation=registered, appellant=discipline.subject, at=domain.after(registered), grounds="g"
        )


@pytest.mark.parametrize("state", [ViolationStatus.DETERMINED, ViolationStatus.FINAL, ViolationStatus.DISMISSED])
def test_only_a_decided_or_published_case_is_appealed(discipline: Any, domain: Any, state: ViolationStatus) -> None:
    violation = discipline.violation(state)
    with pytest.raises(InvalidTransitionError) as info:
        Appeal.file(
            id="apl-1", violation=violation, appellant=discipline.subject, at=domain.after(violation), grounds="g"
        )
    assert info.value.action == "file_appeal"


@pytest.mark.parametrize(
    ("override", "field"),
    [({"grounds": " "}, "grounds"), ({"violation": "vio-1"}, "violation"), ({"at": datetime(2024, 5, 7)}, "at")],
)
def test_bad_filings_name_the_field(discipline: Any, domain: Any, override: dict[str, Any], field: str) -> None:
    violation = discipline.violation(ViolationStatus.PUBLISHED)
    values: dict[str, Any] = {
        "id": "apl-1",
        "violation": violation,
        "appellant": discipline.subject,
        "at": domain.after(violation),
        "grounds": "g",
    }
    with pytest.raises(ValidationError) as info:
        Appeal.file(**{**values, **override})
    assert info.value.field == field


# --- transitions ------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "name"), LEGAL, ids=[f"{s.value}-{n}" for s, n in LEGAL])
def test_every_legal_transition(discipline: Any, domain: Any, state: AppealStatus, name: str) -> None:
    before = _appeal_in(discipline, state)
    at = domain.after(before)
    after = discipline.appeal_commands()[name](before, at)
    target, event, actor = TARGET[name]
    domain.transitioned(before, after, action=name, actor=_actor(discipline, actor), at=at, to=target, event=event)


@pytest.mark.parametrize(("state", "name"), ILLEGAL, ids=[f"{s.value}-{n}" for s, n in ILLEGAL])
def test_every_illegal_transition_is_refused(discipline: Any, domain: Any, state: AppealStatus, name: str) -> None:
    err = domain.invalid_transition(_appeal_in(discipline, state), name, discipline.appeal_commands()[name])
    assert set(err.allowed_from) == {s.value for s in ALLOWED_FROM[name]}


@pytest.mark.parametrize("name", sorted(ALLOWED_FROM))
def test_a_command_dated_before_the_last_step_is_refused(discipline: Any, domain: Any, name: str) -> None:
    appeal = _appeal_in(discipline, sorted(ALLOWED_FROM[name])[0])
    err = domain.refused(appeal, ValidationError, discipline.appeal_commands()[name], at=domain.before(appeal))
    assert err.field == "at"


# --- the panel ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "rule"),
    [("investigator", "investigated"), ("officer", "decided"), ("subject", "appellant")],
)
def test_no_panel_member_investigated_decided_or_appeals(discipline: Any, domain: Any, who: str, rule: str) -> None:
    appeal = _appeal_in(discipline, S.FILED)
    person = getattr(discipline, who)
    err = domain.refused(
        appeal,
        SeparationOfDutiesError,
        lambda a, at: a.start_review(actor=discipline.supervisor, at=at, panel=[discipline.panel[0], person]),
    )
    assert err.actor_id == person.id
    assert err.command == "start_review appeal apl-1"
    assert rule in err.rule


def test_a_decider_of_any_earlier_decision_is_excluded(discipline: Any, domain: Any) -> None:
    """The panel member who corrected decision 1 on the subject's appeal decided the case too."""
    investigating = discipline.violation(ViolationStatus.INVESTIGATING)
    determined = investigating.determine(
        actor=discipline.investigator,
        at=domain.after(investigating),
        findings=discipline.findings("primary", colleague="secondary"),
        summary="Both",
    )
    at = domain.after(determined)
    violation = determined.decide(
        actor=discipline.officer,
        at=at,
        sanctions=[*discipline.sanctions(), Sanction(person=discipline.colleague, kind="warning")],
        reasons="Both at fault",
        appeal_deadline=at + timedelta(days=7),
    )
    cmd = discipline.appeal_commands()
    first, violation = discipline.file(violation)
    first = domain._run(first, cmd["start_review"], cmd["uphold"])
    violation = violation.conclude_appeal(
        actor=discipline.panel[0], at=domain.after(first), conclusion=first.conclusion
    )
    second = Appeal.file(
        id="apl-2", violation=violation, appellant=discipline.colleague, at=domain.after(violation), grounds="g"
    )
    assert second.decision_number == 2
    assert {d.id for d in second.original_deciders} == {discipline.officer.id, discipline.panel[0].id}
    err = domain.refused(
        second,
        SeparationOfDutiesError,
        lambda a, at: a.start_review(actor=discipline.supervisor, at=at, panel=[discipline.panel[0]]),
    )
    assert "decided" in err.rule
    assert second.start_review(actor=discipline.supervisor, at=domain.after(second), panel=discipline.panel[1:])


def test_the_appellant_does_not_convene_the_panel(discipline: Any, domain: Any) -> None:
    appeal = _appeal_in(discipline, S.FILED)
    err = domain.refused(
        appeal,
        SeparationOfDutiesError,
        lambda a, at: a.start_review(actor=discipline.subject, at=at, panel=discipline.panel),
    )
    assert err.actor_id == discipline.subject.id


@pytest.mark.parametrize(("panel", "field"), [([], "panel"), ("u-p1", "panel"), (["u-p1"], "panel[0]")])
def test_the_panel_is_a_list_of_people(discipline: Any, domain: Any, panel: Any, field: str) -> None:
    err = domain.refused(
        _appeal_in(discipline, S.FILED),
        ValidationError,
        lambda a, at: a.start_review(actor=discipline.supervisor, at=at, panel=panel),
    )
    assert err.field == field


def test_review_records_the_panel(discipline: Any) -> None:
    appeal = _appeal_in(discipline, S.UNDER_REVIEW)
    assert appeal.panel == (discipline.panel[0].ref, discipline.panel[1].ref)
    assert appeal.events[-1].panel_ids == ("u-p1", "u-p2")


@pytest.mark.parametrize("name", ["uphold", "reject"])
@pytest.mark.parametrize("who", ["officer", "supervisor", "panel2"])
def test_only_panel_members_decide(discipline: Any, domain: Any, name: str, who: str) -> None:
    person = discipline.panel[2] if who == "panel2" else getattr(discipline, who)
    command = {
        "uphold": lambda a, at: a.uphold(actor=person, at=at, reasons="r"),
        "reject": lambda a, at: a.reject(actor=person, at=at, reasons="r"),
    }[name]
    err = domain.refused(_appeal_in(discipline, S.UNDER_REVIEW), PermissionDeniedError, command)
    assert err.actor_id == person.id
    assert err.command == f"{name} appeal apl-1"
    assert "Nia Panel" in err.rule


# --- outcomes ----------------------------------------------------------------------------------


def test_upheld_with_revised_sanctions(discipline: Any) -> None:
    appeal = _appeal_in(discipline, S.UPHELD)
    outcome = appeal.outcome
    assert outcome is not None
    assert outcome.upheld
    assert not outcome.revoked
    assert [s.kind for s in outcome.sanctions] == [SanctionKind.WARNING]
    assert outcome.decided_by == discipline.panel[0].ref
    assert appeal.events[-1].revoked is False
    conclusion = appeal.conclusion
    assert conclusion == AppealConclusion(
        appeal_id="apl-1",
        appellant=discipline.subject.ref,
        decision_number=1,
        upheld=True,
        reasons=outcome.reasons,
        decided_by=discipline.panel[0].ref,
        sanctions=outcome.sanctions,
    )


def test_upheld_with_revocation(discipline: Any, domain: Any) -> None:
    appeal = _appeal_in(discipline, S.UNDER_REVIEW)
    revoked = appeal.uphold(actor=discipline.panel[1], at=domain.after(appeal), reasons="No fault")
    assert revoked.outcome.revoked
    assert revoked.events[-1].revoked is True


def test_upholding_must_change_something(discipline: Any, domain: Any) -> None:
    appeal = _appeal_in(discipline, S.UNDER_REVIEW)
    same = [
        Sanction(person=discipline.subject, kind="fine", amount=Money("200.00", "CNY"), note="reworded"),
        Sanction(person=discipline.subject, kind="warning"),
    ]
    err = domain.refused(
        appeal,
        BusinessRuleError,
        lambda a, at: a.uphold(
            actor=discipline.panel[0],
            at=at,
            reasons="r",
            sanctions=same,
            compensations=[Compensation(person=discipline.subject, amount=Money("300.00", "CNY"))],
        ),
    )
    assert "reject" in str(err)


@pytest.mark.parametrize("measure", ["sanction", "compensation"])
def test_an_appeal_revises_only_the_appellants_measures(discipline: Any, domain: Any, measure: str) -> None:
    other = ActorRef("u-eng2", "Jo Engineer")
    kwargs = (
        {"sanctions": [Sanction(person=other, kind="warning")]}
        if measure == "sanction"
        else {"compensations": [Compensation(person=other, amount=Money("1", "CNY"))]}
    )
    err = domain.refused(
        _appeal_in(discipline, S.UNDER_REVIEW),
        ValidationError,
        lambda a, at: a.uphold(actor=discipline.panel[0], at=at, reasons="r", **kwargs),
    )
    assert err.field == f"{measure}s[0]"
    assert "Jo Engineer" in err.message


@pytest.mark.parametrize("name", ["uphold", "reject"])
def test_reasons_are_required(discipline: Any, domain: Any, name: str) -> None:
    command = {
        "uphold": lambda a, at: a.uphold(actor=discipline.panel[0], at=at, reasons=" "),
        "reject": lambda a, at: a.reject(actor=discipline.panel[0], at=at, reasons=""),
    }[name]
    err = domain.refused(_appeal_in(discipline, S.UNDER_REVIEW), ValidationError, command)
    assert err.field == "reasons"


def test_rejection_records_reasons(discipline: Any) -> None:
    appeal = _appeal_in(discipline, S.REJECTED)
    assert appeal.outcome is not None
    assert not appeal.outcome.upheld
    assert appeal.outcome.reasons.startswith("The check")
    assert appeal.conclusion.upheld is False
    assert appeal.conclusion.sanctions == ()


@pytest.mark.parametrize("state", [S.FILED, S.UNDER_REVIEW])
def test_there_is_no_conclusion_before_the_panel_decides(discipline: Any, state: AppealStatus) -> None:
    with pytest.raises(BusinessRuleError, match="not decided"):
        _ = _appeal_in(discipline, state).conclusion


@pytest.mark.parametrize("upheld", [True, False])
def test_closing_notifies_the_appellant(discipline: Any, upheld: bool) -> None:
    appeal = discipline.appeal(S.CLOSED, upheld=upheld)
    assert appeal.is_terminal
    assert appeal.notification == "Told in person"
    assert appeal.notified_at == appeal.history[-1].at
    event = appeal.events[-1]
    assert isinstance(event, ev.AppealClosed)
    assert (event.appellant_id, event.upheld) == ("u-eng", upheld)


def test_closing_needs_the_notification(discipline: Any, domain: Any) -> None:
    err = domain.refused(
        _appeal_in(discipline, S.UPHELD),
        ValidationError,
        lambda a, at: a.close(actor=discipline.panel[0], at=at, notification=""),
    )
    assert err.field == "notification"


# --- with the violation ----------------------------------------------------------------------------


def test_the_whole_story_keeps_the_original_decision_visible(discipline: Any, domain: Any) -> None:
    cmd = discipline.appeal_commands()
    appeal, violation = discipline.file(discipline.violation(ViolationStatus.PUBLISHED))
    appeal = domain._run(appeal, cmd["start_review"], cmd["uphold"])
    violation = violation.conclude_appeal(
        actor=discipline.panel[0], at=domain.after(appeal), conclusion=appeal.conclusion
    )
    appeal = domain._run(appeal, cmd["close"])
    violation = violation.publish(actor=discipline.officer, at=domain.after(violation))
    violation = violation.finalize(actor=discipline.officer, at=domain.after(violation))
    assert violation.status is ViolationStatus.FINAL
    original, corrected = violation.decisions
    assert [s.kind for s in original.sanctions] == [SanctionKind.WARNING, SanctionKind.FINE]
    assert [s.kind for s in corrected.sanctions] == [SanctionKind.WARNING]
    assert corrected.compensations == (), "the appellant's compensation was revised away too"
    assert corrected.appeal_id == appeal.id
    assert appeal.status is S.CLOSED
