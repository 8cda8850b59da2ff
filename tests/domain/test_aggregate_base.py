"""One definition of an aggregate: the base, the registry and what derives from them."""

from __future__ import annotations

import attrs
import pytest

from servicecore import serialization
from servicecore.domain import events as ev
from servicecore.domain.aggregate import Aggregate, SlaTrackedAggregate
from servicecore.domain.errors import ValidationError
from servicecore.domain.registry import AGGREGATES
from servicecore.domain.values import ActorRef
from servicecore.domain.work_order import Hold
from servicecore.sla.clocks import SlaTracked
from servicecore.storage_kinds import AGGREGATE_KINDS, aggregate_kind_named
from servicecore.testing import discipline_case, discipline_side_paths, full_lifecycle, side_paths


def test_storage_and_serialization_take_their_kinds_from_the_registry() -> None:
    assert serialization.AGGREGATES == AGGREGATES
    assert [(kind.name, kind.cls) for kind in AGGREGATE_KINDS] == [(cls.kind, cls) for cls in AGGREGATES]
    assert len({cls.kind for cls in AGGREGATES}) == len(AGGREGATES)
    assert aggregate_kind_named("WorkOrder").cls.kind == "WorkOrder"


@pytest.mark.parametrize("cls", AGGREGATES, ids=lambda c: c.__name__)
def test_every_aggregate_keeps_the_shared_fields_last_as_stored_documents_have_them(cls: type[Aggregate]) -> None:
    assert issubclass(cls, Aggregate)
    names = [field.name for field in attrs.fields(cls)]
    shared = (
        ["version", "history", "clocks", "events"]
        if issubclass(cls, SlaTrackedAggregate)
        else ["version", "history", "events"]
    )
    assert names[-len(shared) :] == shared
    assert names.count("version") == 1
    assert issubclass(cls, SlaTracked) == ("clocks" in names)


def test_every_event_an_aggregate_raises_names_that_aggregate_s_kind() -> None:
    cases = (
        *full_lifecycle("1").snapshots(),
        *side_paths("2"),
        *discipline_case("3").snapshots(),
        *discipline_side_paths("4"),
    )
    raised = [(type(case).kind, event) for case in cases for event in case.events]
    assert len({type(event) for _, event in raised}) > 50
    for kind, event in raised:
        assert event.aggregate_type == kind, event.name
        assert event.aggregate_id


def test_an_event_names_its_aggregate_by_the_base_it_derives_from() -> None:
    assert ev.WorkOrderStarted.aggregate_type == ev.WorkOrderEvent.aggregate_type == "WorkOrder"
    assert ev.RequestReceived.aggregate_type == "ServiceRequest"
    assert issubclass(ev.RequestReceived, ev.CustomerFacing)
    assert ev.DomainEvent.aggregate_type == ev.SlaCheckpointReached.aggregate_type == ""


def test_an_enum_field_names_itself_not_its_enum_when_it_refuses_a_value() -> None:
    at = full_lifecycle("5").finals()[2].history[0].at
    with pytest.raises(ValidationError) as refused:
        Hold(reason="lunch", description="no bait", raised_by=ActorRef("E-1", "Li Na"), raised_at=at)
    assert refused.value.field == "reason"
    assert "'material_shortage'" in str(refused.value)
