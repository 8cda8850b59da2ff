"""Stateful property tests: any sequence of commands, in any state, at any (later) time.

Each machine keeps a small model of what the aggregate should look like and tries
every command from every state with valid-looking arguments. A command the model
forbids must raise the expected ``ServiceCoreError`` subclass and leave the
aggregate exactly as it was; a command the model allows must succeed and append
exactly one history entry. Invariants check that history and events only grow,
timestamps never go backwards, terminal states stay put, acceptance rounds count
1, 2, 3… and a confirmed agreement revision never changes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from servicecore.domain import (
    Acceptance,
    AcceptanceStatus,
    AgreementStatus,
    BusinessRuleError,
    CriterionResult,
    HoldReason,
    HoldStage,
    InvalidTransitionError,
    PermissionDeniedError,
    RevisionStatus,
    SeparationOfDutiesError,
    ServiceAgreement,
    ServiceCoreError,
    StepStatus,
    ValidationError,
    WorkOrder,
    WorkOrderStatus,
)
from servicecore.domain.work_order import WORK_ACTIONS

SETTINGS = settings(max_examples=100, stateful_step_count=50, deadline=None)
# Commands that end the aggregate early (cancel, terminate) only run when this draws 0,
# so runs get deep into the state machine before they end.
rarely = st.integers(min_value=0, max_value=3)

minutes = st.integers(min_value=0, max_value=3 * 24 * 60)
Outcome = type[ServiceCoreError] | None  # None: the command must succeed


class AggregateMachine(RuleBasedStateMachine):
    """Shared plumbing: fake time, the try-a-command step, the growth invariants."""

    terminal: frozenset[Any] = frozenset()

    def __init__(self, domain: Any) -> None:
        super().__init__()
        self.d = domain
        self.agg = self.create()
        self.now: datetime = self.agg.history[-1].at
        self.seen_history = self.agg.history
        self.seen_events = self.agg.events
        self.terminal_snapshot: Any = None
        self.terminal_events: tuple[Any, ...] = ()

    def create(self) -> Any:
        raise NotImplementedError

    def restart_from(self, agg: Any) -> None:
        """Begin the run from ``agg`` (built by the conftest factory in some state)."""
        self.agg = agg
        self.now = agg.history[-1].at
        self.seen_history = agg.history
        self.seen_events = agg.events

    def any_commands(self) -> dict[str, Callable[[Any, datetime], Any]]:
        """Every command with valid-looking arguments (used for the time-travel rule)."""
        raise NotImplementedError

    def attempt(self, action: str, command: Callable[[Any, datetime], Any], expected: Outcome) -> Any:
        """Run ``command`` now; check it succeeds or fails exactly as the model says."""
        before = self.agg
        snapshot = copy.deepcopy(before), before.events
        error: ServiceCoreError | None = None
        try:
            after = command(before, self.now)
        except ServiceCoreError as exc:
            error = exc
        if error is not None:
            assert expected is not None, f"{action} from {before.status.value!r} was refused: {error!r}"
            assert isinstance(error, expected), f"{action}: expected {expected.__name__}, got {error!r}"
            if isinstance(error, InvalidTransitionError):
                assert (error.aggregate_id, error.state, error.action) == (before.id, before.status.value, action)
            assert before == snapshot[0]
            assert before.events == snapshot[1]
            return None
        assert expected is None, f"{action} from {before.status.value!r} succeeded; expected {expected.__name__}"
        assert after.history[:-1] == before.history
        entry = after.history[-1]
        assert (entry.action, entry.at, entry.from_state) == (action, self.now, before.status.value)
        assert entry.to_state == after.status.value
        assert after.events[: len(before.events)] == before.events
        assert len(after.events) - len(before.events) <= 1
        self.agg = after
        return after

    @rule(delta=minutes)
    def advance_time(self, delta: int) -> None:
        self.now += timedelta(minutes=delta)

    @rule(data=st.data(), back=st.integers(min_value=1, max_value=600))
    def command_in_the_past(self, data: st.DataObject, back: int) -> None:
        name = data.draw(st.sampled_from(sorted(self.any_commands())))
        before = self.agg
        snapshot = copy.deepcopy(before), before.events
        past = before.history[-1].at - timedelta(minutes=back)
        error: ServiceCoreError | None = None
        try:
            self.any_commands()[name](before, past)
        except ServiceCoreError as exc:
            error = exc
        assert error is not None, f"{name} accepted {past.isoformat()}, before the last recorded step"
        # ``at`` is checked before the state or any other argument
        assert isinstance(error, ValidationError), f"{name} in the past: {error!r}"
        assert error.field == "at"
        assert before == snapshot[0]
        assert before.events == snapshot[1]

    @invariant()
    def history_and_events_only_grow(self) -> None:
        history, events = self.agg.history, self.agg.events
        assert history[: len(self.seen_history)] == self.seen_history
        assert events[: len(self.seen_events)] == self.seen_events
        assert len(events) >= len(self.seen_events)
        self.seen_history, self.seen_events = history, events

    @invariant()
    def timestamps_never_go_backwards(self) -> None:
        times = [entry.at for entry in self.agg.history]
        assert times == sorted(times)
        assert self.agg.history[0].from_state == ""
        for earlier, later in zip(self.agg.history, self.agg.history[1:], strict=False):
            assert later.from_state == earlier.to_state

    @invariant()
    def terminal_states_are_terminal(self) -> None:
        if self.terminal_snapshot is not None:
            assert self.agg == self.terminal_snapshot
            assert self.agg.events == self.terminal_events
            assert self.agg.is_terminal
        elif self.agg.status in self.terminal:
            assert self.agg.is_terminal
            self.terminal_snapshot = copy.deepcopy(self.agg)
            self.terminal_events = self.agg.events
        else:
            assert not self.agg.is_terminal


# --- WorkOrder -----------------------------------------------------------------------------------------

WO = WorkOrderStatus
WO_OPEN = {WO.SCHEDULED, WO.IN_PROGRESS, WO.ON_HOLD}
HOLD_STEPS = {
    "report_hold": (HoldStage.PAUSED, HoldStage.REPORTED),
    "coordinate_hold": (HoldStage.REPORTED, HoldStage.COORDINATED),
    "inform_customer_of_hold": (HoldStage.COORDINATED, HoldStage.CUSTOMER_INFORMED),
    "resume": (HoldStage.CUSTOMER_INFORMED, HoldStage.RESOLVED),
}


class WorkOrderMachine(AggregateMachine):
    terminal = frozenset({WO.COMPLETED, WO.CANCELLED})

    def create(self) -> WorkOrder:
        order = self.d.new_work_order(self.d.short_checklist)
        self.model_from(order)
        return order

    def model_from(self, order: WorkOrder) -> None:
        self.status = order.status
        self.required = {s.key for s in order.steps if s.required}
        self.step_status = {s.key: s.status for s in order.steps}
        self.hold_stage: HoldStage | None = order.current_hold.stage if order.current_hold else None
        self.hold_count = len(order.holds)
        self.assigned = self.d.technician.id in order.assignees

    def _worker(self, expected: Outcome) -> Outcome:
        """Work by the technician: refused before the state is looked at once someone else is assigned."""
        return expected if self.assigned else PermissionDeniedError

    @initialize(
        start=st.sampled_from(["scheduled", "in_progress", "steps_done", *[f"hold:{s}" for s in list(HoldStage)[:4]]])
    )
    def start_somewhere(self, start: str) -> None:
        d = self.d
        if start == "scheduled":
            return
        if start.startswith("hold:"):
            stage = HoldStage(start.removeprefix("hold:"))
            order = d.work_order(WO.ON_HOLD, template=d.short_checklist, hold_stage=stage)
        else:
            order = d.work_order(WO.IN_PROGRESS, template=d.short_checklist)
            if start == "steps_done":
                order = d.complete_required_steps(order)
        self.restart_from(order)
        self.model_from(order)

    def any_commands(self) -> dict[str, Callable[[Any, datetime], Any]]:
        d = self.d
        return {
            "start": lambda o, at: o.start(actor=d.technician, at=at),
            "complete_step": lambda o, at: o.complete_step(actor=d.technician, at=at, step_key="arrive"),
            "skip_step": lambda o, at: o.skip_step(actor=d.technician, at=at, step_key="photos", reason="r"),
            "hold": lambda o, at: o.hold(actor=d.technician, at=at, reason="other", description="x"),
            "report_hold": lambda o, at: o.report_hold(actor=d.technician, at=at, supervisor=d.supervisor),
            "coordinate_hold": lambda o, at: o.coordinate_hold(actor=d.supervisor, at=at, plan="p"),
            "inform_customer_of_hold": lambda o, at: o.inform_customer_of_hold(actor=d.supervisor, at=at, message="m"),
            "resume": lambda o, at: o.resume(actor=d.technician, at=at),
            "complete": lambda o, at: o.complete(actor=d.technician, at=at, sign_off=d.sign_off(at)),
            "cancel": lambda o, at: o.cancel(actor=d.agent, at=at, reason="r"),
            "reassign": lambda o, at: o.reassign(actor=d.agent, at=at, assignees=["u-x"]),
        }

    def _in_progress_or(self) -> Outcome:
        return None if self.status is WO.IN_PROGRESS else InvalidTransitionError

    @rule()
    def start(self) -> None:
        expected = self._worker(None if self.status is WO.SCHEDULED else InvalidTransitionError)
        if self.attempt("start", self.any_commands()["start"], expected):
            self.status = WO.IN_PROGRESS

    @rule(key=st.sampled_from(["arrive", "treat", "photos", "no-such-step"]))
    def complete_step(self, key: str) -> None:
        self._complete_step(key)

    @rule()
    def work_through_checklist(self) -> None:
        """Complete every step still pending, one command each (gets runs to completion)."""
        for key in [k for k, status in self.step_status.items() if status is StepStatus.PENDING] or ["arrive"]:
            self._complete_step(key)

    def _complete_step(self, key: str) -> None:
        expected = self._in_progress_or()
        if expected is None:
            if key not in self.step_status:
                expected = ValidationError
            elif self.step_status[key] is not StepStatus.PENDING:
                expected = BusinessRuleError
        expected = self._worker(expected)
        d = self.d
        after = self.attempt(
            "complete_step", lambda o, at: o.complete_step(actor=d.technician, at=at, step_key=key), expected
        )
        if after is not None:
            self.step_status[key] = StepStatus.DONE
            assert after.step(key).completion.at == self.now

    @rule(key=st.sampled_from(["arrive", "treat", "photos", "no-such-step"]))
    def skip_step(self, key: str) -> None:
        expected = self._in_progress_or()
        if expected is None:
            if key not in self.step_status:
                expected = ValidationError
            elif self.step_status[key] is not StepStatus.PENDING or key in self.required:
                expected = BusinessRuleError
        expected = self._worker(expected)
        d = self.d
        after = self.attempt(
            "skip_step", lambda o, at: o.skip_step(actor=d.technician, at=at, step_key=key, reason="n/a"), expected
        )
        if after is not None:
            self.step_status[key] = StepStatus.SKIPPED

    @rule(reason=st.sampled_from(HoldReason))
    def hold(self, reason: HoldReason) -> None:
        d = self.d
        after = self.attempt(
            "hold",
            lambda o, at: o.hold(actor=d.technician, at=at, reason=reason, description="stopped"),
            self._worker(self._in_progress_or()),
        )
        if after is not None:
            self.status, self.hold_stage = WO.ON_HOLD, HoldStage.PAUSED
            self.hold_count += 1

    @rule(action=st.sampled_from(sorted(HOLD_STEPS)), follow_procedure=st.booleans())
    def hold_procedure(self, action: str, follow_procedure: bool) -> None:
        """Any step of the exception procedure; half the time the one the model says is next."""
        if follow_procedure and self.hold_stage is not None:
            action = next(name for name, (needed, _) in HOLD_STEPS.items() if needed is self.hold_stage)
        needed, reached = HOLD_STEPS[action]
        if self.status is not WO.ON_HOLD:
            expected: Outcome = InvalidTransitionError
        elif self.hold_stage is not needed:
            expected = BusinessRuleError
        else:
            expected = None
        if action in WORK_ACTIONS:  # reporting and resuming are the assignees' work; coordinating is not
            expected = self._worker(expected)
        if self.attempt(action, self.any_commands()[action], expected):
            self.hold_stage = reached
            if reached is HoldStage.RESOLVED:
                self.status, self.hold_stage = WO.IN_PROGRESS, None

    @rule(signed=st.booleans())
    def complete(self, signed: bool) -> None:
        expected = self._in_progress_or()
        if expected is None:
            if any(self.step_status[k] is not StepStatus.DONE for k in self.required):
                expected = BusinessRuleError
            elif not signed:
                expected = ValidationError
        expected = self._worker(expected)
        d = self.d

        def complete(o: WorkOrder, at: datetime) -> WorkOrder:
            return o.complete(actor=d.technician, at=at, sign_off=d.sign_off(at) if signed else None)

        if self.attempt("complete", complete, expected):
            self.status = WO.COMPLETED

    @rule(go=rarely)
    def cancel(self, go: int) -> None:
        if go:
            return
        expected = None if self.status in WO_OPEN else InvalidTransitionError
        if self.attempt("cancel", self.any_commands()["cancel"], expected):
            self.status = WO.CANCELLED

    @rule(assignees=st.sampled_from([("u-a",), ("u-a", "u-b"), ("u-b", "u-tech"), (), ("u-a", "u-a")]))
    def reassign(self, assignees: tuple[str, ...]) -> None:
        if self.status not in WO_OPEN:
            expected: Outcome = InvalidTransitionError
        elif not assignees or len(set(assignees)) != len(assignees):
            expected = ValidationError
        else:
            expected = None
        d = self.d
        after = self.attempt("reassign", lambda o, at: o.reassign(actor=d.agent, at=at, assignees=assignees), expected)
        if after is not None:
            assert after.assignees == assignees
            self.assigned = d.technician.id in assignees

    @invariant()
    def matches_the_model(self) -> None:
        order = self.agg
        assert order.status is self.status
        assert {s.key: s.status for s in order.steps} == self.step_status
        assert len(order.holds) == self.hold_count
        if self.status is WO.ON_HOLD:
            assert order.current_hold is not None
            assert order.current_hold.stage is self.hold_stage
        else:
            assert order.current_hold is None
        assert all(h.stage is HoldStage.RESOLVED for h in order.holds[:-1])
        if order.status is WO.COMPLETED:
            assert order.sign_off is not None
            assert order.open_required_steps == ()


# --- Acceptance ---------------------------------------------------------------------------------------

AS = AcceptanceStatus
INSPECTIONS = ["pass", "pass-optional-fails", "pass-optional-missing", "fail", "missing", "unknown", "duplicate"]


class AcceptanceMachine(AggregateMachine):
    terminal = frozenset({AS.ACCEPTED})

    def create(self) -> Acceptance:
        self.status = AS.AWAITING_INSPECTION
        self.deadline: datetime | None = None
        return self.d.new_acceptance()

    @initialize(start=st.sampled_from([AS.AWAITING_INSPECTION, AS.PASSED, AS.FAILED, AS.RECTIFIED]))
    def start_somewhere(self, start: AcceptanceStatus) -> None:
        acceptance = self.d.acceptance(start)
        self.restart_from(acceptance)
        self.status = start
        self.deadline = acceptance.rectifications[-1].deadline if acceptance.rectifications else None

    def results(self, kind: str) -> tuple[CriterionResult, ...]:
        d = self.d
        return {
            "pass": d.results(),
            "pass-optional-fails": d.results(optional=False),
            "pass-optional-missing": d.results(optional=None),
            "fail": d.results(required=False),
            "missing": d.results()[1:],
            "unknown": (*d.results(), CriterionResult(criterion_code="??", passed=True)),
            "duplicate": (*d.results(), d.results()[0]),
        }[kind]

    def any_commands(self) -> dict[str, Callable[[Any, datetime], Any]]:
        d = self.d
        return {
            "record_inspection": lambda a, at: a.record_inspection(actor=d.inspector_actor, at=at, results=d.results()),
            "sign_report": lambda a, at: a.sign_report(actor=d.inspector_actor, at=at, signed_by="Dee"),
            "order_rectification": lambda a, at: a.order_rectification(
                actor=d.inspector_actor, at=at, responsible_party="Crew B", deadline=at + timedelta(days=1)
            ),
            "mark_rectified": lambda a, at: a.mark_rectified(
                actor=d.technician, at=at, note="fixed", workers={d.technician.id}
            ),
        }

    @rule(kind=st.sampled_from(INSPECTIONS))
    def record_inspection(self, kind: str) -> None:
        if self.status not in {AS.AWAITING_INSPECTION, AS.RECTIFIED}:
            expected: Outcome = InvalidTransitionError
        elif kind in {"missing", "unknown", "duplicate"}:
            expected = ValidationError
        else:
            expected = None
        rounds_before = self.agg.round_count
        results = self.results(kind)
        d = self.d
        after = self.attempt(
            "record_inspection",
            lambda a, at: a.record_inspection(actor=d.inspector_actor, at=at, results=results),
            expected,
        )
        if after is not None:
            self.status = AS.FAILED if kind == "fail" else AS.PASSED
            assert after.rounds[-1].number == rounds_before + 1
            assert after.rounds[-1].passed is (kind != "fail")

    @rule()
    def sign_report(self) -> None:
        expected = None if self.status is AS.PASSED else InvalidTransitionError
        after = self.attempt("sign_report", self.any_commands()["sign_report"], expected)
        if after is not None:
            self.status = AS.ACCEPTED
            assert after.report is not None
            assert after.report.round == after.round_count

    @rule(offset=st.one_of(st.integers(min_value=-120, max_value=0), st.integers(min_value=1, max_value=5 * 24 * 60)))
    def order_rectification(self, offset: int) -> None:
        deadline = self.now + timedelta(minutes=offset)
        if self.status is not AS.FAILED:
            expected: Outcome = InvalidTransitionError
        elif offset <= 0:
            expected = ValidationError
        else:
            expected = None
        d = self.d
        after = self.attempt(
            "order_rectification",
            lambda a, at: a.order_rectification(
                actor=d.inspector_actor, at=at, responsible_party="Crew B", deadline=deadline
            ),
            expected,
        )
        if after is not None:
            self.status, self.deadline = AS.RECTIFICATION_ORDERED, deadline
            order = after.open_rectification
            assert order.round == after.round_count
            assert order.failed_criteria == after.rounds[-1].failed_criteria

    @rule(seconds=st.sampled_from([-1, 0, 1]))
    def jump_to_deadline(self, seconds: int) -> None:
        """Land right around the rectification deadline, where ``late`` flips."""
        if self.deadline is not None:
            self.now = max(self.now, self.deadline + timedelta(seconds=seconds))

    @rule()
    def mark_rectified(self) -> None:
        expected = None if self.status is AS.RECTIFICATION_ORDERED else InvalidTransitionError
        after = self.attempt("mark_rectified", self.any_commands()["mark_rectified"], expected)
        if after is not None:
            self.status = AS.RECTIFIED
            assert after.open_rectification.late is (self.now > self.deadline)

    @invariant()
    def rounds_are_numbered_one_by_one(self) -> None:
        acceptance = self.agg
        assert acceptance.status is self.status
        assert [r.number for r in acceptance.rounds] == list(range(1, len(acceptance.rounds) + 1))
        assert acceptance.round_count == len(acceptance.rounds)
        rectified_rounds = [o.round for o in acceptance.rectifications]
        assert rectified_rounds == sorted(set(rectified_rounds))
        assert all(not acceptance.rounds[n - 1].passed for n in rectified_rounds)
        assert acceptance.passed_first_time is (acceptance.status is AS.ACCEPTED and len(acceptance.rounds) == 1)
        if self.status in {AS.RECTIFICATION_ORDERED, AS.RECTIFIED}:
            assert acceptance.open_rectification is acceptance.rectifications[-1]
        else:
            assert acceptance.open_rectification is None


# --- ServiceAgreement -----------------------------------------------------------------------------------

AG = AgreementStatus
AG_TERMINAL = frozenset({AG.DECLINED, AG.FULFILLED, AG.TERMINATED})
PEOPLE = ["author", "reviewer", "agent"]


class AgreementMachine(AggregateMachine):
    terminal = AG_TERMINAL

    def create(self) -> ServiceAgreement:
        self.status = AG.DRAFT
        self.author_id = self.d.author.id
        self.writers = {self.author_id}  # everyone who wrote the current revision: none may review it
        self.revision_count = 1
        self.confirmed: Any = None
        return self.d.new_agreement()

    # in_review twice: the separation-of-duties rule only bites there
    @initialize(
        start=st.sampled_from(
            [AG.DRAFT, AG.IN_REVIEW, AG.IN_REVIEW, AG.RETURNED, AG.APPROVED, AG.OFFERED, AG.CONFIRMED, AG.ACTIVE]
        )
    )
    def start_somewhere(self, start: AgreementStatus) -> None:
        agreement = self.d.agreement(start)
        self.restart_from(agreement)
        self.status = start
        self.author_id = agreement.current.author.id
        self.writers = {self.author_id, *(c.id for c in agreement.current.contributors)}
        # snapshot taken independently of the aggregate's own bookkeeping
        self.confirmed = copy.deepcopy(agreement.current) if start in {AG.CONFIRMED, AG.ACTIVE} else None

    def any_commands(self) -> dict[str, Callable[[Any, datetime], Any]]:
        d = self.d
        return {
            "revise": lambda a, at: a.revise(actor=d.author, at=at, terms=d.terms(notes="rev")),
            "submit_for_review": lambda a, at: a.submit_for_review(actor=d.author, at=at),
            "approve": lambda a, at: a.approve(reviewer=d.reviewer, at=at),
            "return_for_changes": lambda a, at: a.return_for_changes(reviewer=d.reviewer, at=at, comments="c"),
            "offer": lambda a, at: a.offer(actor=d.agent, at=at),
            "confirm": lambda a, at: a.confirm(actor=d.customer_contact, at=at),
            "decline": lambda a, at: a.decline(actor=d.customer_contact, at=at, reason="r"),
            "request_change": lambda a, at: a.request_change(actor=d.customer_contact, at=at, comments="c"),
            "activate": lambda a, at: a.activate(actor=d.agent, at=at),
            "fulfil": lambda a, at: a.fulfil(actor=d.agent, at=at),
            "terminate": lambda a, at: a.terminate(actor=d.agent, at=at, reason="r"),
        }

    def simple(self, action: str, allowed: set[AgreementStatus], to: AgreementStatus) -> Any:
        expected = None if self.status in allowed else InvalidTransitionError
        after = self.attempt(action, self.any_commands()[action], expected)
        if after is not None:
            self.status = to
        return after

    @rule(who=st.sampled_from(PEOPLE), notes=st.sampled_from(["", "gate A", "gate B"]))
    def revise(self, who: str, notes: str) -> None:
        actor = getattr(self.d, who)
        terms = self.d.terms(notes=notes)
        expected = None if self.status in {AG.DRAFT, AG.RETURNED} else InvalidTransitionError
        after = self.attempt("revise", lambda a, at: a.revise(actor=actor, at=at, terms=terms), expected)
        if after is not None:
            self.status = AG.DRAFT
            self.writers.add(actor.id)
            assert after.current.terms == terms
            assert after.current.reviewer is None, "a revised revision carries no earlier review"

    @rule()
    def submit_for_review(self) -> None:
        self.simple("submit_for_review", {AG.DRAFT, AG.RETURNED}, AG.IN_REVIEW)

    def review(self, action: str, who: str, to: AgreementStatus) -> None:
        """Review as the author first (always refused), then as ``who``."""
        author = next(getattr(self.d, p) for p in PEOPLE if getattr(self.d, p).id == self.author_id)
        for reviewer in (author, getattr(self.d, who)):
            if self.status is not AG.IN_REVIEW:
                expected: Outcome = InvalidTransitionError
            elif reviewer.id in self.writers:
                expected = SeparationOfDutiesError
            else:
                expected = None
            after = self.attempt(action, self.review_command(action, reviewer), expected)
            if after is not None:
                self.status = to
                assert after.current.reviewer == reviewer.ref

    @staticmethod
    def review_command(action: str, reviewer: Any) -> Callable[[Any, datetime], Any]:
        if action == "approve":
            return lambda a, at: a.approve(reviewer=reviewer, at=at)
        return lambda a, at: a.return_for_changes(reviewer=reviewer, at=at, comments="redo")

    @rule(who=st.sampled_from(PEOPLE))
    def approve(self, who: str) -> None:
        self.review("approve", who, AG.APPROVED)

    @rule(who=st.sampled_from(PEOPLE))
    def return_for_changes(self, who: str) -> None:
        self.review("return_for_changes", who, AG.RETURNED)

    @rule()
    def offer(self) -> None:
        self.simple("offer", {AG.APPROVED}, AG.OFFERED)

    @rule()
    def confirm(self) -> None:
        after = self.simple("confirm", {AG.OFFERED}, AG.CONFIRMED)
        if after is not None:
            assert self.confirmed is None
            self.confirmed = copy.deepcopy(after.current)
            assert self.confirmed.status is RevisionStatus.CONFIRMED

    @rule()
    def decline(self) -> None:
        self.simple("decline", {AG.OFFERED}, AG.DECLINED)

    @rule()
    def request_change(self) -> None:
        if self.simple("request_change", {AG.OFFERED}, AG.DRAFT) is not None:
            self.revision_count += 1

    @rule()
    def activate(self) -> None:
        self.simple("activate", {AG.CONFIRMED}, AG.ACTIVE)

    @rule()
    def fulfil(self) -> None:
        self.simple("fulfil", {AG.ACTIVE}, AG.FULFILLED)

    @rule(go=rarely)
    def terminate(self, go: int) -> None:
        if go:
            return
        self.simple("terminate", set(AG) - AG_TERMINAL, AG.TERMINATED)

    @invariant()
    def matches_the_model(self) -> None:
        agreement = self.agg
        assert agreement.status is self.status
        assert [r.number for r in agreement.revisions] == list(range(1, self.revision_count + 1))
        assert all(r.status is RevisionStatus.CHANGE_REQUESTED for r in agreement.revisions[:-1])
        assert agreement.current.author.id == self.author_id

    @invariant()
    def confirmed_revision_never_changes(self) -> None:
        if self.confirmed is None:
            assert self.agg.confirmed_revision is None
        else:
            assert self.agg.confirmed_revision == self.confirmed
            assert self.agg.current == self.confirmed


# --- the tests ------------------------------------------------------------------------------------------


def test_work_order_state_machine(domain: Any) -> None:
    run_state_machine_as_test(lambda: WorkOrderMachine(domain), settings=SETTINGS)


def test_acceptance_state_machine(domain: Any) -> None:
    run_state_machine_as_test(lambda: AcceptanceMachine(domain), settings=SETTINGS)


def test_agreement_state_machine(domain: Any) -> None:
    run_state_machine_as_test(lambda: AgreementMachine(domain), settings=SETTINGS)
