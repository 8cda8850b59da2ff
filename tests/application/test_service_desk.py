"""The ServiceDesk facade: one unit of work per command, events into the outbox, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import servicecore as sc
from servicecore.ports.notification import DeliveryStatus, Notification, OutboxMessage
from servicecore.storage_kinds import ListQuery
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage, MemoryUnitOfWork
from servicecore_adapters.notifiers import RecordingNotifier

CST = timezone(timedelta(hours=8))
START = datetime(2026, 3, 2, 9, 0, tzinfo=CST)
AGENT = sc.Actor("E-001", "Li Na", ["agent"])
REVIEWER = sc.Actor("E-002", "Zhou Wei", ["reviewer"])
ENGINEER = sc.Actor("E-010", "Chen Gang", ["engineer"])
SUPERVISOR = sc.Actor("E-020", "Sun Li", ["supervisor"])
CUSTOMER = sc.Actor("C-100", "Wang Fang", ["customer"])


# --- test doubles -------------------------------------------------------------------


class CountingStorage(MemoryStorage):
    """Memory storage that counts successful commits."""

    def __init__(self) -> None:
        super().__init__()
        self.commits = 0

    def unit_of_work(self) -> MemoryUnitOfWork:
        return _CountingUnitOfWork(self)


class _CountingUnitOfWork(MemoryUnitOfWork):
    def commit(self) -> None:
        super().commit()
        self.storage.commits += 1  # type: ignore[attr-defined]


class EveryEventPolicy:
    """Writes one notification for every event, so any leaked event would show in the outbox."""

    def __init__(self, fail_on: str = "") -> None:
        self.fail_on = fail_on

    def notifications_for(
        self, event: sc.DomainEvent, *, new_id: Callable[[], str], now: datetime
    ) -> Sequence[Notification]:
        if event.name == self.fail_on:
            raise RuntimeError(f"policy cannot handle {event.name}")
        return (
            Notification(
                id=new_id(),
                event=event.name,
                aggregate_type=event.aggregate_type,
                aggregate_id=event.aggregate_id,
                recipients=("role:audit",),
                subject=event.name,
                created_at=now,
            ),
        )


class FlakyNotifier:
    """Fails for recipients in ``failing`` (or for everyone if ``failing`` is None)."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        if self.failing is None or self.failing & set(notification.recipients):
            raise ConnectionError("smtp down")
        self.sent.append(notification)


class FixedWorkOrderIds(SequentialIds):
    """Hands out the same work order id every time (a broken id generator)."""

    def new_id(self, kind: str) -> str:
        return "WO-SAME" if kind == "work_order" else super().new_id(kind)


# --- a world to drive the desk in ------------------------------------------------------


class World:
    def __init__(
        self,
        *,
        policy: sc.NotificationPolicy | None = None,
        notifier: Any = None,
        ids: Any = None,
    ) -> None:
        self.clock = ManualClock(START)
        self.storage = CountingStorage()
        self.notifier = notifier if notifier is not None else RecordingNotifier()
        self.desk = sc.ServiceDesk(
            storage=self.storage,
            notifier=self.notifier,
            renderer=MarkdownRenderer(),
            clock=self.clock,
            ids=ids if ids is not None else SequentialIds(),
            templates={sc.PEST_CONTROL.key: sc.PEST_CONTROL},
            notification_policy=policy,
        )

    def later(self, minutes: int = 10) -> datetime:
        return self.clock.advance(timedelta(minutes=minutes))

    # --- reading storage directly, through the port --------------------------

    def state(self) -> tuple[Any, ...]:
        """Everything stored: every aggregate (with versions) and every pending outbox message."""
        with self.storage.unit_of_work() as uow:
            return (
                tuple(uow.requests.list(ListQuery(limit=1000))),
                tuple(uow.agreements.list(ListQuery(limit=1000))),
                tuple(uow.work_orders.list(ListQuery(limit=1000))),
                tuple(uow.acceptances.list(ListQuery(limit=1000))),
                tuple(uow.outbox.pending(limit=1000)),
            )

    def outbox(self) -> list[Notification]:
        with self.storage.unit_of_work() as uow:
            return [m.notification for m in uow.outbox.pending(limit=1000)]

    def message(self, notification_id: str) -> OutboxMessage:
        with self.storage.unit_of_work() as uow:
            return uow.outbox.get(notification_id)

    # --- stories ---------------------------------------------------------------

    def received(self) -> sc.ServiceRequest:
        return self.desk.receive_request(
            actor=AGENT,
            customer=sc.Customer("C-100", "Wang Fang", phone="138"),
            channel="phone",
            category="pest control",
            priority="normal",
            description="Cockroaches in kitchen",
        )

    def assessed(self) -> sc.ServiceRequest:
        request = self.received()
        self.later()
        self.desk.acknowledge_request(request.id, actor=AGENT, message="We will assess today.")
        self.later()
        return self.desk.assess_request(request.id, actor=AGENT, feasible=True, analysis="Standard treatment")

    def terms(self) -> sc.AgreementTerms:
        begin = START + timedelta(days=3)
        return sc.AgreementTerms(
            items=[sc.ServiceItem("Kitchen treatment", "GB/T 27770", "1", "visit", sc.Money("800.00", "CNY"))],
            schedule=sc.Schedule(begin, begin + timedelta(hours=3), "Block 3, Room 201"),
            criteria=[
                sc.AcceptanceCriterion("no-live-insects", "No live cockroaches seen", "site_check"),
                sc.AcceptanceCriterion("report", "Treatment record signed", "document_review"),
            ],
        )

    def offered(self, request: sc.ServiceRequest | None = None) -> sc.ServiceAgreement:
        request = request or self.assessed()
        self.later()
        agreement = self.desk.draft_agreement(request.id, actor=AGENT, title="Kitchen pest control", terms=self.terms())
        self.later()
        self.desk.submit_agreement_for_review(agreement.id, actor=AGENT)
        self.later()
        self.desk.approve_agreement(agreement.id, actor=REVIEWER)
        self.later()
        return self.desk.offer_agreement(agreement.id, actor=AGENT)

    def active(self) -> sc.ServiceAgreement:
        agreement = self.offered()
        self.later()
        self.desk.confirm_agreement(agreement.id, actor=CUSTOMER)
        self.later()
        return self.desk.activate_agreement(agreement.id, actor=AGENT)

    def created_order(self, agreement: sc.ServiceAgreement | None = None) -> sc.WorkOrder:
        agreement = agreement or self.active()
        self.later()
        return self.desk.create_work_order(
            agreement.id, actor=AGENT, title="Kitchen treatment", assignees=[ENGINEER.id], template="pest-control"
        )

    def completed_order(self, agreement: sc.ServiceAgreement | None = None) -> sc.WorkOrder:
        order = self.created_order(agreement)
        self.later()
        order = self.desk.start_work_order(order.id, actor=ENGINEER)
        for step in order.steps:
            self.later(1)
            order = self.desk.complete_step(order.id, actor=ENGINEER, step_key=step.key)
        self.later()
        return self.desk.complete_work_order(
            order.id, actor=ENGINEER, sign_off=sc.SiteSignOff("Wang Fang", self.clock.now())
        )

    def passed_acceptance(self) -> sc.Acceptance:
        order = self.completed_order()
        self.later()
        acceptance = self.desk.open_acceptance(
            order.agreement_id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer")
        )
        self.later()
        return self.desk.record_inspection(acceptance.id, actor=CUSTOMER, results=_all_pass())


def _all_pass() -> list[sc.CriterionResult]:
    return [
        sc.CriterionResult(criterion_code="no-live-insects", passed=True),
        sc.CriterionResult(criterion_code="report", passed=True),
    ]


@pytest.fixture
def world() -> World:
    return World()


# --- every command saves and returns the stored aggregate ----------------------------------


def _saved(desk_result: Any, stored: Any, previous_version: int) -> None:
    assert desk_result == stored, "the command returns the aggregate as stored"
    assert desk_result.version == previous_version + 1, (
        f"version {desk_result.version}, expected {previous_version + 1}"
    )
    assert desk_result.events == (), "returned aggregates carry no pending events"


def test_every_command_saves_and_returns_the_stored_aggregate(world: World) -> None:
    desk = world.desk
    request = world.received()
    _saved(request, desk.get_request(request.id), 0)

    def check_request(result: sc.ServiceRequest) -> sc.ServiceRequest:
        nonlocal request
        _saved(result, desk.get_request(request.id), request.version)
        request = result
        return result

    check_request(desk.acknowledge_request(request.id, actor=AGENT, message="Hello"))
    check_request(desk.assess_request(request.id, actor=AGENT, feasible=True, analysis="ok", departments=["pest"]))

    agreement = desk.draft_agreement(request.id, actor=AGENT, title="Kitchen", terms=world.terms())
    _saved(agreement, desk.get_agreement(agreement.id), 0)
    agreement_id = agreement.id
    for command in (
        lambda: desk.submit_agreement_for_review(agreement_id, actor=AGENT),
        lambda: desk.return_agreement(agreement_id, actor=REVIEWER, comments="add a criterion"),
        lambda: desk.revise_agreement(agreement_id, actor=AGENT, terms=world.terms(), note="done"),
        lambda: desk.submit_agreement_for_review(agreement_id, actor=AGENT),
        lambda: desk.approve_agreement(agreement_id, actor=REVIEWER),
        lambda: desk.offer_agreement(agreement_id, actor=AGENT),
        lambda: desk.request_agreement_change(agreement_id, actor=CUSTOMER, comments="mornings only"),
        lambda: desk.submit_agreement_for_review(agreement_id, actor=AGENT),
        lambda: desk.approve_agreement(agreement_id, actor=REVIEWER),
        lambda: desk.offer_agreement(agreement_id, actor=AGENT),
    ):
        world.later()
        result = command()
        _saved(result, desk.get_agreement(agreement.id), agreement.version)
        agreement = result

    world.later()
    # offering hands the ball to the customer, and a change request back: both recorded on the request
    request = desk.get_request(request.id)
    assert [h.action for h in request.history][-3:] == ["awaiting_customer", "customer_acted", "awaiting_customer"]
    confirmed = desk.confirm_agreement(agreement.id, actor=CUSTOMER)
    _saved(confirmed, desk.get_agreement(agreement.id), agreement.version)
    assert desk.get_request(request.id).status is sc.RequestStatus.AGREED
    assert desk.get_request(request.id).version == request.version + 1, "confirm also saved the request"
    request = desk.get_request(request.id)
    active = desk.activate_agreement(agreement.id, actor=AGENT)
    _saved(active, desk.get_agreement(agreement.id), confirmed.version)

    world.later()
    order = desk.create_work_order(
        agreement.id, actor=AGENT, title="Treat", assignees=[ENGINEER.id], template="pest-control"
    )
    _saved(order, desk.get_work_order(order.id), 0)
    assert desk.get_request(request.id).work_order_ids == (order.id,)
    assert desk.get_request(request.id).status is sc.RequestStatus.IN_SERVICE
    keys = [step.key for step in order.steps]
    commands: list[Callable[[], sc.WorkOrder]] = [
        lambda: desk.reassign_work_order(order.id, actor=AGENT, assignees=[ENGINEER.id, "E-011"]),
        lambda: desk.start_work_order(order.id, actor=ENGINEER),
        lambda: desk.complete_step(
            order.id,
            actor=ENGINEER,
            step_key=keys[0],
            note="called",
            evidence=[sc.EvidenceRef("photo://1")],
            measurements=[sc.Measurement("dosage", "2.5", "g")],
        ),
        lambda: desk.hold_work_order(order.id, actor=ENGINEER, reason="material_shortage", description="no gel"),
        lambda: desk.report_hold(order.id, actor=ENGINEER, supervisor=SUPERVISOR),
        lambda: desk.coordinate_hold(order.id, actor=SUPERVISOR, plan="courier"),
        lambda: desk.inform_customer_of_hold(order.id, actor=ENGINEER, message="30 minutes late"),
        lambda: desk.resume_work_order(order.id, actor=ENGINEER),
        *[(lambda key=key: desk.complete_step(order.id, actor=ENGINEER, step_key=key)) for key in keys[1:]],
        lambda: desk.complete_work_order(
            order.id, actor=ENGINEER, sign_off=sc.SiteSignOff("Wang Fang", world.clock.now())
        ),
    ]
    for command in commands:
        world.later()
        result = command()
        _saved(result, desk.get_work_order(order.id), order.version)
        order = result
    assert order.status is sc.WorkOrderStatus.COMPLETED

    world.later()
    acceptance = desk.open_acceptance(agreement.id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer"))
    _saved(acceptance, desk.get_acceptance(acceptance.id), 0)
    assert acceptance.work_order_ids == (order.id,)
    fail_first = [
        sc.CriterionResult(criterion_code="no-live-insects", passed=False, note="two seen"),
        sc.CriterionResult(criterion_code="report", passed=True),
    ]
    acceptance_id = acceptance.id
    for command in (
        lambda: desk.record_inspection(acceptance_id, actor=CUSTOMER, results=fail_first),
        lambda: desk.order_rectification(
            acceptance_id, actor=AGENT, responsible_party="Chen Gang", deadline=world.clock.now() + timedelta(days=3)
        ),
        lambda: desk.mark_rectified(acceptance_id, actor=ENGINEER, note="re-treated"),
        lambda: desk.record_inspection(acceptance_id, actor=CUSTOMER, results=_all_pass()),
    ):
        world.later()
        result = command()
        _saved(result, desk.get_acceptance(acceptance.id), acceptance.version)
        acceptance = result

    world.later()
    agreement_version = desk.get_agreement(agreement.id).version
    signed = desk.sign_acceptance_report(acceptance.id, actor=CUSTOMER, signed_by="Wang Fang")
    _saved(signed, desk.get_acceptance(acceptance.id), acceptance.version)
    assert signed.status is sc.AcceptanceStatus.ACCEPTED
    assert desk.get_agreement(agreement.id).status is sc.AgreementStatus.FULFILLED
    assert desk.get_agreement(agreement.id).version == agreement_version + 1
    assert desk.get_request(request.id).status is sc.RequestStatus.COMPLETED

    world.later()
    completed = desk.get_request(request.id)
    closed = desk.close_request(request.id, actor=AGENT, note="follow-up done")
    _saved(closed, desk.get_request(request.id), completed.version)
    assert closed.status is sc.RequestStatus.CLOSED


def test_reads_and_lists_return_what_is_stored(world: World) -> None:
    first = world.received()
    second = world.received()
    world.desk.decline_request(second.id, actor=AGENT, reason="out of area")
    assert [r.id for r in world.desk.list_requests()] == [first.id, second.id]
    assert [r.id for r in world.desk.list_requests(status="declined")] == [second.id]
    assert [r.id for r in world.desk.list_requests(limit=1, offset=1)] == [second.id]
    assert world.desk.list_agreements() == []
    assert world.desk.list_work_orders() == []
    assert world.desk.list_acceptances() == []
    with pytest.raises(sc.NotFoundError):
        world.desk.get_request("REQ-404")
    with pytest.raises(sc.NotFoundError):
        world.desk.acknowledge_request("REQ-404", actor=AGENT, message="x")


def test_withdraw_and_terminate_are_saved(world: World) -> None:
    request = world.received()
    withdrawn = world.desk.withdraw_request(request.id, actor=CUSTOMER, reason="solved it myself")
    _saved(withdrawn, world.desk.get_request(request.id), 1)
    agreement = world.active()
    terminated = world.desk.terminate_agreement(agreement.id, actor=SUPERVISOR, reason="moved")
    _saved(terminated, world.desk.get_agreement(agreement.id), agreement.version)
    other = world.offered()
    declined = world.desk.decline_agreement(other.id, actor=CUSTOMER, reason="too expensive")
    assert declined.status is sc.AgreementStatus.DECLINED


def test_cancel_and_skip_are_saved(world: World) -> None:
    order = world.created_order()
    cancelled = world.desk.cancel_work_order(order.id, actor=AGENT, reason="not needed")
    _saved(cancelled, world.desk.get_work_order(order.id), 1)
    optional = sc.ChecklistTemplate(
        "two-steps", "Two steps", [sc.StepTemplate("a", "A"), sc.StepTemplate("b", "B", required=False)]
    )
    order = world.desk.create_work_order(
        order.agreement_id, actor=AGENT, title="Again", assignees=[ENGINEER.id], template=optional
    )
    world.desk.start_work_order(order.id, actor=ENGINEER)
    skipped = world.desk.skip_step(order.id, actor=ENGINEER, step_key="b", reason="not needed")
    assert skipped.step("b").status is sc.StepStatus.SKIPPED
    assert skipped == world.desk.get_work_order(order.id)


# --- events become outbox notifications in the same unit of work -----------------------------


def test_receive_request_queues_a_notification_to_the_customer(world: World) -> None:
    request = world.received()
    (notification,) = world.outbox()
    assert notification.recipients == ("customer:C-100",)
    assert notification.event == "RequestReceived"
    assert notification.aggregate_type == "ServiceRequest"
    assert notification.aggregate_id == request.id
    assert notification.id == "NTF-0001"
    assert notification.created_at == world.clock.now()
    assert request.id in notification.subject
    assert world.message(notification.id).status is DeliveryStatus.PENDING
    assert world.notifier.sent == [], "commands never call the notifier"


def test_state_change_and_its_notifications_are_one_commit(world: World) -> None:
    before = world.storage.commits
    request = world.received()
    assert world.storage.commits == before + 1, "one command, one commit"
    assert [n.aggregate_id for n in world.outbox()] == [request.id]

    world.later()
    world.desk.acknowledge_request(request.id, actor=AGENT, message="Hello")
    assert world.storage.commits == before + 2
    assert [n.event for n in world.outbox()] == ["RequestReceived", "RequestAcknowledged"]


def test_notifications_follow_the_policy_across_the_lifecycle(world: World) -> None:
    world.created_order()
    recipients = {(n.event, n.recipients) for n in world.outbox()}
    assert ("RequestAcknowledged", ("customer:C-100",)) in recipients
    assert ("AgreementSubmittedForReview", ("role:reviewer",)) in recipients
    assert ("AgreementOffered", ("customer:C-100",)) in recipients
    assert ("WorkOrderCreated", (f"actor:{ENGINEER.id}",)) in recipients
    assert not {event for event, _ in recipients} & {"RequestAssessed", "AgreementApproved"}, (
        "events without a rule produce no notification"
    )


def test_a_cross_aggregate_command_queues_notifications_for_every_event() -> None:
    world = World(policy=EveryEventPolicy())
    acceptance = world.passed_acceptance()
    world.desk.dispatch_notifications(limit=1000)
    world.later()
    world.desk.sign_acceptance_report(acceptance.id, actor=CUSTOMER, signed_by="Wang Fang")
    assert sorted(n.event for n in world.outbox()) == ["AcceptanceSigned", "AgreementFulfilled", "RequestCompleted"]


def test_a_failing_notification_policy_writes_nothing() -> None:
    world = World(policy=EveryEventPolicy(fail_on="RequestReceived"))
    with pytest.raises(RuntimeError, match="RequestReceived"):
        world.received()
    assert world.state() == ((), (), (), (), ())


# --- a failing command writes nothing ------------------------------------------------------------


def _refused(world: World, error: type[BaseException], command: Callable[[], object], match: str = "") -> None:
    before = world.state()
    with pytest.raises(error, match=match or None):
        command()
    assert world.state() == before, "a failing command changed storage"


@pytest.fixture
def chatty() -> World:
    """A world whose policy writes a notification for every event."""
    return World(policy=EveryEventPolicy())


def test_an_invalid_transition_writes_nothing(chatty: World) -> None:
    request = chatty.received()
    chatty.desk.acknowledge_request(request.id, actor=AGENT, message="Hello")
    _refused(
        chatty, sc.InvalidTransitionError, lambda: chatty.desk.acknowledge_request(request.id, actor=AGENT, message="x")
    )
    _refused(chatty, sc.ValidationError, lambda: chatty.desk.decline_request(request.id, actor=AGENT, reason="  "))


def test_separation_of_duties_writes_nothing(chatty: World) -> None:
    agreement = chatty.offered()
    _refused(chatty, sc.InvalidTransitionError, lambda: chatty.desk.approve_agreement(agreement.id, actor=REVIEWER))
    request = chatty.assessed()
    draft = chatty.desk.draft_agreement(request.id, actor=AGENT, title="x", terms=chatty.terms())
    chatty.desk.submit_agreement_for_review(draft.id, actor=AGENT)
    # The author holds the reviewer role too: the role check passes, the domain's rule still refuses.
    author_as_reviewer = sc.Actor(AGENT.id, AGENT.name, ["agent", "reviewer"])
    _refused(
        chatty, sc.SeparationOfDutiesError, lambda: chatty.desk.approve_agreement(draft.id, actor=author_as_reviewer)
    )
    _refused(chatty, sc.PermissionDeniedError, lambda: chatty.desk.approve_agreement(draft.id, actor=AGENT))


def test_confirm_agreement_writes_nothing_when_the_request_cannot_be_agreed(chatty: World) -> None:
    request = chatty.assessed()
    agreement = chatty.offered(request)
    chatty.later()
    chatty.desk.withdraw_request(request.id, actor=CUSTOMER, reason="changed my mind")
    chatty.later()
    _refused(
        chatty,
        sc.InvalidTransitionError,
        lambda: chatty.desk.confirm_agreement(agreement.id, actor=CUSTOMER),
        match="mark_agreed",
    )
    assert chatty.desk.get_agreement(agreement.id).status is sc.AgreementStatus.OFFERED


def test_confirming_a_second_agreement_for_one_request_writes_nothing(chatty: World) -> None:
    request = chatty.assessed()
    first = chatty.offered(request)
    second = chatty.offered(request)
    chatty.later()
    chatty.desk.confirm_agreement(first.id, actor=CUSTOMER)
    _refused(chatty, sc.InvalidTransitionError, lambda: chatty.desk.confirm_agreement(second.id, actor=CUSTOMER))
    assert chatty.desk.get_agreement(second.id).status is sc.AgreementStatus.OFFERED
    assert chatty.desk.get_request(request.id).agreement_id == first.id


def test_sign_acceptance_report_writes_nothing_when_the_agreement_cannot_be_fulfilled(chatty: World) -> None:
    acceptance = chatty.passed_acceptance()
    chatty.later()
    chatty.desk.terminate_agreement(acceptance.agreement_id, actor=SUPERVISOR, reason="dispute")
    chatty.later()
    _refused(
        chatty,
        sc.InvalidTransitionError,
        lambda: chatty.desk.sign_acceptance_report(acceptance.id, actor=CUSTOMER, signed_by="Wang Fang"),
        match="fulfil",
    )
    assert chatty.desk.get_acceptance(acceptance.id).status is sc.AcceptanceStatus.PASSED


def test_sign_acceptance_report_writes_nothing_when_a_later_step_fails() -> None:
    """The acceptance, agreement and request updates are all staged before the policy raises."""
    world = World(policy=EveryEventPolicy(fail_on="RequestCompleted"))
    acceptance = world.passed_acceptance()
    world.later()
    _refused(
        world,
        RuntimeError,
        lambda: world.desk.sign_acceptance_report(acceptance.id, actor=CUSTOMER, signed_by="Wang Fang"),
    )
    assert world.desk.get_agreement(acceptance.agreement_id).status is sc.AgreementStatus.ACTIVE


def test_create_work_order_with_a_duplicate_id_writes_nothing() -> None:
    """An id generator that repeats itself: the second work order is refused and nothing is written."""
    world = World(policy=EveryEventPolicy(), ids=FixedWorkOrderIds())
    order = world.created_order()
    _refused(
        world,
        sc.ServiceCoreError,
        lambda: world.desk.create_work_order(
            order.agreement_id, actor=AGENT, title="Again", assignees=[ENGINEER.id], template="pest-control"
        ),
    )
    assert world.desk.get_request(order.request_id).work_order_ids == (order.id,)


def test_a_stale_concurrent_change_is_refused(world: World) -> None:
    request = world.received()
    stale = world.desk.get_request(request.id)
    world.desk.acknowledge_request(request.id, actor=AGENT, message="first")
    with world.storage.unit_of_work() as uow, pytest.raises(sc.ConcurrencyError):
        uow.requests.update(stale.acknowledge(actor=AGENT, at=world.later(), message="second"))
    assert world.desk.get_request(request.id).first_response.message == "first"  # type: ignore[union-attr]


# --- work orders and acceptance preconditions ------------------------------------------------------


def test_create_work_order_refuses_an_agreement_that_is_not_active(chatty: World) -> None:
    agreement = chatty.offered()
    chatty.later()
    chatty.desk.confirm_agreement(agreement.id, actor=CUSTOMER)
    _refused(
        chatty,
        sc.BusinessRuleError,
        lambda: chatty.desk.create_work_order(
            agreement.id, actor=AGENT, title="Treat", assignees=[ENGINEER.id], template="pest-control"
        ),
        match="active",
    )


def test_create_work_order_refuses_an_unknown_template(chatty: World) -> None:
    agreement = chatty.active()
    before = chatty.state()
    with pytest.raises(sc.ValidationError) as caught:
        chatty.desk.create_work_order(
            agreement.id, actor=AGENT, title="Treat", assignees=[ENGINEER.id], template="pest-contorl"
        )
    assert caught.value.field == "template"
    assert "pest-contorl" in caught.value.message
    assert "pest-control" in caught.value.message, "the error lists the known templates"
    assert chatty.state() == before


def test_create_work_order_refuses_invalid_assignees(chatty: World) -> None:
    agreement = chatty.active()
    _refused(
        chatty,
        sc.ValidationError,
        lambda: chatty.desk.create_work_order(
            agreement.id, actor=AGENT, title="Treat", assignees=[], template="pest-control"
        ),
    )


def test_open_acceptance_refuses_uncompleted_work_orders(chatty: World) -> None:
    order = chatty.created_order()
    chatty.later()
    chatty.desk.start_work_order(order.id, actor=ENGINEER)
    chatty.later()
    _refused(
        chatty,
        sc.BusinessRuleError,
        lambda: chatty.desk.open_acceptance(
            order.agreement_id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer")
        ),
        match=f"{order.id}.*in_progress",
    )
    assert chatty.desk.list_acceptances() == []


def test_open_acceptance_checks_every_work_order(chatty: World) -> None:
    agreement = chatty.active()
    done = chatty.completed_order(agreement)
    pending = chatty.created_order(agreement)
    chatty.later()
    _refused(
        chatty,
        sc.BusinessRuleError,
        lambda: chatty.desk.open_acceptance(
            agreement.id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer")
        ),
        match=pending.id,
    )
    _refused(
        chatty,
        sc.BusinessRuleError,
        lambda: chatty.desk.open_acceptance(
            agreement.id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer"), work_order_ids=[done.id]
        ),
        match=pending.id,
    )
    chatty.desk.cancel_work_order(pending.id, actor=AGENT, reason="not needed after all")
    chatty.later()
    opened = chatty.desk.open_acceptance(agreement.id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer"))
    assert opened.work_order_ids == (done.id,), "cancelled work orders are not part of acceptance"
    assert chatty.desk.get_agreement(agreement.id).acceptance_id == opened.id
    chatty.later()
    _refused(
        chatty,
        sc.BusinessRuleError,
        lambda: chatty.desk.open_acceptance(
            agreement.id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer")
        ),
        match="already open",
    )
    _refused(
        chatty,
        sc.BusinessRuleError,
        lambda: chatty.desk.create_work_order(
            agreement.id, actor=AGENT, title="More", assignees=[ENGINEER.id], template="pest-control"
        ),
        match="no new work orders",
    )


def test_open_acceptance_needs_an_active_agreement_with_work(chatty: World) -> None:
    offered = chatty.offered()
    inspector = sc.Inspector(CUSTOMER.ref, "customer")
    _refused(
        chatty,
        sc.BusinessRuleError,
        lambda: chatty.desk.open_acceptance(offered.id, actor=AGENT, inspector=inspector),
        match="active",
    )
    active = chatty.active()
    _refused(
        chatty,
        sc.BusinessRuleError,
        lambda: chatty.desk.open_acceptance(active.id, actor=AGENT, inspector=inspector),
        match="at least one completed work order",
    )


def test_open_acceptance_refuses_work_orders_of_another_agreement(chatty: World) -> None:
    other = chatty.completed_order()
    agreement = chatty.active()
    chatty.created_order(agreement)
    chatty.later()
    _refused(
        chatty,
        sc.BusinessRuleError,
        lambda: chatty.desk.open_acceptance(
            agreement.id,
            actor=AGENT,
            inspector=sc.Inspector(CUSTOMER.ref, "customer"),
            work_order_ids=[other.id],
        ),
    )


def test_acceptance_criteria_are_a_snapshot_of_the_confirmed_revision(world: World) -> None:
    acceptance = world.passed_acceptance()
    agreement = world.desk.get_agreement(acceptance.agreement_id)
    assert agreement.confirmed_revision is not None
    assert acceptance.criteria == agreement.confirmed_revision.terms.criteria


# --- dispatching notifications ----------------------------------------------------------------------


def test_dispatch_delivers_pending_notifications_once(world: World) -> None:
    world.assessed()
    queued = world.outbox()
    assert world.desk.dispatch_notifications() == sc.DispatchResult(delivered=len(queued), failed=0)
    assert world.notifier.sent == queued
    assert world.desk.pending_notifications() == []
    message = world.message(queued[0].id)
    assert message.status is DeliveryStatus.DELIVERED
    assert message.delivered_at == world.clock.now()
    assert world.desk.dispatch_notifications() == sc.DispatchResult(delivered=0, failed=0)
    assert len(world.notifier.sent) == len(queued)


def test_dispatch_honours_the_limit_oldest_first(world: World) -> None:
    world.assessed()
    queued = world.outbox()
    assert world.desk.dispatch_notifications(limit=1) == sc.DispatchResult(delivered=1, failed=0)
    assert world.notifier.sent == queued[:1]
    assert [m.notification for m in world.desk.pending_notifications()] == queued[1:]


def test_a_failing_notifier_marks_the_message_failed_and_leaves_aggregates_alone() -> None:
    world = World(notifier=FlakyNotifier())
    request = world.received()
    (notification,) = world.outbox()
    aggregates_before = world.state()[:4]

    assert world.desk.dispatch_notifications(max_attempts=3) == sc.DispatchResult(delivered=0, failed=1)
    message = world.message(notification.id)
    assert message.status is DeliveryStatus.PENDING, "a first failure is retried later"
    assert message.attempts == 1
    assert message.last_error == "ConnectionError: smtp down"
    assert world.state()[:4] == aggregates_before, "a notifier failure never touches the state change"
    assert world.desk.get_request(request.id) == request


def test_a_message_fails_finally_after_max_attempts() -> None:
    world = World(notifier=FlakyNotifier())
    world.received()
    (notification,) = world.outbox()
    for attempt in (1, 2):
        world.later()
        assert world.desk.dispatch_notifications(max_attempts=3) == sc.DispatchResult(delivered=0, failed=1)
        assert world.message(notification.id).attempts == attempt
        assert world.message(notification.id).status is DeliveryStatus.PENDING
    world.later()
    assert world.desk.dispatch_notifications(max_attempts=3) == sc.DispatchResult(delivered=0, failed=1)
    message = world.message(notification.id)
    assert message.status is DeliveryStatus.FAILED
    assert message.attempts == 3
    assert world.desk.pending_notifications() == []
    assert world.desk.dispatch_notifications(max_attempts=3) == sc.DispatchResult(delivered=0, failed=0)


def test_one_failing_recipient_does_not_block_the_others() -> None:
    notifier = FlakyNotifier(failing={"role:reviewer"})
    world = World(notifier=notifier)
    world.offered()
    queued = world.outbox()
    result = world.desk.dispatch_notifications()
    to_reviewer = [n for n in queued if "role:reviewer" in n.recipients]
    assert result == sc.DispatchResult(delivered=len(queued) - len(to_reviewer), failed=len(to_reviewer))
    assert notifier.sent == [n for n in queued if n not in to_reviewer]
    assert [m.notification for m in world.desk.pending_notifications()] == to_reviewer


def test_terminating_an_agreement_cancels_its_open_work_and_the_request(chatty: World) -> None:
    agreement = chatty.active()
    done = chatty.completed_order(agreement)
    running = chatty.created_order(agreement)
    chatty.later()
    chatty.desk.terminate_agreement(agreement.id, actor=SUPERVISOR, reason="customer sold the site")
    assert chatty.desk.get_agreement(agreement.id).status is sc.AgreementStatus.TERMINATED
    assert chatty.desk.get_work_order(running.id).status is sc.WorkOrderStatus.CANCELLED
    assert chatty.desk.get_work_order(done.id).status is sc.WorkOrderStatus.COMPLETED, "finished work stays finished"
    request = chatty.desk.get_request(agreement.request_id)
    assert request.status is sc.RequestStatus.CANCELLED
    assert "customer sold the site" in request.outcome_reason
