"""A complete delivery lifecycle, scripted: what ``servicecore demo`` runs.

A pest-control request is received, assessed, proposed, returned once by the
reviewer, confirmed by the customer, executed from the seed-000 checklist (with
a material-shortage exception along the way), fails its first inspection, is
rectified, passes the second round and is signed off. The history of each
aggregate is printed as it grows and the rendered documents are written to a
folder. Time is a manual clock in Beijing time, so every run prints the same.
The case is stored in a SQLite database next to the documents.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

import attrs

from servicecore.application.config import ServiceDeskConfig
from servicecore.application.service_desk import ServiceDesk
from servicecore.domain.acceptance import CriterionResult, Inspector, InspectorKind
from servicecore.domain.agreement import AcceptanceCriterion, AgreementTerms, Schedule, ServiceItem
from servicecore.domain.values import Actor, ActorId, Customer, CustomerId, EvidenceRef, HistoryEntry, Money
from servicecore.domain.work_order import HoldReason, Measurement, SiteSignOff
from servicecore.plugins import Plugins
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds

BEIJING = timezone(timedelta(hours=8), "CST")
START = datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING)

AGENT = Actor(ActorId("E-001"), "Li Na", ["agent"])
REVIEWER = Actor(ActorId("E-002"), "Zhou Wei", ["reviewer"])
SUPERVISOR = Actor(ActorId("E-003"), "Sun Hao", ["supervisor"])
ENGINEER = Actor(ActorId("E-010"), "Chen Gang", ["engineer"])
CUSTOMER_CONTACT = Actor(ActorId("C-100"), "Wang Fang", ["customer"])
DEMO_DATABASE = "servicecore-demo.sqlite3"


class _HasHistory(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def history(self) -> tuple[HistoryEntry, ...]: ...


@attrs.frozen
class DemoResult:
    """What the demo produced: the ids it created and the files it wrote."""

    request_id: str
    agreement_id: str
    work_order_id: str
    acceptance_id: str
    files: tuple[Path, ...]


def _history_printer(echo: Callable[[str], None]) -> Callable[[_HasHistory], None]:
    seen: dict[str, int] = {}

    def show(aggregate: _HasHistory) -> None:
        for entry in aggregate.history[seen.get(aggregate.id, 0) :]:
            change = f"{entry.from_state or '·'} → {entry.to_state}" if entry.from_state != entry.to_state else ""
            note = f"  ({entry.note})" if entry.note else ""
            echo(f"{entry.at:%m-%d %H:%M}  {aggregate.id:<9} {entry.actor.name:<10} {entry.action:<24}{change}{note}")
        seen[aggregate.id] = len(aggregate.history)

    return show


def run_demo(
    output_dir: Path,
    *,
    locales: tuple[str, ...] = ("en", "zh-CN"),
    echo: Callable[[str], None] = print,
    config: ServiceDeskConfig | None = None,
) -> DemoResult:
    """Run the scripted lifecycle on a fresh desk and write its documents to ``output_dir``.

    Without a ``config`` the desk stores its data in a new SQLite database,
    ``servicecore-demo.sqlite3`` in ``output_dir`` (an earlier demo's database
    there is replaced), and records notifications instead of sending them.
    """
    clock = ManualClock(START)
    if config is None:
        database = output_dir / DEMO_DATABASE
        output_dir.mkdir(parents=True, exist_ok=True)
        for leftover in (
            database,
            database.with_name(f"{database.name}-wal"),
            database.with_name(f"{database.name}-shm"),
        ):
            leftover.unlink(missing_ok=True)  # the demo's own file from an earlier run: ids start again at 0001
        config = ServiceDeskConfig(storage="sqlite", storage_options={"path": str(database)}, notifier="recording")
        echo(f"== Storing the case in SQLite: {database}")
    desk = ServiceDesk.from_config(config, plugins=Plugins(), clock=clock, ids=SequentialIds())
    show = _history_printer(echo)

    def later(**delta: float) -> None:
        clock.advance(timedelta(**delta))

    echo("== Intake and needs analysis")
    request = desk.receive_request(
        actor=AGENT,
        customer=Customer(CustomerId("C-100"), "Wang Fang", phone="+86 138 0000 0000", address="Block 3, Room 201"),
        channel="hotline",
        category="pest control",
        priority="high",
        description="Cockroaches in the kitchen and the storeroom",
    )
    show(request)
    later(minutes=25)
    show(desk.acknowledge_request(request.id, actor=AGENT, message="An engineer will assess today."))
    later(hours=3)
    request = desk.assess_request(
        request.id,
        actor=ENGINEER,
        feasible=True,
        analysis="German cockroach infestation; gel bait and residual spray",
        departments=["technical", "customer service"],
    )
    show(request)

    echo("== Proposal, internal review, customer confirmation")
    schedule = Schedule(START + timedelta(days=3), START + timedelta(days=3, hours=4), "Block 3, Room 201")
    terms = AgreementTerms(
        items=[
            ServiceItem("Kitchen and storeroom treatment", "GB/T 27770-2011 level C", "2", "room", Money("450", "CNY")),
            ServiceItem("Follow-up monitoring visit", "Sticky traps, 14 days", "1", "visit", Money("150", "CNY")),
        ],
        schedule=schedule,
        criteria=[
            AcceptanceCriterion("no-live-insects", "No live cockroaches in treated rooms", "site_check"),
            AcceptanceCriterion(
                "treatment-record", "Treatment record signed by the site representative", "document_review"
            ),
            AcceptanceCriterion("site-clean", "Site cleaned, packaging removed", "site_check", required=False),
        ],
        process="Seed-000 pest-control checklist",
    )
    agreement = desk.draft_agreement(request.id, actor=AGENT, title="Pest control, Block 3 Room 201", terms=terms)
    show(agreement)
    later(minutes=30)
    show(desk.submit_agreement_for_review(agreement.id, actor=AGENT))
    later(hours=1)
    show(desk.return_agreement(agreement.id, actor=REVIEWER, comments="Add the follow-up visit to the schedule note"))
    later(minutes=40)
    terms = attrs.evolve(terms, notes="Follow-up visit 14 days after treatment")
    show(desk.revise_agreement(agreement.id, actor=AGENT, terms=terms, note="follow-up visit noted"))
    show(desk.submit_agreement_for_review(agreement.id, actor=AGENT))
    later(minutes=20)
    show(desk.approve_agreement(agreement.id, actor=REVIEWER))
    show(desk.offer_agreement(agreement.id, actor=AGENT))
    later(hours=5)
    show(desk.confirm_agreement(agreement.id, actor=CUSTOMER_CONTACT, note="Agreed"))
    agreement = desk.activate_agreement(agreement.id, actor=AGENT)
    show(agreement)
    show(desk.get_request(request.id))

    echo("== Execution from the pest-control checklist")
    order = desk.create_work_order(
        agreement.id,
        actor=SUPERVISOR,
        title="Treat kitchen and storeroom",
        assignees=[ENGINEER.id],
        template="pest-control",
    )
    show(order)
    show(desk.get_request(request.id))
    later(days=2, hours=-9)
    order = desk.start_work_order(order.id, actor=ENGINEER)
    for step in order.steps[:4]:
        later(minutes=15)
        order = desk.complete_step(order.id, actor=ENGINEER, step_key=step.key)
    later(minutes=10)
    order = desk.hold_work_order(
        order.id, actor=ENGINEER, reason=HoldReason.MATERIAL_SHORTAGE, description="Gel bait stock insufficient"
    )
    later(minutes=5)
    order = desk.report_hold(order.id, actor=ENGINEER, supervisor=SUPERVISOR)
    later(minutes=20)
    order = desk.coordinate_hold(order.id, actor=SUPERVISOR, plan="Courier brings two cartridges from the depot")
    order = desk.inform_customer_of_hold(order.id, actor=ENGINEER, message="45 minutes' delay, materials on the way")
    later(minutes=45)
    order = desk.resume_work_order(order.id, actor=ENGINEER)
    for step in order.steps[4:]:
        later(minutes=20)
        evidence = [EvidenceRef("photos/kitchen-after.jpg", "after treatment")] if step.key == "execute" else []
        measures = [Measurement("gel bait", "30", "g")] if step.key == "prepare" else []
        order = desk.complete_step(
            order.id, actor=ENGINEER, step_key=step.key, evidence=evidence, measurements=measures
        )
    order = desk.complete_work_order(
        order.id, actor=ENGINEER, sign_off=SiteSignOff("Wang Fang", clock.now(), position="resident")
    )
    show(order)

    echo("== Acceptance: a failed round, rectification, a passed round")
    later(days=1)
    inspector = Inspector(CUSTOMER_CONTACT.ref, InspectorKind.CUSTOMER)
    acceptance = desk.open_acceptance(agreement.id, actor=AGENT, inspector=inspector)
    acceptance = desk.record_inspection(
        acceptance.id,
        actor=CUSTOMER_CONTACT,
        results=[
            CriterionResult(criterion_code="no-live-insects", passed=False, note="Two live cockroaches under the sink"),
            CriterionResult(criterion_code="treatment-record", passed=True),
            CriterionResult(criterion_code="site-clean", passed=True),
        ],
    )
    acceptance = desk.order_rectification(
        acceptance.id,
        actor=SUPERVISOR,
        responsible_party="Chen Gang",
        deadline=clock.now() + timedelta(days=3),
        instructions="Re-treat the sink cabinet and seal the pipe gap",
    )
    later(days=1)
    acceptance = desk.mark_rectified(acceptance.id, actor=ENGINEER, note="Sink cabinet re-treated, gap sealed")
    later(days=1)
    acceptance = desk.record_inspection(
        acceptance.id,
        actor=CUSTOMER_CONTACT,
        results=[
            CriterionResult(criterion_code="no-live-insects", passed=True, note="None seen"),
            CriterionResult(criterion_code="treatment-record", passed=True),
        ],
    )
    acceptance = desk.sign_acceptance_report(
        acceptance.id, actor=CUSTOMER_CONTACT, signed_by="Wang Fang", summary="Accepted after one rectification"
    )
    show(acceptance)
    show(desk.get_agreement(agreement.id))
    show(desk.get_request(request.id))

    later(days=7)
    request = desk.close_request(request.id, actor=AGENT, note="Follow-up call: customer satisfied")
    show(request)

    dispatched = desk.dispatch_notifications()
    echo(f"== {dispatched.delivered} notifications delivered through the outbox")

    output_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for locale in locales:
        for rendered in (
            desk.render_work_order_sheet(order.id, locale=locale),
            desk.render_rectification_notice(acceptance.id, locale=locale),
            desk.render_acceptance_report(acceptance.id, locale=locale),
        ):
            path = output_dir / rendered.filename
            path.write_text(rendered.content, encoding="utf-8")
            files.append(path)
    echo(f"== Documents written to {output_dir}:")
    for path in files:
        echo(f"   {path.name}")
    desk.close()
    return DemoResult(
        request_id=request.id,
        agreement_id=agreement.id,
        work_order_id=order.id,
        acceptance_id=acceptance.id,
        files=tuple(files),
    )


__all__ = ["DemoResult", "run_demo"]
