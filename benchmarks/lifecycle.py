"""Cost of the facade: a full delivery lifecycle through ServiceDesk vs. the bare domain.

    python benchmarks/lifecycle.py [--cases 300] [--repeat 5]

Both sides run the same commands (request → agreement → work order with the
11-step checklist → acceptance with one failed round and a rectification) with
the same clock and ids. The baseline calls the aggregate methods directly and
keeps the objects in a dict; servicecore goes through ServiceDesk on the memory
storage: a unit of work per command, version checks, outbox notifications.
Absolute times on shared machines are noise; the ratio measured in one run is
what carries over. Best of ``--repeat`` runs is reported.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import servicecore as sc
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.notifiers import RecordingNotifier

CST = timezone(timedelta(hours=8))
AGENT = sc.Actor("E-1", "Li Na", ["agent"])
REVIEWER = sc.Actor("E-2", "Zhou Wei", ["reviewer"])
ENGINEER = sc.Actor("E-3", "Chen Gang", ["engineer"])
CUSTOMER = sc.Actor("C-1", "Wang Fang", ["customer"])
START = datetime(2026, 3, 2, 9, tzinfo=CST)
TERMS = sc.AgreementTerms(
    items=[sc.ServiceItem("Treatment", "GB/T 27770", "1", "visit", sc.Money("800", "CNY"))],
    schedule=sc.Schedule(START + timedelta(days=3), START + timedelta(days=3, hours=3), "Room 201"),
    criteria=[sc.AcceptanceCriterion("ok", "No insects", "site_check")],
)
FAIL = [sc.CriterionResult(criterion_code="ok", passed=False, note="two seen")]
PASS = [sc.CriterionResult(criterion_code="ok", passed=True)]
SIGN = sc.SiteSignOff("Wang Fang", START)
FACADE_COMMANDS = 18  # per lifecycle, besides one per checklist step


def domain_lifecycle(clock: ManualClock, ids: SequentialIds) -> int:
    """The commands on the aggregates alone; returns the number of commands."""
    now = clock.now
    r = sc.ServiceRequest.receive(
        id=sc.RequestId(ids.new_id("request")),
        customer=sc.Customer(sc.CustomerId("C-1"), "Wang Fang"),
        channel="phone",
        category="pest",
        priority="normal",
        description="ants",
        actor=AGENT,
        at=now(),
    )
    r = r.acknowledge(actor=AGENT, at=now(), message="ok")
    r = r.assess(actor=AGENT, at=now(), feasible=True, analysis="fine")
    a = sc.ServiceAgreement.draft(
        id=sc.AgreementId(ids.new_id("agreement")),
        request_id=r.id,
        customer_id=r.customer.id,
        title="t",
        terms=TERMS,
        actor=AGENT,
        at=now(),
    )
    a = a.submit_for_review(actor=AGENT, at=now())
    a = a.approve(reviewer=REVIEWER, at=now())
    a = a.offer(actor=AGENT, at=now())
    a = a.confirm(actor=CUSTOMER, at=now())
    r = r.mark_agreed(actor=CUSTOMER, at=now(), agreement_id=a.id)
    a = a.activate(actor=AGENT, at=now())
    w = sc.WorkOrder.create(
        id=sc.WorkOrderId(ids.new_id("work_order")),
        agreement_id=a.id,
        request_id=r.id,
        title="t",
        assignees=[ENGINEER.id],
        window=TERMS.schedule,
        template=sc.PEST_CONTROL,
        actor=AGENT,
        at=now(),
    )
    r = r.start_service(actor=AGENT, at=now(), work_order_id=w.id)
    w = w.start(actor=ENGINEER, at=now())
    for step in w.steps:
        w = w.complete_step(actor=ENGINEER, at=now(), step_key=step.key)
    w = w.complete(actor=ENGINEER, at=now(), sign_off=SIGN)
    c = sc.Acceptance.open(
        id=sc.AcceptanceId(ids.new_id("acceptance")),
        agreement_id=a.id,
        request_id=r.id,
        criteria=TERMS.criteria,
        inspector=sc.Inspector(CUSTOMER.ref, "customer"),
        actor=AGENT,
        at=now(),
        work_order_ids=[w.id],
    )
    c = c.record_inspection(actor=CUSTOMER, at=now(), results=FAIL)
    c = c.order_rectification(actor=AGENT, at=now(), responsible_party="Chen", deadline=now() + timedelta(days=2))
    c = c.mark_rectified(actor=ENGINEER, at=now(), note="fixed", workers=w.assignees)
    c = c.record_inspection(actor=CUSTOMER, at=now(), results=PASS)
    c = c.sign_report(actor=CUSTOMER, at=now(), signed_by="Wang Fang")
    a = a.fulfil(actor=CUSTOMER, at=now())
    r = r.complete(actor=CUSTOMER, at=now())
    store = {r.id: r, a.id: a, w.id: w, c.id: c}
    assert len(store) == 4
    return FACADE_COMMANDS + len(w.steps)  # counted as the facade counts them: linked updates are one command


def desk_lifecycle(desk: sc.ServiceDesk) -> int:
    """The same lifecycle through the facade; returns the number of commands."""
    r = desk.receive_request(
        actor=AGENT,
        customer=sc.Customer(sc.CustomerId("C-1"), "Wang Fang"),
        channel="phone",
        category="pest",
        priority="normal",
        description="ants",
    )
    desk.acknowledge_request(r.id, actor=AGENT, message="ok")
    desk.assess_request(r.id, actor=AGENT, feasible=True, analysis="fine")
    a = desk.draft_agreement(r.id, actor=AGENT, title="t", terms=TERMS)
    desk.submit_agreement_for_review(a.id, actor=AGENT)
    desk.approve_agreement(a.id, actor=REVIEWER)
    desk.offer_agreement(a.id, actor=AGENT)
    desk.confirm_agreement(a.id, actor=CUSTOMER)
    desk.activate_agreement(a.id, actor=AGENT)
    w = desk.create_work_order(a.id, actor=AGENT, title="t", assignees=[ENGINEER.id], template=sc.PEST_CONTROL)
    desk.start_work_order(w.id, actor=ENGINEER)
    for step in w.steps:
        desk.complete_step(w.id, actor=ENGINEER, step_key=step.key)
    desk.complete_work_order(w.id, actor=ENGINEER, sign_off=SIGN)
    c = desk.open_acceptance(a.id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer"))
    desk.record_inspection(c.id, actor=CUSTOMER, results=FAIL)
    desk.order_rectification(c.id, actor=AGENT, responsible_party="Chen", deadline=desk.clock.now() + timedelta(days=2))
    desk.mark_rectified(c.id, actor=ENGINEER, note="fixed")
    desk.record_inspection(c.id, actor=CUSTOMER, results=PASS)
    desk.sign_acceptance_report(c.id, actor=CUSTOMER, signed_by="Wang Fang")
    return FACADE_COMMANDS + len(w.steps)


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    """Best wall time over ``repeat`` runs, and the commands one run issues."""
    best = float("inf")
    commands = 0
    for _ in range(repeat):
        started = time.perf_counter()
        commands = run()
        best = min(best, time.perf_counter() - started)
    return best, commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=300, help="lifecycles per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best is reported")
    args = parser.parse_args()

    def baseline() -> int:
        clock, ids = ManualClock(START), SequentialIds()
        return sum(domain_lifecycle(clock, ids) for _ in range(args.cases))

    def facade() -> int:
        desk = sc.ServiceDesk(
            storage=MemoryStorage(),
            notifier=RecordingNotifier(),
            renderer=MarkdownRenderer(),
            clock=ManualClock(START),
            ids=SequentialIds(),
        )
        return sum(desk_lifecycle(desk) for _ in range(args.cases))

    base_s, base_n = best_of(args.repeat, baseline)
    desk_s, desk_n = best_of(args.repeat, facade)
    base_rate, desk_rate = base_n / base_s, desk_n / desk_s
    print(f"lifecycles per run: {args.cases}, best of {args.repeat}")
    print(f"domain only (baseline)     {base_rate:>10,.0f} commands/s")
    print(f"ServiceDesk, memory store  {desk_rate:>10,.0f} commands/s")
    print(f"cost per command, facade / domain: {base_rate / desk_rate:.2f}x")


if __name__ == "__main__":
    main()
