"""A desk on memory storage, people with realistic roles, and a look at everything stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import servicecore as sc
from servicecore.ports.ids import IdGenerator
from servicecore.ports.notification import Notification
from servicecore.ports.storage import StorageBackend
from servicecore.storage_kinds import AGGREGATE_KINDS, ListQuery
from servicecore.testing import (
    AGENT,
    DISCIPLINE_OFFICER,
    ENGINEER,
    PANEL_MEMBERS,
    QUALITY_INSPECTOR,
    REVIEWER,
    SUPERVISOR,  # noqa: F401  (the tests import the whole cast from here)
)
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.notifiers import RecordingNotifier

CST = timezone(timedelta(hours=8))
START = datetime(2026, 3, 2, 9, 0, tzinfo=CST)

# the staff of servicecore.testing's samples, under the names these tests use
OFFICER = DISCIPLINE_OFFICER
INSPECTOR = QUALITY_INSPECTOR
PANEL = PANEL_MEMBERS

WANG_FANG = sc.Customer(
    "C-100",
    "王芳",
    phone="138 0013 8000",
    email="wangfang@example.cn",
    address="上海市浦东新区世纪大道100号3号楼201室",
)
"""The customer of the stories, with realistic contact data."""
LI_QIANG = sc.Customer("C-200", "李强", phone="139 1234 5678", address="北京市朝阳区建国路88号")
"""Another customer, who must never see Wang Fang's cases."""
CUSTOMER = sc.Actor(WANG_FANG.id, WANG_FANG.name, ["customer"])
OTHER_CUSTOMER = sc.Actor(LI_QIANG.id, LI_QIANG.name, ["customer"])


class Desk:
    """A service desk on memory storage with a manual clock and readable ids."""

    def __init__(self, *, ids: IdGenerator | None = None, policy: Any = None) -> None:
        self.clock = ManualClock(START)
        self.storage = MemoryStorage()
        self.notifier = RecordingNotifier()
        self.desk = sc.ServiceDesk(
            storage=self.storage,
            notifier=self.notifier,
            renderer=MarkdownRenderer(),
            clock=self.clock,
            ids=ids if ids is not None else SequentialIds(),
            templates={sc.PEST_CONTROL.key: sc.PEST_CONTROL},
            notification_policy=policy,
            sla=None,  # these stories are about the lifecycle; the SLA tests run clocks
        )

    def later(self, minutes: int = 10) -> datetime:
        return self.clock.advance(timedelta(minutes=minutes))

    def state(self) -> tuple[Any, ...]:
        return stored(self.storage)

    def outbox(self) -> list[Notification]:
        with self.storage.unit_of_work() as uow:
            return [m.notification for m in uow.outbox.pending(limit=1000)]

    # --- delivery, up to a completed work order ---------------------------------

    def terms(self) -> sc.AgreementTerms:
        begin = START + timedelta(days=3)
        return sc.AgreementTerms(
            items=[sc.ServiceItem("厨房灭蟑", "GB/T 27770", "1", "次", sc.Money("800.00", "CNY"))],
            schedule=sc.Schedule(begin, begin + timedelta(hours=3), WANG_FANG.address or ""),
            criteria=[sc.AcceptanceCriterion("no-live-insects", "厨房无活蟑螂", "site_check")],
        )

    def request(self, customer: sc.Customer = WANG_FANG) -> sc.ServiceRequest:
        return self.desk.receive_request(
            actor=AGENT,
            customer=customer,
            channel="phone",
            category="pest control",
            priority="normal",
            description="厨房有蟑螂",
        )

    def active_agreement(self, customer: sc.Customer = WANG_FANG) -> sc.ServiceAgreement:
        desk = self.desk
        request = self.request(customer)
        desk.acknowledge_request(request.id, actor=AGENT, message="今天安排评估")
        desk.assess_request(request.id, actor=ENGINEER, feasible=True, analysis="常规灭蟑")
        agreement = desk.draft_agreement(request.id, actor=AGENT, title="厨房灭蟑", terms=self.terms())
        desk.submit_agreement_for_review(agreement.id, actor=AGENT)
        desk.approve_agreement(agreement.id, actor=REVIEWER)
        desk.offer_agreement(agreement.id, actor=AGENT)
        self.later()
        desk.confirm_agreement(agreement.id, actor=sc.Actor(customer.id, customer.name, ["customer"]))
        return desk.activate_agreement(agreement.id, actor=AGENT)

    def completed_order(
        self, assignees: tuple[str, ...] = (ENGINEER.id,), customer: sc.Customer = WANG_FANG
    ) -> sc.WorkOrder:
        desk = self.desk
        agreement = self.active_agreement(customer)
        order = desk.create_work_order(
            agreement.id, actor=AGENT, title="厨房灭蟑", assignees=list(assignees), template=sc.PEST_CONTROL.key
        )
        order = desk.start_work_order(order.id, actor=ENGINEER)
        for step in order.steps:
            self.later(5)
            order = desk.complete_step(order.id, actor=ENGINEER, step_key=step.key)
        return desk.complete_work_order(
            order.id, actor=ENGINEER, sign_off=sc.SiteSignOff(customer.name, self.clock.now())
        )


def stored(storage: StorageBackend) -> tuple[Any, ...]:
    """Everything stored: every aggregate of every kind (with versions) and every pending outbox message."""
    with storage.unit_of_work() as uow:
        aggregates = tuple(tuple(uow.repository(kind.cls).list(ListQuery(limit=1000))) for kind in AGGREGATE_KINDS)
        return (*aggregates, tuple(uow.outbox.pending(limit=1000)))
