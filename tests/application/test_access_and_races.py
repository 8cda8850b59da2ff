"""Who may reach which case, and what a lost race looks like, through the facade."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

import servicecore as sc
from servicecore_adapters.ids import SequentialIds, UuidIds
from servicecore_adapters.markdown import MarkdownRenderer
from tests.application.support import (
    AGENT,
    CUSTOMER,
    ENGINEER,
    INSPECTOR,
    LI_QIANG,
    OFFICER,
    OTHER_CUSTOMER,
    PANEL,
    WANG_FANG,
)
from tests.application.test_discipline import Story


@pytest.fixture
def story() -> Story:
    return Story()


def _refused(story: Story, error: type[BaseException], command: Callable[[], object], match: str) -> None:
    before = story.state()
    with pytest.raises(error, match=match):
        command()
    assert story.state() == before, "a refused command wrote something"


# --- complaints about someone else's work --------------------------------------------------------


def _complain_about(story: Story, order: sc.WorkOrder, *, actor: sc.Actor, complainant: sc.Customer) -> sc.Complaint:
    return story.desk.receive_complaint(
        actor=actor,
        complainant=complainant,
        subject=sc.ComplaintSubject(work_order_id=order.id),
        channel="hotline",
        category="quality",
        severity="minor",
        description="师傅态度不好",
    )


def test_a_customer_cannot_complain_about_another_customers_work_order(story: Story) -> None:
    order = story.completed_order()  # Wang Fang's
    li_qiang = sc.Actor(LI_QIANG.id, LI_QIANG.name, ["customer"])
    _refused(
        story,
        sc.PermissionDeniedError,
        lambda: _complain_about(story, order, actor=li_qiang, complainant=LI_QIANG),
        "may only see and act on their own",
    )


def test_staff_cannot_file_a_complaint_about_work_for_another_customer(story: Story) -> None:
    order = story.completed_order()
    _refused(
        story,
        sc.BusinessRuleError,
        lambda: _complain_about(story, order, actor=AGENT, complainant=LI_QIANG),
        "not work on a request of the complainant C-200",
    )
    complaint = _complain_about(story, order, actor=AGENT, complainant=WANG_FANG)
    assert complaint.work_staff_ids == (ENGINEER.id,)


# --- violations are opened from a complaint only through the linking command ---------------------------


def test_report_violation_refuses_a_complaint_source(story: Story) -> None:
    complaint = story.investigating()
    with pytest.raises(sc.ValidationError) as caught:
        story.desk.report_violation(
            actor=INSPECTOR,
            subject=ENGINEER,
            category="quality_failure",
            source=sc.ViolationSource.from_complaint(complaint.id),
            description="forged link",
        )
    assert caught.value.field == "source"


def test_a_customer_cannot_name_an_earlier_case(story: Story) -> None:
    _refused(
        story,
        sc.PermissionDeniedError,
        lambda: story.desk.report_violation(
            actor=CUSTOMER,
            subject=ENGINEER,
            category="ethics_breach",
            source=sc.ViolationSource.customer_report(),
            description="师傅收了小费",
            prior_case_id="VIOLATION-0001",
        ),
        "only staff may link a report to an earlier case",
    )


# --- a policy that lets customers read more still keeps them to their own cases -------------------


def test_a_customer_granted_a_list_sees_only_their_own_cases() -> None:
    story = Story()
    story.desk = sc.ServiceDesk(
        storage=story.storage,
        notifier=story.notifier,
        renderer=MarkdownRenderer(),
        clock=story.clock,
        ids=SequentialIds(),
        templates={sc.PEST_CONTROL.key: sc.PEST_CONTROL},
        permissions=sc.DEFAULT_POLICY.grant("list_complaints", "customer").grant("get_work_order", "customer"),
    )
    mine = story.complaint()
    other_order = story.completed_order(customer=LI_QIANG)
    story.later()
    theirs = _complain_about(story, other_order, actor=AGENT, complainant=LI_QIANG)

    assert [c.id for c in story.desk.list_complaints(actor=CUSTOMER)] == [mine.id]
    assert [c.id for c in story.desk.list_complaints(actor=OTHER_CUSTOMER)] == [theirs.id]
    with pytest.raises(sc.PermissionDeniedError, match="their own"):
        story.desk.list_complaints(actor=CUSTOMER, customer_id=LI_QIANG.id)
    with pytest.raises(sc.PermissionDeniedError, match="their own"):
        story.desk.get_work_order(other_order.id, actor=CUSTOMER)  # a work order is no customer's to read


# --- a lost race is a version conflict -----------------------------------------------------------------


class _RacingClock:
    """A clock whose next reading lets another command commit first (as a concurrent process would)."""

    def __init__(self, story: Story) -> None:
        self._story = story
        self._race: Callable[[], object] | None = None

    def race(self, command: Callable[[], object]) -> None:
        self._race = command

    def now(self) -> datetime:
        instant = self._story.clock.now()
        race, self._race = self._race, None
        if race is not None:
            self._story.clock.advance(timedelta(seconds=1))
            race()
        return instant


def _racing_desk(story: Story) -> tuple[sc.ServiceDesk, _RacingClock]:
    clock = _RacingClock(story)
    desk = sc.ServiceDesk(
        storage=story.storage,
        notifier=story.notifier,
        renderer=MarkdownRenderer(),
        clock=clock,
        ids=UuidIds(),
        templates={sc.PEST_CONTROL.key: sc.PEST_CONTROL},
    )
    return desk, clock


def test_upholding_an_appeal_that_loses_a_race_is_a_concurrency_error(story: Story) -> None:
    violation = story.decided()
    story.later()
    appeal = story.desk.file_appeal(violation.id, actor=ENGINEER, grounds="仓库发错了药剂")
    story.later()
    appeal = story.desk.start_appeal_review(appeal.id, actor=PANEL[0], panel=PANEL)
    story.later()
    desk, clock = _racing_desk(story)
    clock.race(lambda: story.desk.publish_violation(violation.id, actor=OFFICER))  # commits after our loads
    with pytest.raises(sc.ConcurrencyError):
        desk.uphold_appeal(
            appeal.id, actor=PANEL[0], reasons="罚款过重", sanctions=[sc.Sanction(person=ENGINEER, kind="warning")]
        )
    assert story.desk.get_appeal(appeal.id).status.value == "under_review", "nothing of the lost command was written"


def test_signing_acceptance_that_loses_a_race_on_the_agreement_is_a_concurrency_error(story: Story) -> None:
    order = story.completed_order()
    acceptance = story.desk.open_acceptance(
        order.agreement_id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer")
    )
    story.later()
    acceptance = story.desk.record_inspection(
        acceptance.id, actor=CUSTOMER, results=[sc.CriterionResult(criterion_code="no-live-insects", passed=True)]
    )
    story.later()
    desk, clock = _racing_desk(story)
    supervisor = sc.Actor("E-020", "Sun Li", ["supervisor"])
    clock.race(lambda: story.desk.terminate_agreement(order.agreement_id, actor=supervisor, reason="客户搬家"))
    with pytest.raises(sc.ConcurrencyError):
        desk.sign_acceptance_report(acceptance.id, actor=CUSTOMER, signed_by=WANG_FANG.name)
    assert story.desk.get_acceptance(acceptance.id).status.value == "passed"


def test_scan_sla_batch_must_be_positive(story: Story) -> None:
    desk: Any = sc.ServiceDesk(
        storage=story.storage,
        notifier=story.notifier,
        renderer=MarkdownRenderer(),
        clock=story.clock,
        ids=SequentialIds(),
        sla=sc.SlaService(sc.Plugins(entry_points=False).calendar("24x7")),
    )
    for bad in (0, -1, True, 2.5):
        with pytest.raises(sc.ValidationError) as caught:
            desk.scan_sla(batch=bad)
        assert caught.value.field == "batch"


def test_a_change_without_an_actor_is_refused_before_anything_runs(story: Story) -> None:
    request = story.request()
    with pytest.raises(sc.ValidationError) as caught:
        story.desk.acknowledge_request(request.id, actor=None, message="hi")  # type: ignore[arg-type]
    assert caught.value.field == "actor"
    assert story.desk.get_request(request.id) == request
