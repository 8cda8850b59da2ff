"""Complaints, violations and appeals through the ServiceDesk facade, end to end on memory storage."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

import servicecore as sc
from servicecore_adapters.ids import SequentialIds
from tests.application.support import (
    AGENT,
    CUSTOMER,
    ENGINEER,
    INSPECTOR,
    LI_QIANG,
    OFFICER,
    OTHER_CUSTOMER,
    PANEL,
    SUPERVISOR,
    WANG_FANG,
    Desk,
)

DESCRIPTION = "灭蟑后第二天厨房水槽下又出现活蟑螂，师傅没有拍施工照片"
"""The complainant's own words: they go to the customer's case file, never into staff notifications."""


class Story(Desk):
    """A complaint about a completed work order, and the violation and appeal it leads to."""

    def complaint(self, order: sc.WorkOrder | None = None, *, actor: sc.Actor = AGENT) -> sc.Complaint:
        order = order or self.completed_order()
        self.later()
        return self.desk.receive_complaint(
            actor=actor,
            complainant=WANG_FANG,
            subject=sc.ComplaintSubject(request_id=order.request_id, work_order_id=order.id),
            channel="hotline",
            category="quality",
            severity="major",
            description=DESCRIPTION,
        )

    def investigating(self, order: sc.WorkOrder | None = None) -> sc.Complaint:
        complaint = self.complaint(order)
        self.later()
        self.desk.acknowledge_complaint(complaint.id, actor=AGENT, message="我们今天会跟进")
        self.later()
        return self.desk.start_complaint_investigation(complaint.id, actor=SUPERVISOR, investigator=INSPECTOR)

    def resolved(self) -> sc.Complaint:
        complaint = self.investigating()
        self.later(60)
        return self.desk.resolve_complaint(
            complaint.id,
            actor=INSPECTOR,
            summary="用药量不足",
            reply="非常抱歉，我们将免费重新处理",
            remedies=[sc.Remedy(kind="apology")],
        )

    def violation(self, complaint: sc.Complaint | None = None, *, description: str = "") -> sc.Violation:
        complaint = complaint or self.investigating()
        self.later()
        return self.desk.raise_violation_from_complaint(
            complaint.id,
            actor=INSPECTOR,
            subject=ENGINEER,
            category="quality_failure",
            description=description or "施工用药量只有标准的一半",
        )

    def decided(
        self, *, description: str = "", reason: str = "用药量不足", reasons: str = "未按 GB/T 27770 施工"
    ) -> sc.Violation:
        violation = self.violation(description=description)
        desk = self.desk
        self.later()
        desk.assign_violation_investigators(violation.id, actor=OFFICER, investigators=[INSPECTOR])
        desk.add_violation_evidence(violation.id, actor=INSPECTOR, kind="service_record", description="服务单记录")
        desk.determine_violation(
            violation.id,
            actor=INSPECTOR,
            findings=[sc.Finding(person=ENGINEER, degree="primary", reason=reason)],
            summary="施工未按标准执行",
        )
        self.later()
        return desk.decide_violation(
            violation.id,
            actor=OFFICER,
            sanctions=[
                sc.Sanction(person=ENGINEER, kind="warning"),
                sc.Sanction(person=ENGINEER, kind="fine", amount=sc.Money("200.00", "CNY")),
            ],
            reasons=reasons,
        )

    def under_review(self) -> tuple[sc.Violation, sc.Appeal]:
        violation = self.decided()
        self.later()
        violation = self.desk.publish_violation(violation.id, actor=OFFICER)
        self.later()
        appeal = self.desk.file_appeal(violation.id, actor=ENGINEER, grounds="仓库发错了药剂")
        self.later()
        appeal = self.desk.start_appeal_review(appeal.id, actor=PANEL[0], panel=PANEL)
        return self.desk.get_violation(violation.id), appeal


@pytest.fixture
def story() -> Story:
    return Story()


def _refused(story: Story, error: type[BaseException], command: Callable[[], object], match: str = "") -> Any:
    before = story.state()
    with pytest.raises(error, match=match or None) as caught:
        command()
    assert story.state() == before, "a refused command changed storage"
    return caught.value


def _saved(result: Any, stored: Any, previous_version: int) -> None:
    assert result == stored
    assert result.version == previous_version + 1
    assert result.events == ()


# --- complaints ---------------------------------------------------------------------------------


def test_a_complaint_is_investigated_resolved_reopened_and_confirmed(story: Story) -> None:
    desk = story.desk
    order = story.completed_order()
    complaint = story.complaint(order, actor=CUSTOMER)
    assert complaint.status is sc.ComplaintStatus.RECEIVED
    assert complaint.work_staff_ids == (ENGINEER.id,), "whoever worked on the order is recorded at intake"
    _saved(complaint, desk.get_complaint(complaint.id), 0)

    steps: list[Callable[[], sc.Complaint]] = [
        lambda: desk.acknowledge_complaint(complaint.id, actor=AGENT, message="我们今天会跟进"),
        lambda: desk.start_complaint_investigation(complaint.id, actor=SUPERVISOR, investigator=INSPECTOR),
        lambda: desk.resolve_complaint(
            complaint.id, actor=INSPECTOR, summary="用药量不足", reply="非常抱歉，我们将免费重新处理"
        ),
        lambda: desk.reopen_complaint(complaint.id, actor=CUSTOMER, reason="重做之后还是有蟑螂"),
        lambda: desk.resolve_complaint(
            complaint.id,
            actor=INSPECTOR,
            summary="重做仍不到位",
            reply="我们退还服务费",
            remedies=[sc.Remedy(kind="refund", amount=sc.Money("800.00", "CNY"))],
        ),
        lambda: desk.confirm_complaint_resolution(complaint.id, actor=CUSTOMER, note="谢谢"),
    ]
    statuses = []
    for step in steps:
        story.later(60)
        result = step()
        _saved(result, desk.get_complaint(complaint.id), complaint.version)
        complaint = result
        statuses.append(complaint.status.value)
    assert statuses == ["acknowledged", "investigating", "resolved", "investigating", "resolved", "closed"]
    assert complaint.reopen_count == 1
    assert [r.summary for r in complaint.resolutions] == ["用药量不足", "重做仍不到位"], "rejected resolutions stay"
    assert complaint.closure is not None
    assert complaint.closure.how is sc.ComplaintClosureKind.CONFIRMED
    assert complaint.investigator == INSPECTOR.ref
    assert [c.id for c in desk.list_complaints(assignee_id=INSPECTOR.id)] == [complaint.id]

    sent = {(n.event, n.recipients) for n in story.outbox() if n.aggregate_id == complaint.id}
    assert sent == {
        ("ComplaintReceived", ("customer:C-100",)),
        ("ComplaintAcknowledged", ("customer:C-100",)),
        ("ComplaintInvestigationStarted", ("actor:E-040",)),
        ("ComplaintResolved", ("customer:C-100",)),
        ("ComplaintReopened", ("actor:E-040",)),
        ("ComplaintClosed", ("customer:C-100",)),
    }
    reply = desk.render_complaint_reply(complaint.id, locale="zh-CN", actor=CUSTOMER).content
    assert "我们退还服务费" in reply


def test_staff_notifications_do_not_quote_the_complaint(story: Story) -> None:
    complaint = story.resolved()
    story.later()
    story.desk.reopen_complaint(complaint.id, actor=CUSTOMER, reason="重做之后还是有蟑螂，非常不满意")
    story.violation(story.desk.get_complaint(complaint.id))
    staff = [n for n in story.outbox() if not all(r.startswith("customer:") for r in n.recipients)]
    assert {n.event for n in staff} >= {"ComplaintInvestigationStarted", "ComplaintReopened", "ViolationReported"}
    for notification in staff:
        for text in (DESCRIPTION, "重做之后还是有蟑螂", WANG_FANG.phone, WANG_FANG.address):
            assert text not in f"{notification.subject}\n{notification.body}", notification.event


def test_a_resolved_complaint_closes_after_the_customers_silence(story: Story) -> None:
    complaint = story.resolved()
    replied_at = story.clock.now()
    story.later(60 * 24 * 6)
    error = _refused(
        story,
        sc.BusinessRuleError,
        lambda: story.desk.close_complaint_after_silence(complaint.id, actor=AGENT),
    )
    assert (replied_at + timedelta(days=7)).isoformat() in str(error), "the refusal says when closing becomes possible"
    story.later(60 * 24)
    closed = story.desk.close_complaint_after_silence(complaint.id, actor=AGENT)
    assert closed.status is sc.ComplaintStatus.CLOSED
    assert closed.closure is not None
    assert closed.closure.how is sc.ComplaintClosureKind.SILENCE
    assert ("ComplaintClosed", ("customer:C-100",)) in {(n.event, n.recipients) for n in story.outbox()}


def test_a_complaint_about_someone_elses_request_is_refused(story: Story) -> None:
    order = story.completed_order()
    about = sc.ComplaintSubject(request_id=order.request_id)
    _refused(
        story,
        sc.PermissionDeniedError,
        lambda: story.desk.receive_complaint(
            actor=OTHER_CUSTOMER,
            complainant=LI_QIANG,
            subject=about,
            channel="online",
            category="quality",
            severity="minor",
            description="不是我的订单",
        ),
        match="their own",
    )
    _refused(
        story,
        sc.BusinessRuleError,
        lambda: story.desk.receive_complaint(
            actor=AGENT,
            complainant=LI_QIANG,
            subject=about,
            channel="phone",
            category="quality",
            severity="minor",
            description="不是我的订单",
        ),
        match="does not belong to the complainant C-200",
    )


def test_staff_whose_work_the_complaint_is_about_cannot_handle_it(story: Story) -> None:
    # Zhao Lei leads the field team and is a supervisor too: he went on site, so he stays out of it.
    lead = sc.Actor("E-011", "Zhao Lei", ["engineer", "supervisor"])
    order = story.completed_order(assignees=(ENGINEER.id, lead.id))
    complaint = story.complaint(order)
    assert set(complaint.work_staff_ids) == {ENGINEER.id, lead.id}
    desk = story.desk
    _refused(
        story,
        sc.SeparationOfDutiesError,
        lambda: desk.acknowledge_complaint(complaint.id, actor=lead, message="收到"),
        match="own work",
    )
    desk.acknowledge_complaint(complaint.id, actor=AGENT, message="收到")
    _refused(story, sc.SeparationOfDutiesError, lambda: desk.start_complaint_investigation(complaint.id, actor=lead))
    _refused(
        story,
        sc.SeparationOfDutiesError,
        lambda: desk.start_complaint_investigation(
            complaint.id, actor=SUPERVISOR, investigator=sc.Actor(ENGINEER.id, ENGINEER.name, ["quality_inspector"])
        ),
    )
    assert desk.get_complaint(complaint.id).status is sc.ComplaintStatus.ACKNOWLEDGED


# --- violations -----------------------------------------------------------------------------------


def test_raising_a_violation_from_a_complaint_links_both_ways(story: Story) -> None:
    complaint = story.investigating()
    violation = story.violation(complaint)
    assert violation.status is sc.ViolationStatus.REPORTED
    assert violation.source.kind is sc.ViolationSourceKind.COMPLAINT
    assert violation.source.complaint_id == complaint.id
    assert violation.subject == ENGINEER.ref
    assert violation == story.desk.get_violation(violation.id)
    linked = story.desk.get_complaint(complaint.id)
    assert linked.violation_ids == (violation.id,)
    assert linked.version == complaint.version + 1, "the complaint was saved in the same command"
    assert ("ViolationReported", ("role:discipline_officer",)) in {(n.event, n.recipients) for n in story.outbox()}


def test_raising_a_violation_writes_nothing_when_the_complaint_is_not_under_investigation(story: Story) -> None:
    complaint = story.complaint()
    story.desk.acknowledge_complaint(complaint.id, actor=AGENT, message="收到")
    _refused(story, sc.InvalidTransitionError, lambda: story.violation(story.desk.get_complaint(complaint.id)))
    assert story.desk.list_violations() == []


class RepeatingViolationIds(SequentialIds):
    """Hands out the same violation id every time (a broken id generator)."""

    def new_id(self, kind: str) -> str:
        return "VIO-SAME" if kind == "violation" else super().new_id(kind)


def test_raising_a_violation_writes_nothing_when_storing_it_fails() -> None:
    """The complaint's link is staged before the violation is added; a failing add undoes both."""
    story = Story(ids=RepeatingViolationIds())
    first = story.investigating()
    story.violation(first)
    second = story.investigating()
    _refused(story, sc.ServiceCoreError, lambda: story.violation(second))
    assert story.desk.get_complaint(second.id).violation_ids == ()


def test_the_subject_of_a_violation_may_not_investigate_it(story: Story) -> None:
    violation = story.violation()
    _refused(
        story,
        sc.SeparationOfDutiesError,
        lambda: story.desk.assign_violation_investigators(violation.id, actor=OFFICER, investigators=[ENGINEER]),
    )


def test_a_decision_tells_the_sanctioned_engineer_the_appeal_deadline(story: Story) -> None:
    violation = story.decided()
    decision = violation.decision
    assert decision is not None
    assert decision.appeal_deadline == story.clock.now() + timedelta(days=15), "the default appeal window"
    (told,) = [n for n in story.outbox() if n.event == "ViolationDecided"]
    assert told.recipients == (f"actor:{ENGINEER.id}",)
    assert decision.appeal_deadline.isoformat() in told.subject


# --- appeals --------------------------------------------------------------------------------------


def test_filing_an_appeal_registers_it_on_the_violation(story: Story) -> None:
    violation = story.decided()
    story.later()
    appeal = story.desk.file_appeal(violation.id, actor=ENGINEER, grounds="仓库发错了药剂")
    assert appeal.status is sc.AppealStatus.FILED
    assert appeal == story.desk.get_appeal(appeal.id)
    assert (appeal.violation_id, appeal.decision_number, appeal.appellant) == (violation.id, 1, ENGINEER.ref)
    registered = story.desk.get_violation(violation.id)
    assert registered.open_appeal_id == appeal.id
    assert registered.version == violation.version + 1
    assert ("AppealFiled", ("role:appeal_panel_member",)) in {(n.event, n.recipients) for n in story.outbox()}
    _refused(
        story,
        sc.BusinessRuleError,
        lambda: story.desk.file_appeal(violation.id, actor=ENGINEER, grounds="再申诉一次"),
        match="already appealed",
    )


def test_only_the_sanctioned_staff_member_may_appeal(story: Story) -> None:
    violation = story.decided()
    _refused(
        story,
        sc.PermissionDeniedError,
        lambda: story.desk.file_appeal(violation.id, actor=SUPERVISOR, grounds="代他申诉"),
        match="sanctions",
    )


def test_upholding_an_appeal_corrects_the_decision_and_keeps_the_original(story: Story) -> None:
    violation, appeal = story.under_review()
    original = violation.decision
    assert original is not None
    assert ("AppealReviewStarted", ("actor:E-050", "actor:E-051")) in {(n.event, n.recipients) for n in story.outbox()}
    story.later()
    upheld = story.desk.uphold_appeal(
        appeal.id,
        actor=PANEL[1],
        reasons="发错药剂属实，撤销罚款",
        sanctions=[sc.Sanction(person=ENGINEER, kind="warning")],
    )
    assert upheld.status is sc.AppealStatus.UPHELD
    corrected = story.desk.get_violation(violation.id)
    assert corrected.version == violation.version + 1, "the violation was saved in the same command"
    assert corrected.decisions[0] == original, "the original decision stays on record, unchanged"
    assert corrected.original_decision == original
    assert corrected.superseded_decisions == (original,)
    decision = corrected.decision
    assert decision is not None
    assert (decision.number, decision.corrects, decision.appeal_id) == (2, 1, appeal.id)
    assert [s.kind.value for s in decision.sanctions] == ["warning"]
    assert corrected.status is sc.ViolationStatus.DECIDED, "the corrected decision is published afresh"
    assert corrected.open_appeal is None

    story.later()
    closed = story.desk.close_appeal(appeal.id, actor=PANEL[1], notification="当面告知")
    assert closed.status is sc.AppealStatus.CLOSED
    assert ("AppealClosed", (f"actor:{ENGINEER.id}",)) in {(n.event, n.recipients) for n in story.outbox()}
    story.desk.publish_violation(violation.id, actor=OFFICER)
    final = story.desk.finalize_violation(violation.id, actor=OFFICER)
    assert final.status is sc.ViolationStatus.FINAL
    assert len(final.decisions) == 2
    letter = story.desk.render_violation_decision_letter(violation.id, actor=OFFICER).content
    assert appeal.id in letter


def test_rejecting_an_appeal_keeps_the_decision(story: Story) -> None:
    violation, appeal = story.under_review()
    story.later()
    rejected = story.desk.reject_appeal(appeal.id, actor=PANEL[0], reasons="药剂领用单显示药剂无误")
    assert rejected.status is sc.AppealStatus.REJECTED
    kept = story.desk.get_violation(violation.id)
    assert kept.decisions == violation.decisions
    assert kept.status is sc.ViolationStatus.PUBLISHED
    assert [(a.appeal_id, a.upheld) for a in kept.appeals] == [(appeal.id, False)]
    assert story.desk.finalize_violation(violation.id, actor=OFFICER).status is sc.ViolationStatus.FINAL


def test_a_panel_member_who_investigated_the_case_is_refused(story: Story) -> None:
    violation = story.decided()
    appeal = story.desk.file_appeal(violation.id, actor=ENGINEER, grounds="仓库发错了药剂")
    investigator_on_panel = sc.Actor(INSPECTOR.id, INSPECTOR.name, ["appeal_panel_member"])
    _refused(
        story,
        sc.SeparationOfDutiesError,
        lambda: story.desk.start_appeal_review(appeal.id, actor=PANEL[0], panel=[PANEL[1], investigator_on_panel]),
        match="investigated",
    )


def test_a_late_appeal_names_the_deadline(story: Story) -> None:
    violation = story.decided()
    decision = violation.decision
    assert decision is not None
    story.clock.advance(timedelta(days=15, minutes=1))
    _refused(
        story,
        sc.BusinessRuleError,
        lambda: story.desk.file_appeal(violation.id, actor=ENGINEER, grounds="我出差刚回来"),
        match=f"deadline .*{re.escape(decision.appeal_deadline.isoformat())}.*too late",
    )
    assert story.desk.list_appeals() == []


# --- separation of duties at acceptance ---------------------------------------------------------


def test_an_inspector_who_worked_on_the_order_cannot_open_its_acceptance(story: Story) -> None:
    order = story.completed_order()
    error = _refused(
        story,
        sc.SeparationOfDutiesError,
        lambda: story.desk.open_acceptance(
            order.agreement_id, actor=AGENT, inspector=sc.Inspector(ENGINEER.ref, "third_party")
        ),
        match=order.id,
    )
    assert error.actor_id == ENGINEER.id
    assert story.desk.list_acceptances() == []
    opened = story.desk.open_acceptance(
        order.agreement_id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer")
    )
    assert opened.inspector.person == CUSTOMER.ref


# --- a customer sees only their own cases -------------------------------------------------------------


def test_a_customer_reads_their_own_request_and_complaint_but_not_anyone_elses(story: Story) -> None:
    complaint = story.resolved()
    request_id = complaint.subject.request_id
    assert request_id is not None
    desk = story.desk
    assert desk.get_request(request_id, actor=CUSTOMER).customer == WANG_FANG
    assert desk.get_complaint(complaint.id, actor=CUSTOMER) == complaint
    assert "非常抱歉" in desk.render_complaint_reply(complaint.id, actor=CUSTOMER).content

    reads: list[tuple[str, Callable[[], object]]] = [
        ("get_request", lambda: desk.get_request(request_id, actor=OTHER_CUSTOMER)),
        ("get_complaint", lambda: desk.get_complaint(complaint.id, actor=OTHER_CUSTOMER)),
        ("render_complaint_reply", lambda: desk.render_complaint_reply(complaint.id, actor=OTHER_CUSTOMER)),
        ("reopen_complaint", lambda: desk.reopen_complaint(complaint.id, actor=OTHER_CUSTOMER, reason="看看")),
    ]
    for command, read in reads:
        error = _refused(story, sc.PermissionDeniedError, read)
        assert (error.actor_id, error.command) == (OTHER_CUSTOMER.id, command)
        assert error.rule == "a customer may only see and act on their own requests and complaints"
        assert OTHER_CUSTOMER.id in str(error)
        assert command in str(error)


def test_a_customer_sees_no_violation(story: Story) -> None:
    violation = story.violation()
    with pytest.raises(sc.PermissionDeniedError, match="requires one of the roles"):
        story.desk.get_violation(violation.id, actor=CUSTOMER)


# --- the publication notice -------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_publication_notice_names_no_customer(story: Story, locale: str) -> None:
    name, phone, email, address = WANG_FANG.name, WANG_FANG.phone, WANG_FANG.email, WANG_FANG.address
    assert phone
    assert email
    assert address
    violation = story.decided(
        description=f"客户{name}（电话 {phone}，邮箱 {email}）反映，{address}厨房灭蟑两天后仍有活蟑螂",
        reason="王女士家中用药量只有标准的一半",
        reasons=f"未按 GB/T 27770 施工，{name}的投诉属实",
    )
    story.desk.publish_violation(violation.id, actor=OFFICER)
    content = story.desk.render_publication_notice(violation.id, locale=locale, actor=OFFICER).content
    assert violation.id in content
    assert ENGINEER.name in content, "the notice names the staff member, not the customer"
    assert "GB/T 27770" in content, "the facts stay"
    for personal in (name, "王女士", phone, phone.replace(" ", ""), email, address, "世纪大道100号", "3号楼201室"):
        assert personal not in content, personal


def _decided_and_published(story: Story, violation: sc.Violation, *, words: str) -> str:
    desk = story.desk
    story.later()
    desk.assign_violation_investigators(violation.id, actor=OFFICER, investigators=[INSPECTOR])
    desk.add_violation_evidence(violation.id, actor=INSPECTOR, kind="service_record", description="服务单记录")
    desk.determine_violation(
        violation.id,
        actor=INSPECTOR,
        findings=[sc.Finding(person=ENGINEER, degree="primary", reason=f"{words}家用药不足")],
        summary="施工未按标准执行",
    )
    story.later()
    desk.decide_violation(
        violation.id,
        actor=OFFICER,
        sanctions=[sc.Sanction(person=ENGINEER, kind="warning", note=f"向{words}道歉")],
        reasons=f"{words}的反映属实",
    )
    desk.publish_violation(violation.id, actor=OFFICER)
    return desk.render_publication_notice(violation.id, locale="zh-CN", actor=OFFICER).content


@pytest.mark.parametrize("source", ["inspection of the acceptance", "staff report citing the work order"])
def test_the_notice_finds_the_customer_of_a_case_from_an_inspection_or_a_report(story: Story, source: str) -> None:
    acceptance = _acceptance_of_wang_fang(story)
    reference = acceptance.id if source.startswith("inspection") else f"巡检 {acceptance.work_order_ids[0]} 时发现"
    made = (
        sc.ViolationSource.from_inspection(reference)
        if source.startswith("inspection")
        else sc.ViolationSource.staff_report(INSPECTOR, reference)
    )
    violation = story.desk.report_violation(
        actor=INSPECTOR,
        subject=ENGINEER,
        category="quality_failure",
        source=made,
        description="王芳家厨房仍有活蟑螂，芳芳说师傅没拍照片，邻居李女士电话 021-6488 1234",
    )
    content = _decided_and_published(story, violation, words="王芳")
    assert ENGINEER.name in content
    for personal in ("王芳", "芳芳", "李女士", "6488"):
        assert personal not in content, personal


def test_a_custom_category_is_redacted_and_a_case_with_no_customer_still_loses_phones_and_addresses(
    story: Story,
) -> None:
    complaint = story.investigating()
    violation = story.desk.raise_violation_from_complaint(
        complaint.id, actor=INSPECTOR, subject=ENGINEER, category="王芳家(建国路88号)服务事故", description="用药不足"
    )
    content = _decided_and_published(story, violation, words="王芳")
    for personal in ("王芳", "建国路88号"):
        assert personal not in content, personal
    assert "服务事故" in content, "the category itself stays"
    unknown = story.desk.report_violation(
        actor=INSPECTOR,
        subject=ENGINEER,
        category="conduct",
        source=sc.ViolationSource.from_inspection("季度内部巡检"),
        description="陈女士（手机 139 1234 5678）住阳光小区3号楼502室，投诉师傅态度差",
    )
    content = _decided_and_published(story, unknown, words="陈女士")
    for personal in ("陈女士", "139 1234 5678", "阳光小区", "502室"):
        assert personal not in content, personal
    assert "投诉师傅态度差" in content


# An acceptance belongs to its request's customer: the facade checks the request it was opened for.


def _acceptance_of_wang_fang(story: Story) -> sc.Acceptance:
    order = story.completed_order()
    acceptance = story.desk.open_acceptance(
        order.agreement_id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer")
    )
    return story.desk.record_inspection(
        acceptance.id, actor=CUSTOMER, results=[sc.CriterionResult(criterion_code="no-live-insects", passed=False)]
    )


def test_a_customer_cannot_read_another_customers_acceptance(story: Story) -> None:
    acceptance = _acceptance_of_wang_fang(story)
    assert story.desk.get_acceptance(acceptance.id, actor=CUSTOMER) == acceptance
    _refused(story, sc.PermissionDeniedError, lambda: story.desk.get_acceptance(acceptance.id, actor=OTHER_CUSTOMER))


def test_a_customer_cannot_order_rectification_on_another_customers_acceptance(story: Story) -> None:
    acceptance = _acceptance_of_wang_fang(story)
    _refused(
        story,
        sc.PermissionDeniedError,
        lambda: story.desk.order_rectification(
            acceptance.id,
            actor=OTHER_CUSTOMER,
            responsible_party="陈刚",
            deadline=story.clock.now() + timedelta(days=3),
        ),
        match="their own",
    )
