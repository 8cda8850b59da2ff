"""The hotel damage-charge complaint through the ServiceDesk facade, on memory storage and on SQLite.

A guest is charged 3 × 50 CNY for stained towels and complains. The disputed
150.00 CNY stays Money (a Decimal and its currency) from intake to the reply;
the investigator records evidence (a photo, a statement, a record); the charge
is maintained with an explanation and no remedy; the reply says so in English
and in Chinese, and once the complaint is closed it no longer invites objections.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import servicecore as sc
from servicecore.ports.storage import StorageBackend
from servicecore.serialization import structure, unstructure
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.notifiers import RecordingNotifier
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage
from tests.application.support import AGENT, INSPECTOR, START, SUPERVISOR, stored

GUEST = sc.Customer("C-1208", "赵敏", phone="139 0000 1208", email="zhaomin@example.cn")
"""The guest of room 1208."""
GUEST_ACTOR = sc.Actor(GUEST.id, GUEST.name, ["customer"])
HOUSEKEEPER = sc.Actor("E-070", "Qian Yu", ["engineer"])
"""Found the towels and wrote up the charge: the complaint is about her work."""
OTHER_INSPECTOR = sc.Actor("E-041", "Feng Lan", ["quality_inspector"])

CHARGE = sc.Money("50.00", "CNY").times(3)
"""Three towels at the posted price of 50 CNY each."""


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageBackend]:
    backend: StorageBackend = (
        MemoryStorage() if request.param == "memory" else SQLAlchemyStorage(tmp_path / "hotel.sqlite3")
    )
    yield backend
    backend.close()


class Hotel:
    """A hotel's service desk on ``storage``, with a manual clock and readable ids."""

    def __init__(self, storage: StorageBackend) -> None:
        self.storage = storage
        self.clock = ManualClock(START)
        self.desk = sc.ServiceDesk(
            storage=storage,
            notifier=RecordingNotifier(),
            renderer=MarkdownRenderer(),
            clock=self.clock,
            ids=SequentialIds(),
        )

    def later(self, minutes: int = 10) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    def complaint(self) -> sc.Complaint:
        return self.desk.receive_complaint(
            actor=AGENT,
            complainant=GUEST,
            subject=sc.ComplaintSubject(staff_ids=[HOUSEKEEPER.id]),
            channel="walk_in",
            category="billing",
            severity="minor",
            description="退房时被收取三条毛巾的损坏费，我认为毛巾本来就有污渍",
            disputed_amount=CHARGE,
        )

    def investigating(self) -> sc.Complaint:
        complaint = self.complaint()
        self.later()
        self.desk.acknowledge_complaint(complaint.id, actor=AGENT, message="我们会在今天内核实")
        self.later()
        return self.desk.start_complaint_investigation(complaint.id, actor=SUPERVISOR, investigator=INSPECTOR)


@pytest.fixture
def hotel(storage: StorageBackend) -> Hotel:
    return Hotel(storage)


def test_the_damage_charge_case_from_intake_to_closure(hotel: Hotel) -> None:
    desk = hotel.desk
    complaint = hotel.complaint()
    assert complaint.disputed_amount == sc.Money(Decimal("150.00"), "CNY")
    assert complaint.category is sc.ComplaintCategory.BILLING

    complaint = hotel.investigating()
    hotel.later()
    photo = sc.EvidenceRef("dms://hotel/rooms/1208/towels.jpg", "three towels with hair-dye stains")
    desk.add_complaint_evidence(
        complaint.id, actor=INSPECTOR, kind="photo", description="Towels as found at check-out", reference=photo
    )
    hotel.later()
    desk.add_complaint_evidence(
        complaint.id, actor=INSPECTOR, kind=sc.EvidenceKind.STATEMENT, description="Housekeeper's written statement"
    )
    hotel.later()
    desk.add_complaint_evidence(
        complaint.id, actor=INSPECTOR, kind="service_record", description="Room 1208 check-in inspection: towels clean"
    )
    hotel.later(60)
    resolved = desk.resolve_complaint(
        complaint.id,
        actor=INSPECTOR,
        summary="入住检查记录显示毛巾完好；退房时三条毛巾有染发剂污渍，无法清洗",
        reply="按客房价目表每条 50 元收取损坏费，照片与入住检查记录附后",
        outcome=sc.ComplaintOutcome.CHARGE_MAINTAINED,
    )
    assert resolved.status is sc.ComplaintStatus.RESOLVED
    assert resolved.outcome is sc.ComplaintOutcome.CHARGE_MAINTAINED
    assert resolved.resolution is not None
    assert resolved.resolution.remedies == ()

    stored_complaint = desk.get_complaint(complaint.id, actor=INSPECTOR)
    assert [(e.number, e.kind, e.collected_by) for e in stored_complaint.evidence] == [
        (1, sc.EvidenceKind.PHOTO, INSPECTOR.ref),
        (2, sc.EvidenceKind.STATEMENT, INSPECTOR.ref),
        (3, sc.EvidenceKind.SERVICE_RECORD, INSPECTOR.ref),
    ]
    assert stored_complaint.evidence[0].reference == photo
    assert [e.collected_at for e in stored_complaint.evidence] == [h.at for h in stored_complaint.history[3:6]]

    english = desk.render_complaint_reply(complaint.id, actor=GUEST_ACTOR).content
    chinese = desk.render_complaint_reply(complaint.id, actor=GUEST_ACTOR, locale="zh-CN").content
    for reply in (english, chinese):
        assert "150.00 CNY" in reply
    assert "the charge is maintained" in english.lower()
    assert "no remedy is offered" not in english.lower()
    assert "维持收费" in chinese
    assert "不提供补救措施" not in chinese
    assert "look into it again" in english, "a resolved complaint may still be reopened"
    assert "重新调查" in chinese
    assert "hair-dye" not in english, "evidence is internal: the reply does not list it"

    hotel.later()
    closed = desk.confirm_complaint_resolution(complaint.id, actor=GUEST_ACTOR, note="明白了")
    assert closed.status is sc.ComplaintStatus.CLOSED
    english = desk.render_complaint_reply(complaint.id, actor=GUEST_ACTOR).content
    chinese = desk.render_complaint_reply(complaint.id, actor=GUEST_ACTOR, locale="zh-CN").content
    assert "the charge is maintained" in english.lower()
    assert "维持收费" in chinese
    assert "look into it again" not in english, "a closed complaint does not invite further objections"
    assert "重新调查" not in chinese
    assert "This complaint was closed on" in english
    assert "结案" in chinese
    assert [h.action for h in closed.history] == [
        "receive",
        "acknowledge",
        "start_investigation",
        "add_evidence",
        "add_evidence",
        "add_evidence",
        "resolve",
        "confirm_resolution",
    ]


def test_the_disputed_amount_loads_back_exactly_from_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "hotel.sqlite3"
    first = SQLAlchemyStorage(path)
    try:
        complaint = Hotel(first).complaint()
    finally:
        first.close()
    again = SQLAlchemyStorage(path, cache_size=0)
    try:
        with again.unit_of_work() as uow:
            loaded = uow.repository(sc.Complaint).get(complaint.id)
    finally:
        again.close()
    assert loaded.disputed_amount is not None
    assert (loaded.disputed_amount.amount, loaded.disputed_amount.currency) == (Decimal("150.00"), "CNY")
    assert loaded.disputed_amount.amount.as_tuple() == Decimal("150.00").as_tuple(), "the places are kept"
    assert loaded.category is sc.ComplaintCategory.BILLING
    assert loaded == complaint


def test_only_the_investigator_records_evidence_and_a_refusal_writes_nothing(hotel: Hotel) -> None:
    complaint = hotel.investigating()
    before = stored(hotel.storage)
    with pytest.raises(sc.PermissionDeniedError) as caught:
        hotel.desk.add_complaint_evidence(complaint.id, actor=OTHER_INSPECTOR, kind="photo", description="d")
    assert INSPECTOR.id in caught.value.rule
    with pytest.raises(sc.PermissionDeniedError):
        hotel.desk.add_complaint_evidence(complaint.id, actor=AGENT, kind="photo", description="d")
    with pytest.raises(sc.ValidationError) as invalid:
        hotel.desk.add_complaint_evidence(complaint.id, actor=INSPECTOR, kind="hearsay", description="d")
    assert invalid.value.field == "kind"
    assert stored(hotel.storage) == before


def test_maintaining_the_charge_offers_no_remedy(hotel: Hotel) -> None:
    complaint = hotel.investigating()
    before = stored(hotel.storage)
    with pytest.raises(sc.ValidationError) as caught:
        hotel.desk.resolve_complaint(
            complaint.id,
            actor=INSPECTOR,
            summary="s",
            reply="r",
            outcome="charge_maintained",
            remedies=[sc.Remedy(kind="refund", amount=sc.Money("50.00", "CNY"))],
        )
    assert caught.value.field == "remedies"
    assert stored(hotel.storage) == before


def test_a_partly_upheld_charge_is_remedied_with_a_refund(hotel: Hotel) -> None:
    complaint = hotel.investigating()
    hotel.later()
    resolved = hotel.desk.resolve_complaint(
        complaint.id,
        actor=INSPECTOR,
        summary="One towel was already stained at check-in",
        reply="We refund one towel",
        remedies=[sc.Remedy(kind="refund", amount=sc.Money("50.00", "CNY"))],
    )
    assert resolved.outcome is sc.ComplaintOutcome.REMEDIED
    reply = hotel.desk.render_complaint_reply(complaint.id, actor=AGENT).content
    assert "Amount in dispute: **150.00 CNY**" in reply
    assert "| refund | 50.00 CNY" in reply
    assert "the charge is maintained" not in reply.lower()


def test_complaints_stored_before_these_fields_load_with_their_defaults(hotel: Hotel) -> None:
    complaint = hotel.investigating()
    hotel.later()
    resolved = hotel.desk.resolve_complaint(complaint.id, actor=INSPECTOR, summary="s", reply="r")
    old: dict[str, Any] = unstructure(resolved)
    for key in ("disputed_amount", "evidence"):
        del old[key]
    del old["resolutions"][0]["outcome"]
    loaded = structure(old, sc.Complaint)
    assert (loaded.disputed_amount, loaded.evidence) == (None, ())
    assert loaded.outcome is sc.ComplaintOutcome.NOT_UPHELD


@pytest.mark.parametrize("category", ["billing", "towel charges"])
def test_categories_are_stored_and_loaded_back(hotel: Hotel, category: str) -> None:
    complaint = hotel.desk.receive_complaint(
        actor=AGENT,
        complainant=GUEST,
        subject=sc.ComplaintSubject(staff_ids=[HOUSEKEEPER.id]),
        channel="phone",
        category=category,
        severity="minor",
        description="d",
    )
    loaded = hotel.desk.get_complaint(complaint.id, actor=AGENT)
    assert loaded.category == category
    assert loaded.is_category_custom is (category == "towel charges")
    assert unstructure(loaded)["category"] == category
