"""Stateful property tests for complaints, and for a violation together with its appeals.

As in ``test_state_machines``: every command is tried from every state, by the
right and the wrong people, at any later time; the model says whether it must
succeed or which error it must raise, and a refused command changes nothing.

Violation + appeal invariants: a decision is never lost or changed; an upheld
appeal always leaves the contested decision in history, followed by the
correction it produced; at most one appeal is open; once final (or dismissed)
nothing changes any more and every command is refused.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from servicecore.domain import (
    Actor,
    Appeal,
    AppealStatus,
    BusinessRuleError,
    Complaint,
    ComplaintOutcome,
    ComplaintStatus,
    InvalidTransitionError,
    Money,
    PermissionDeniedError,
    Remedy,
    Sanction,
    SeparationOfDutiesError,
    ServiceCoreError,
    ValidationError,
    Violation,
    ViolationStatus,
)
from tests.domain.test_state_machines import AggregateMachine, Outcome

SETTINGS = settings(max_examples=60, stateful_step_count=40, deadline=None)
minutes = st.integers(min_value=0, max_value=3 * 24 * 60)

# --- Complaint ------------------------------------------------------------------------------------

C = ComplaintStatus
C_OPEN = {C.RECEIVED, C.ACKNOWLEDGED, C.INVESTIGATING, C.RESOLVED}
STAFF = ["agent", "investigator", "subject", "colleague"]  # the last two are who the complaint is about
CONFLICTED = {"subject", "colleague"}


class ComplaintMachine(AggregateMachine):
    terminal = frozenset({C.CLOSED, C.WITHDRAWN})

    def create(self) -> Complaint:
        self.status = C.RECEIVED
        self.reopens = 0
        self.resolutions: list[Any] = []
        self.links: list[str] = []
        self.investigator: str | None = None
        self.evidence = 0
        return self.d.new_complaint()

    @initialize(start=st.sampled_from([C.RECEIVED, C.ACKNOWLEDGED, C.INVESTIGATING, C.RESOLVED, C.RESOLVED]))
    def start_somewhere(self, start: ComplaintStatus) -> None:
        complaint = self.d.complaint(start)
        self.restart_from(complaint)
        self.status = start
        self.resolutions = list(complaint.resolutions)
        self.investigator = None if complaint.investigator is None else complaint.investigator.id

    def any_commands(self) -> dict[str, Callable[[Any, datetime], Any]]:
        commands: dict[str, Callable[[Any, datetime], Any]] = dict(self.d.complaint_commands())
        commands["close_after_silence"] = lambda c, at: c.close_after_silence(
            actor=self.d.agent, at=at, silence=timedelta(seconds=1)
        )
        return commands

    def expect(self, allowed: set[ComplaintStatus], who: str) -> Outcome:
        if self.status not in allowed:
            return InvalidTransitionError
        if who in CONFLICTED:
            return SeparationOfDutiesError
        return None

    @rule(who=st.sampled_from(STAFF))
    def acknowledge(self, who: str) -> None:
        actor = getattr(self.d, who)
        if self.attempt(
            "acknowledge",
            lambda c, at: c.acknowledge(actor=actor, at=at, message="m"),
            self.expect({C.RECEIVED}, who),
        ):
            self.status = C.ACKNOWLEDGED

    @rule(who=st.sampled_from(STAFF), handler=st.sampled_from([None, *STAFF]))
    def start_investigation(self, who: str, handler: str | None) -> None:
        actor, investigator = getattr(self.d, who), None if handler is None else getattr(self.d, handler)
        expected = self.expect({C.ACKNOWLEDGED}, who) or self.expect({C.ACKNOWLEDGED}, handler or who)
        after = self.attempt(
            "start_investigation",
            lambda c, at: c.start_investigation(actor=actor, at=at, investigator=investigator),
            expected,
        )
        if after is not None:
            self.status = C.INVESTIGATING
            assert after.investigator == (investigator or actor).ref
            self.investigator = after.investigator.id

    @rule(who=st.sampled_from(STAFF), kind=st.sampled_from(["photo", "statement", "service_record", "gossip"]))
    def add_evidence(self, who: str, kind: str) -> None:
        actor = getattr(self.d, who)
        expected = self.expect({C.INVESTIGATING}, who)
        if expected is None and actor.id != self.investigator:
            expected = PermissionDeniedError
        if expected is None and kind == "gossip":
            expected = ValidationError
        after = self.attempt(
            "add_evidence", lambda c, at: c.add_evidence(actor=actor, at=at, kind=kind, description="d"), expected
        )
        if after is not None:
            self.evidence += 1
            assert after.evidence[-1].collected_by == actor.ref

    @rule(who=st.sampled_from(STAFF), violation_id=st.sampled_from(["vio-1", "vio-2"]))
    def link_violation(self, who: str, violation_id: str) -> None:
        actor = getattr(self.d, who)
        expected = self.expect({C.INVESTIGATING}, who)
        if expected is None and violation_id in self.links:
            expected = BusinessRuleError
        if self.attempt(
            "link_violation", lambda c, at: c.link_violation(actor=actor, at=at, violation_id=violation_id), expected
        ):
            self.links.append(violation_id)

    @rule(
        who=st.sampled_from(STAFF),
        reply=st.sampled_from(["We are sorry", " "]),
        refund=st.booleans(),
        outcome=st.sampled_from([None, *ComplaintOutcome]),
    )
    def resolve(self, who: str, reply: str, refund: bool, outcome: ComplaintOutcome | None) -> None:
        actor = getattr(self.d, who)
        remedies = [Remedy(kind="refund", amount=Money("50", "CNY"))] if refund else []
        expected = self.expect({C.INVESTIGATING}, who)
        if expected is None and not reply.strip():
            expected = ValidationError
        if expected is None and outcome is not None and (outcome is ComplaintOutcome.REMEDIED) is not refund:
            expected = ValidationError  # a remedied complaint offers a remedy; the other outcomes none
        after = self.attempt(
            "resolve",
            lambda c, at: c.resolve(actor=actor, at=at, summary="s", reply=reply, remedies=remedies, outcome=outcome),
            expected,
        )
        if after is not None:
            self.status = C.RESOLVED
            self.resolutions.append(after.resolutions[-1])
            assert after.resolution is after.resolutions[-1]
            implied = ComplaintOutcome.REMEDIED if refund else ComplaintOutcome.NOT_UPHELD
            assert after.outcome is (outcome or implied)

    @rule(who=st.sampled_from(["contact", *STAFF]))
    def confirm_resolution(self, who: str) -> None:
        actor = getattr(self.d, who)
        if self.attempt(
            "confirm_resolution",
            lambda c, at: c.confirm_resolution(actor=actor, at=at),
            self.expect({C.RESOLVED}, who),
        ):
            self.status = C.CLOSED

    @rule(who=st.sampled_from(["contact", *STAFF]))
    def reopen(self, who: str) -> None:
        actor = getattr(self.d, who)
        if self.attempt(
            "reopen", lambda c, at: c.reopen(actor=actor, at=at, reason="still bad"), self.expect({C.RESOLVED}, who)
        ):
            self.status = C.INVESTIGATING
            self.reopens += 1

    @rule(who=st.sampled_from(STAFF), days=st.integers(min_value=1, max_value=10))
    def close_after_silence(self, who: str, days: int) -> None:
        actor = getattr(self.d, who)
        silence = timedelta(days=days)
        expected = self.expect({C.RESOLVED}, who)
        if expected is None and self.now < self.resolutions[-1].replied_at + silence:
            expected = BusinessRuleError
        if self.attempt(
            "close_after_silence",
            lambda c, at: c.close_after_silence(actor=actor, at=at, silence=silence),
            expected,
        ):
            self.status = C.CLOSED

    @rule(days=st.integers(min_value=1, max_value=10), seconds=st.sampled_from([-1, 0, 1]))
    def jump_to_silence_end(self, days: int, seconds: int) -> None:
        if self.status is C.RESOLVED:
            end = self.resolutions[-1].replied_at + timedelta(days=days, seconds=seconds)
            self.now = max(self.now, end)

    @rule(who=st.sampled_from(["contact", *STAFF]), go=st.integers(min_value=0, max_value=7))
    def withdraw(self, who: str, go: int) -> None:
        if go:
            return
        actor = getattr(self.d, who)
        if self.attempt("withdraw", lambda c, at: c.withdraw(actor=actor, at=at, reason="r"), self.expect(C_OPEN, who)):
            self.status = C.WITHDRAWN

    @invariant()
    def matches_the_model(self) -> None:
        complaint: Complaint = self.agg
        assert complaint.status is self.status
        assert complaint.reopen_count == self.reopens
        assert list(complaint.resolutions) == self.resolutions, "a resolution is never lost or changed"
        assert list(complaint.violation_ids) == self.links
        assert [e.number for e in complaint.evidence] == list(range(1, self.evidence + 1)), "evidence is only added"
        assert (complaint.closure is not None) is (self.status is C.CLOSED)
        if self.status in {C.RESOLVED, C.CLOSED}:
            assert complaint.resolution is complaint.resolutions[-1]
        else:
            assert complaint.resolution is None


def test_complaint_state_machine(discipline: Any) -> None:
    run_state_machine_as_test(lambda: ComplaintMachine(discipline), settings=SETTINGS)


# --- Violation and its appeals ---------------------------------------------------------------------

V = ViolationStatus
A = AppealStatus
PEOPLE = ["investigator", "investigator2", "officer", "subject", "colleague", "supervisor"]
DETERMINATIONS = ["subject", "both", "none", "colleague", "no-subject"]
PANELS = {
    "independent": (0, 1),
    "with-investigator": (0, "investigator"),
    "with-officer": (0, "officer"),
    "with-appellant": (0, "appellant"),
    "one": (2,),
}


class ViolationAppealMachine(RuleBasedStateMachine):
    """One violation, and the appeals filed against it, driven the way the service desk links them."""

    def __init__(self, discipline: Any) -> None:
        super().__init__()
        self.d = discipline
        self.use(discipline.new_violation(), V.REPORTED)
        self.appeal: Appeal | None = None  # the latest appeal
        self.appeal_status: AppealStatus | None = None
        self.appeal_outcome: bool | None = None
        self.appellants: list[str] = []
        self.contested: dict[str, Any] = {}  # appeal id -> the decision it contests
        self.final_snapshot: Violation | None = None
        self.numbers = iter(range(1, 10**6))

    def use(self, violation: Violation, status: ViolationStatus) -> None:
        self.v = violation
        self.status = status
        self.now: datetime = violation.history[-1].at
        self.investigators = {i.id for i in violation.investigators}
        self.evidence = len(violation.evidence)
        self.responsible = (
            {f.person.id for f in violation.determination.responsible} if violation.determination else set()
        )
        self.decisions = list(violation.decisions)
        self.seen_history = violation.history

    @initialize(
        start=st.sampled_from(
            [
                *(V.REPORTED, V.INVESTIGATING, V.DETERMINED, V.DECIDED, V.PUBLISHED, V.FINAL, V.DISMISSED),
                *("both", "appeal", "review", "upheld"),
            ]
        )
    )
    def start_somewhere(self, start: ViolationStatus | str) -> None:
        """Any state of the case; "both": two people sanctioned; "appeal", "review", "upheld": an appeal
        filed, under review, or upheld (and handed to the violation)."""
        if isinstance(start, ViolationStatus):
            self.use(self.d.violation(start), start)
            return
        if start == "both":
            self.use(self.d.violation(V.INVESTIGATING), V.INVESTIGATING)
            self.now += timedelta(minutes=5)
            self.determine("investigator", "both")
            self.now += timedelta(minutes=5)
            self.decide("officer", colleague_too=True, window=5)
            return
        self.use(self.d.violation(V.PUBLISHED), V.PUBLISHED)
        self.now += timedelta(minutes=5)
        self.file_appeal("subject")
        if start in {"review", "upheld"}:
            self.now += timedelta(minutes=5)
            self.start_review("supervisor", "independent")
        if start == "upheld":
            self.now += timedelta(minutes=5)
            self.decide_appeal("panel0", upheld=True, revoke=False)
        expected = {"appeal": A.FILED, "review": A.UNDER_REVIEW, "upheld": A.UPHELD}[start]
        assert self.appeal_status is expected

    # --- plumbing ---------------------------------------------------------------------------------

    def person(self, name: str) -> Any:
        return getattr(self.d, name)

    def run(self, label: str, target: Any, command: Callable[[Any], Any], expected: Outcome) -> Any:
        """Run ``command(target)``; it must succeed or raise ``expected`` and leave ``target`` unchanged."""
        snapshot = copy.deepcopy(target), target.events
        error: ServiceCoreError | None = None
        try:
            result = command(target)
        except ServiceCoreError as exc:
            error = exc
        if error is not None:
            assert expected is not None, f"{label} from {target.status.value!r} was refused: {error!r}"
            assert isinstance(error, expected), f"{label}: expected {expected.__name__}, got {error!r}"
            assert target == snapshot[0]
            assert target.events == snapshot[1]
            return None
        assert expected is None, f"{label} from {target.status.value!r} succeeded; expected {expected.__name__}"
        assert result.history[:-1] == target.history, "exactly one history entry per command"
        assert result.history[-1].at == self.now
        return result

    def state_or(self, allowed: set[ViolationStatus], who: str | None = None) -> Outcome:
        if self.status not in allowed:
            return InvalidTransitionError
        if who == "subject":
            return SeparationOfDutiesError
        return None

    def addressees(self) -> tuple[str, ...]:
        return self.decisions[-1].addressee_ids if self.decisions else ()

    # --- time -------------------------------------------------------------------------------------

    @rule(delta=minutes)
    def advance_time(self, delta: int) -> None:
        self.now += timedelta(minutes=delta)

    @rule(seconds=st.sampled_from([-1, 0, 1]))
    def jump_to_deadline(self, seconds: int) -> None:
        if self.decisions:
            self.now = max(self.now, self.decisions[-1].appeal_deadline + timedelta(seconds=seconds))

    # --- the case -----------------------------------------------------------------------------------

    @rule(
        who=st.sampled_from(["officer", "subject"]), whom=st.sampled_from(["investigator", "investigator2", "subject"])
    )
    def assign_investigators(self, who: str, whom: str) -> None:
        person = self.person(whom)
        expected = self.state_or({V.REPORTED, V.INVESTIGATING}, who) or self.state_or(
            {V.REPORTED, V.INVESTIGATING}, whom
        )
        if expected is None and person.id in self.investigators:
            expected = ValidationError
        after = self.run(
            "assign_investigators",
            self.v,
            lambda v: v.assign_investigators(actor=self.person(who), at=self.now, investigators=[person]),
            expected,
        )
        if after is not None:
            self.v, self.status = after, V.INVESTIGATING
            self.investigators.add(person.id)

    @rule(who=st.sampled_from(PEOPLE))
    def add_evidence(self, who: str) -> None:
        person = self.person(who)
        expected = self.state_or({V.INVESTIGATING})
        if expected is None and person.id not in self.investigators:
            expected = PermissionDeniedError
        after = self.run(
            "add_evidence",
            self.v,
            lambda v: v.add_evidence(actor=person, at=self.now, kind="document", description="d"),
            expected,
        )
        if after is not None:
            self.v = after
            self.evidence += 1

    @rule(who=st.sampled_from(["investigator", "officer"]), kind=st.sampled_from(DETERMINATIONS))
    def determine(self, who: str, kind: str) -> None:
        d, person = self.d, self.person(who)
        findings = {
            "subject": d.findings("primary"),
            "both": d.findings("primary", colleague="secondary"),
            "none": d.findings("none", colleague="none"),
            "colleague": d.findings("none", colleague="primary"),
            "no-subject": d.findings("primary")[:0],
        }[kind]
        expected = self.state_or({V.INVESTIGATING})
        if expected is None and person.id not in self.investigators:
            expected = PermissionDeniedError
        elif expected is None and not self.evidence:
            expected = BusinessRuleError
        elif expected is None and kind == "no-subject":
            expected = ValidationError
        after = self.run(
            "determine",
            self.v,
            lambda v: v.determine(actor=person, at=self.now, findings=findings, summary="s"),
            expected,
        )
        if after is not None:
            self.v = after
            self.responsible = {f.person.id for f in after.determination.responsible}
            self.status = V.DETERMINED if self.responsible else V.DISMISSED

    @rule(who=st.sampled_from(["officer", "subject"]), colleague_too=st.booleans(), window=st.integers(1, 10))
    def decide(self, who: str, colleague_too: bool, window: int) -> None:
        d = self.d
        sanctions = [Sanction(person=d.subject, kind="fine", amount=Money("100", "CNY"))]
        if colleague_too:
            sanctions.append(Sanction(person=d.colleague, kind="warning"))
        expected = self.state_or({V.DETERMINED}, who)
        if expected is None and {s.person.id for s in sanctions} - self.responsible:
            expected = BusinessRuleError
        after = self.run(
            "decide",
            self.v,
            lambda v: v.decide(
                actor=self.person(who),
                at=self.now,
                sanctions=sanctions,
                reasons="r",
                appeal_deadline=self.now + timedelta(days=window),
            ),
            expected,
        )
        if after is not None:
            self.v, self.status = after, V.DECIDED
            self.decisions.append(after.decisions[-1])

    @rule(who=st.sampled_from(["officer", "subject"]))
    def publish(self, who: str) -> None:
        after = self.run(
            "publish", self.v, lambda v: v.publish(actor=self.person(who), at=self.now), self.state_or({V.DECIDED}, who)
        )
        if after is not None:
            self.v, self.status = after, V.PUBLISHED

    @rule(who=st.sampled_from(["officer", "subject"]))
    def finalize(self, who: str) -> None:
        expected = self.state_or({V.PUBLISHED}, who)
        if expected is None:
            waiting = [a for a in self.addressees() if a not in self.appellants]
            open_appeal = self.appeal_status in {A.FILED, A.UNDER_REVIEW}
            if open_appeal or (waiting and self.now <= self.decisions[-1].appeal_deadline):
                expected = BusinessRuleError
        after = self.run("finalize", self.v, lambda v: v.finalize(actor=self.person(who), at=self.now), expected)
        if after is not None:
            self.v, self.status = after, V.FINAL

    # --- appeals ------------------------------------------------------------------------------------

    @rule(who=st.sampled_from(["subject", "subject", "colleague", "officer"]))
    def file_appeal(self, who: str) -> None:
        """Appeal.file and Violation.register_appeal, as the desk runs them in one transaction."""
        person = self.person(who)
        if self.status not in {V.DECIDED, V.PUBLISHED}:
            expected: Outcome = InvalidTransitionError
        elif person.id not in self.addressees():
            expected = PermissionDeniedError
        elif (
            self.now > self.decisions[-1].appeal_deadline
            or person.id in self.appellants
            or self.appeal_status in {A.FILED, A.UNDER_REVIEW}
        ):
            expected = BusinessRuleError
        else:
            expected = None
        appeal_id = f"apl-{next(self.numbers)}"
        appeal = self._file(appeal_id, person, expected)
        if appeal is None:
            return
        registered = self.run(
            "register_appeal",
            self.v,
            lambda v: v.register_appeal(appellant=person, at=self.now, appeal_id=appeal_id),
            None,
        )
        self.v = registered
        self.appeal, self.appeal_status, self.appeal_outcome = appeal, A.FILED, None
        self.appellants.append(person.id)
        self.contested[appeal_id] = self.decisions[-1]
        assert registered.open_appeal_id == appeal_id

    def _file(self, appeal_id: str, person: Any, expected: Outcome) -> Appeal | None:
        snapshot = copy.deepcopy(self.v)
        errors: list[type[ServiceCoreError]] = []
        appeal: Appeal | None = None
        try:
            appeal = Appeal.file(id=appeal_id, violation=self.v, appellant=person, at=self.now, grounds="g")
        except ServiceCoreError as exc:
            errors.append(type(exc))
        if appeal is not None:
            assert expected is None, f"file_appeal succeeded; expected {expected.__name__}"
            return appeal
        assert expected is not None, f"file_appeal refused: {errors}"
        assert issubclass(errors[0], expected), f"file_appeal: expected {expected.__name__}, got {errors}"
        assert self.v == snapshot
        try:  # register_appeal applies the same rules
            self.v.register_appeal(appellant=person, at=self.now, appeal_id=appeal_id)
        except ServiceCoreError as exc:
            errors.append(type(exc))
        assert errors[1:] == errors[:1], "register_appeal must refuse what Appeal.file refused, the same way"
        return None

    @rule(who=st.sampled_from(["supervisor", "subject"]), panel=st.sampled_from(sorted(PANELS)))
    def start_review(self, who: str, panel: str) -> None:
        if self.appeal is None:
            return
        appeal = self.appeal
        appellant = Actor(appeal.appellant.id, appeal.appellant.name)

        def member(key: int | str) -> Actor:
            if isinstance(key, int):
                return self.d.panel[key]
            return appellant if key == "appellant" else self.person(key)

        members = [member(key) for key in PANELS[panel]]
        actor = self.person(who)
        excluded = self.investigators | {d.decided_by.id for d in self.decisions} | {appellant.id}
        if self.appeal_status is not A.FILED:
            expected: Outcome = InvalidTransitionError
        elif actor.id == appellant.id or any(m.id in excluded for m in members):
            expected = SeparationOfDutiesError
        else:
            expected = None
        after = self.run(
            "start_review", appeal, lambda a: a.start_review(actor=actor, at=self.now, panel=members), expected
        )
        if after is not None:
            self.appeal, self.appeal_status = after, A.UNDER_REVIEW

    @rule(who=st.sampled_from(["panel0", "panel0", "panel0", "officer"]), upheld=st.booleans(), revoke=st.booleans())
    def decide_appeal(self, who: str, upheld: bool, revoke: bool) -> None:
        """The panel decides; the desk hands the outcome to the violation in the same transaction."""
        if self.appeal is None:
            return
        appeal = self.appeal
        actor = self.d.panel[0] if who == "panel0" else self.person(who)
        revised = [] if revoke else [Sanction(person=appeal.appellant, kind="warning")]
        if self.appeal_status is not A.UNDER_REVIEW:
            expected: Outcome = InvalidTransitionError
        elif actor.id not in {m.id for m in appeal.panel}:
            expected = PermissionDeniedError
        else:
            expected = None
        decided = self.run(
            "uphold" if upheld else "reject",
            appeal,
            (lambda a: a.uphold(actor=actor, at=self.now, reasons="r", sanctions=revised))
            if upheld
            else (lambda a: a.reject(actor=actor, at=self.now, reasons="r")),
            expected,
        )
        if decided is None:
            return
        concluded = self.run(
            "conclude_appeal",
            self.v,
            lambda v: v.conclude_appeal(actor=actor, at=self.now, conclusion=decided.conclusion),
            None,
        )
        self.appeal, self.v = decided, concluded
        self.appeal_status = A.UPHELD if upheld else A.REJECTED
        self.appeal_outcome = upheld
        if upheld:
            self.decisions.append(concluded.decisions[-1])
            self.status = V.DECIDED

    @rule()
    def close_appeal(self) -> None:
        if self.appeal is None:
            return
        expected = None if self.appeal_status in {A.UPHELD, A.REJECTED} else InvalidTransitionError
        after = self.run(
            "close", self.appeal, lambda a: a.close(actor=self.d.panel[0], at=self.now, notification="told"), expected
        )
        if after is not None:
            self.appeal, self.appeal_status = after, A.CLOSED

    # --- nothing after the end ---------------------------------------------------------------------

    @precondition(lambda self: self.status in {V.FINAL, V.DISMISSED})
    @rule(data=st.data())
    def nothing_moves_a_closed_case(self, data: st.DataObject) -> None:
        d = self.d
        commands: dict[str, Callable[[Violation], Any]] = {
            **{name: (lambda v, c=c: c(v, self.now)) for name, c in d.violation_commands().items()},
            "register_appeal": lambda v: v.register_appeal(appellant=d.subject, at=self.now, appeal_id="apl-x"),
            "file_appeal": lambda v: Appeal.file(
                id="apl-x", violation=v, appellant=d.subject, at=self.now, grounds="g"
            ),
        }
        name = data.draw(st.sampled_from(sorted(commands)))
        self.run(name, self.v, commands[name], InvalidTransitionError)

    # --- invariants ------------------------------------------------------------------------------------

    @invariant()
    def matches_the_model(self) -> None:
        v = self.v
        assert v.status is self.status
        assert {i.id for i in v.investigators} == self.investigators
        assert len(v.evidence) == self.evidence
        assert [e.number for e in v.evidence] == list(range(1, self.evidence + 1))
        open_ids = [a.appeal_id for a in v.appeals if a.is_open]
        assert len(open_ids) <= 1
        assert (v.open_appeal_id is not None) is (self.appeal_status in {A.FILED, A.UNDER_REVIEW})

    @invariant()
    def a_decision_is_never_lost(self) -> None:
        assert list(self.v.decisions) == self.decisions, "decisions only ever get appended"
        assert [d.number for d in self.v.decisions] == list(range(1, len(self.decisions) + 1))
        if self.decisions:
            assert self.v.decision is self.v.decisions[-1]

    @invariant()
    def an_upheld_appeal_leaves_the_original_in_history(self) -> None:
        for record in self.v.appeals:
            if record.upheld:
                contested = self.contested[record.appeal_id]
                assert self.v.decisions[contested.number - 1] == contested
                corrections = [d for d in self.v.decisions if d.appeal_id == record.appeal_id]
                assert len(corrections) == 1
                assert corrections[0].corrects == contested.number
                assert corrections[0].number > contested.number
            elif record.upheld is False:
                assert not [d for d in self.v.decisions if d.appeal_id == record.appeal_id]

    @invariant()
    def history_only_grows_and_closed_cases_stay_closed(self) -> None:
        history = self.v.history
        assert history[: len(self.seen_history)] == self.seen_history
        self.seen_history = history
        times = [entry.at for entry in history]
        assert times == sorted(times)
        if self.final_snapshot is not None:
            assert self.v == self.final_snapshot
        elif self.v.is_terminal:
            self.final_snapshot = copy.deepcopy(self.v)


def test_violation_and_appeal_state_machine(discipline: Any) -> None:
    run_state_machine_as_test(lambda: ViolationAppealMachine(discipline), settings=SETTINGS)
