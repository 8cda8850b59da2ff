"""The default notification policy: who hears about what."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from servicecore.application.notifications import DefaultNotificationPolicy
from servicecore.domain import events as ev
from servicecore.domain.complaint import Complaint
from servicecore.domain.values import ActorRef, CustomerId
from servicecore.ports.notification import Notification
from servicecore.testing import discipline_case, discipline_side_paths

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
BY = ActorRef("E-1", "Li Na")
CUSTOMER = CustomerId("C-1")
EVENT_CLASSES = [
    cls
    for _, cls in inspect.getmembers(ev, inspect.isclass)
    if issubclass(cls, ev.DomainEvent) and cls not in (ev.DomainEvent, ev.CustomerFacing)
]
AGGREGATES = {"ServiceRequest", "ServiceAgreement", "WorkOrder", "Acceptance", "Complaint", "Violation", "Appeal"}


def notify(event: ev.DomainEvent) -> tuple[Notification, ...]:
    counter = iter(range(1, 100))
    return tuple(DefaultNotificationPolicy().notifications_for(event, new_id=lambda: f"N-{next(counter)}", now=AT))


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_every_event_names_the_aggregate_that_raises_it(cls: type[ev.DomainEvent]) -> None:
    assert cls.__name__ in ev.__all__
    if cls is ev.SlaCheckpointReached:
        # Raised on every kind of case: the instance names it in case_type instead.
        assert cls.aggregate_type == ""
        assert "case_type" in {field.name for field in attrs.fields(cls)}
    else:
        assert cls.aggregate_type in AGGREGATES


def sla(recipients: tuple[str, ...], *, case_type: str = "Complaint", kind: str = "breach") -> ev.SlaCheckpointReached:
    return ev.SlaCheckpointReached(
        aggregate_id="CMP-1",
        occurred_at=AT,
        actor=ActorRef("system:sla", "SLA scan"),
        case_type=case_type,
        clock="resolution",
        kind=kind,
        level="",
        due_at=AT - timedelta(hours=1),
        reached_at=AT - timedelta(hours=1),
        recipients=recipients,
    )


DEADLINE = AT + timedelta(days=15)


@pytest.mark.parametrize(
    ("event", "recipients"),
    [
        (
            ev.RequestReceived(
                aggregate_id="R-1",
                occurred_at=AT,
                actor=BY,
                customer_id=CUSTOMER,
                channel="phone",
                priority="low",
            ),
            ("customer:C-1",),
        ),
        (ev.AgreementSubmittedForReview(aggregate_id="A-1", occurred_at=AT, actor=BY, revision=1), ("role:reviewer",)),
        (
            ev.AgreementReturned(
                aggregate_id="A-1", occurred_at=AT, actor=BY, revision=1, author_id="E-7", comments="c"
            ),
            ("actor:E-7",),
        ),
        (
            ev.WorkOrderCreated(aggregate_id="W-1", occurred_at=AT, actor=BY, assignees=("E-10", "E-11")),
            ("actor:E-10", "actor:E-11"),
        ),
        (
            ev.HoldReportedToSupervisor(aggregate_id="W-1", occurred_at=AT, actor=BY, supervisor_id="E-3"),
            ("actor:E-3",),
        ),
        # --- complaints ---
        (
            ev.ComplaintReceived(
                aggregate_id="CMP-1",
                occurred_at=AT,
                actor=BY,
                customer_id=CUSTOMER,
                channel="hotline",
                category="quality",
                severity="major",
            ),
            ("customer:C-1",),
        ),
        (
            ev.ComplaintAcknowledged(aggregate_id="CMP-1", occurred_at=AT, actor=BY, customer_id=CUSTOMER),
            ("customer:C-1",),
        ),
        (
            ev.ComplaintInvestigationStarted(aggregate_id="CMP-1", occurred_at=AT, actor=BY, investigator_id="E-40"),
            ("actor:E-40",),
        ),
        (
            ev.ComplaintResolved(
                aggregate_id="CMP-1",
                occurred_at=AT,
                actor=BY,
                customer_id=CUSTOMER,
                remedies=("apology", "redo"),
                outcome="remedied",
            ),
            ("customer:C-1",),
        ),
        (
            ev.ComplaintReopened(
                aggregate_id="CMP-1", occurred_at=AT, actor=BY, reopen_count=2, investigator_id="E-40"
            ),
            ("actor:E-40",),
        ),
        (
            ev.ComplaintClosed(aggregate_id="CMP-1", occurred_at=AT, actor=BY, customer_id=CUSTOMER, how="silence"),
            ("customer:C-1",),
        ),
        # --- violations ---
        (
            ev.ViolationReported(
                aggregate_id="VIO-1",
                occurred_at=AT,
                actor=BY,
                subject_id="E-10",
                category="quality_failure",
                source_kind="complaint",
            ),
            ("role:discipline_officer",),
        ),
        (
            ev.ViolationInvestigatorsAssigned(
                aggregate_id="VIO-1", occurred_at=AT, actor=BY, investigator_ids=("E-40", "E-41")
            ),
            ("actor:E-40", "actor:E-41"),
        ),
        (
            ev.ViolationDecided(
                aggregate_id="VIO-1",
                occurred_at=AT,
                actor=BY,
                decision_number=1,
                addressee_ids=("E-10", "E-11"),
                appeal_deadline=DEADLINE,
            ),
            ("actor:E-10", "actor:E-11"),
        ),
        # --- appeals ---
        (
            ev.AppealFiled(
                aggregate_id="APL-1",
                occurred_at=AT,
                actor=BY,
                violation_id="VIO-1",
                decision_number=1,
                appellant_id="E-10",
            ),
            ("role:appeal_panel_member",),
        ),
        (
            ev.AppealReviewStarted(aggregate_id="APL-1", occurred_at=AT, actor=BY, panel_ids=("E-50", "E-51")),
            ("actor:E-50", "actor:E-51"),
        ),
        (
            ev.AppealClosed(aggregate_id="APL-1", occurred_at=AT, actor=BY, appellant_id="E-10", upheld=True),
            ("actor:E-10",),
        ),
        # --- service levels ---
        (sla(("role:supervisor", "actor:E-40")), ("role:supervisor", "actor:E-40")),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_recipients(event: ev.DomainEvent, recipients: tuple[str, ...]) -> None:
    (notification,) = notify(event)
    assert notification.recipients == recipients
    assert notification.event == event.name
    assert notification.aggregate_type == event.aggregate_type or isinstance(event, ev.SlaCheckpointReached)
    assert notification.aggregate_id == event.aggregate_id
    assert event.aggregate_id in notification.subject
    assert notification.created_at == AT
    assert notification.id == "N-1"


def test_internal_progress_events_notify_nobody() -> None:
    assert notify(ev.StepCompleted(aggregate_id="W-1", occurred_at=AT, actor=BY, step_key="execute")) == ()
    assert (
        notify(
            ev.ViolationEvidenceAdded(
                aggregate_id="V-1", occurred_at=AT, actor=BY, evidence_number=1, evidence_kind="document"
            )
        )
        == ()
    )
    assert notify(ev.ComplaintWithdrawn(aggregate_id="CMP-1", occurred_at=AT, actor=BY, reason="sorted it out")) == ()


def test_a_violation_decision_tells_the_addressees_their_appeal_deadline() -> None:
    event = ev.ViolationDecided(
        aggregate_id="VIO-1",
        occurred_at=AT,
        actor=BY,
        decision_number=2,
        addressee_ids=("E-10",),
        appeal_deadline=DEADLINE,
    )
    (notification,) = notify(event)
    assert DEADLINE.isoformat() in notification.subject
    assert "Decision 2" in notification.subject
    (without,) = notify(attrs.evolve(event, appeal_deadline=None))
    assert "no appeal deadline" in without.subject


@pytest.mark.parametrize("case_type", ["ServiceRequest", "WorkOrder", "Complaint", "Violation"])
def test_an_sla_checkpoint_is_filed_under_the_case_it_was_reached_on(case_type: str) -> None:
    (notification,) = notify(sla(("role:supervisor",), case_type=case_type))
    assert notification.aggregate_type == case_type
    assert notification.event == "SlaCheckpointReached"
    assert case_type in notification.subject
    assert "resolution" in notification.subject, "the subject names the clock"
    assert (AT - timedelta(hours=1)).isoformat() in notification.subject, "and when it was due"


def test_an_sla_checkpoint_with_nobody_to_tell_writes_no_notification() -> None:
    assert notify(sla(())) == ()


def _complaint_free_text(complaint: Complaint) -> set[str]:
    texts = {complaint.description, complaint.withdrawal_reason}
    if complaint.acknowledgement is not None:
        texts.add(complaint.acknowledgement.message)
    for resolution in complaint.resolutions:
        texts |= {resolution.summary, resolution.reply, *(r.note for r in resolution.remedies)}
    texts |= {entry.note for entry in complaint.history if entry.action in {"reopen", "withdraw", "confirm_resolution"}}
    if complaint.closure is not None:
        texts.add(complaint.closure.note)
    return {text for text in texts if text.strip()}


def test_staff_notifications_never_quote_the_complainants_words() -> None:
    case = discipline_case("7")
    side = discipline_side_paths("7")
    complaints = [*case.complaints, *(agg for agg in side if isinstance(agg, Complaint))]
    free_text = set().union(*(_complaint_free_text(c) for c in complaints))
    assert len(free_text) > 5, "the samples exercise the complaint's free-text fields"
    events = [event for aggregate in (*case.snapshots(), *side) for event in aggregate.events]
    staff = [n for e in events for n in notify(e) if not all(r.startswith("customer:") for r in n.recipients)]
    assert {n.event for n in staff} >= {
        "ComplaintInvestigationStarted",
        "ComplaintReopened",
        "ViolationReported",
        "ViolationDecided",
        "AppealFiled",
        "AppealClosed",
    }
    for notification in staff:
        for text in free_text:
            assert text not in notification.subject, (notification.event, text)
            assert text not in notification.body, (notification.event, text)
