"""The default notification policy: who hears about what."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest

from servicecore.application.notifications import DefaultNotificationPolicy
from servicecore.domain import events as ev
from servicecore.domain.values import ActorRef, CustomerId

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
BY = ActorRef("E-1", "Li Na")
EVENT_CLASSES = [
    cls
    for _, cls in inspect.getmembers(ev, inspect.isclass)
    if issubclass(cls, ev.DomainEvent) and cls not in (ev.DomainEvent, ev.CustomerFacing)
]


def notify(event: ev.DomainEvent):
    counter = iter(range(1, 100))
    return DefaultNotificationPolicy().notifications_for(event, new_id=lambda: f"N-{next(counter)}", now=AT)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_every_event_names_the_aggregate_that_raises_it(cls):
    assert cls.aggregate_type in {"ServiceRequest", "ServiceAgreement", "WorkOrder", "Acceptance"}
    assert cls.__name__ in ev.__all__


@pytest.mark.parametrize(
    ("event", "recipients"),
    [
        (
            ev.RequestReceived(
                aggregate_id="R-1",
                occurred_at=AT,
                actor=BY,
                customer_id=CustomerId("C-1"),
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
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_recipients(event, recipients):
    (notification,) = notify(event)
    assert notification.recipients == recipients
    assert notification.event == event.name
    assert notification.aggregate_id == event.aggregate_id
    assert notification.created_at == AT
    assert notification.id == "N-1"


def test_internal_progress_events_notify_nobody():
    assert notify(ev.StepCompleted(aggregate_id="W-1", occurred_at=AT, actor=BY, step_key="execute")) == ()
