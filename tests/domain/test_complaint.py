"""Complaint: intake, every legal and illegal transition, remedies, reopening, the silence period,
withdrawal, and that nobody whose work the complaint is about handles it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicecore.domain import (
    Actor,
    BusinessRuleError,
    Complaint,
    ComplaintCategory,
    ComplaintClosureKind,
    ComplaintOutcome,
    ComplaintResolution,
    ComplaintSeverity,
    ComplaintStatus,
    ComplaintSubject,
    EvidenceKind,
    EvidenceRef,
    Money,
    PermissionDeniedError,
    Remedy,
    RemedyKind,
    SeparationOfDutiesError,
    ValidationError,
)
from servicecore.domain import events as ev

S = ComplaintStatus
ALLOWED_FROM: dict[str, set[ComplaintStatus]] = {
    "acknowledge": {S.RECEIVED},
    "start_investigation": {S.ACKNOWLEDGED},
    "link_violation": {S.INVESTIGATING},
    "add_evidence": {S.INVESTIGATING},
    "resolve": {S.INVESTIGATING},
    "confirm_resolution": {S.RESOLVED},
    "close_after_silence": {S.RESOLVED},
    "reopen": {S.RESOLVED},
    "withdraw": {S.RECEIVED, S.ACKNOWLEDGED, S.INVESTIGATING, S.RESOLVED},
}
TARGET: dict[str, tuple[ComplaintStatus | None, type[ev.DomainEvent] | None]] = {
    "acknowledge": (S.ACKNOWLEDGED, ev.ComplaintAcknowledged),
    "start_investigation": (S.INVESTIGATING, ev.ComplaintInvestigationStarted),
    "link_violation": (None, None),
    "add_evidence": (None, ev.ComplaintEvidenceAdded),
    "resolve": (S.RESOLVED, ev.ComplaintResolved),
    "confirm_resolution": (S.CLOSED, ev.ComplaintClosed),
    "close_after_silence": (S.CLOSED, ev.ComplaintClosed),
    "reopen": (S.INVESTIGATING, ev.ComplaintReopened),
    "withdraw": (S.WITHDRAWN, ev.ComplaintWithdrawn),
}
ACTOR = {
    "acknowledge": "agent",
    "start_investigation": "supervisor",
    "link_violation": "investigator",
    "add_evidence": "investigator",
    "resolve": "investigator",
    "confirm_resolution": "contact",
    "close_after_silence": "agent",
    "reopen": "contact",
    "withdraw": "contact",
}
LEGAL = [(state, name) for name, states in ALLOWED_FROM.items() for state in sorted(states)]
ILLEGAL = [(state, name) for name, states in ALLOWED_FROM.items() for state in S if state not in states]


# --- intake ----------------------------------------------------------------------


def test_receive_records_the_complaint_in_detail(discipline: Any, t0: datetime) -> None:
    complaint = discipline.new_complaint()
    assert complaint.status is S.RECEIVED
    assert complaint.complainant == discipline.complainant
    assert complaint.subject.work_order_id == "wo-1"
    assert complaint.category == "quality"
    assert complaint.severity is ComplaintSeverity.MAJOR
    assert complaint.received_at == t0
    assert complaint.conflicted_staff_ids == {"u-eng", "u-eng2"}
    assert not complaint.is_category_custom
    (entry,) = complaint.history
    assert (entry.action, entry.from_state, entry.to_state, entry.actor) == (
        "receive",
        "",
        "received",
        discipline.agent.ref,
    )
    (event,) = complaint.events
    assert isinstance(event, ev.ComplaintReceived)
    assert (event.customer_id, event.category, event.severity, event.channel) == (
        "cust-9",
        "quality",
        "major",
        "hotline",
    )
    assert event.aggregate_type == "Complaint"


@pytest.mark.parametrize(
    ("category", "stored", "custom"),
    [
        (ComplaintCategory.PRIVACY, "privacy", False),
        ("billing", "billing", False),
        ("  noise at night ", "noise at night", True),
        ("服务不及时", "服务不及时", True),
    ],
)
def test_categories_are_built_in_or_custom_text(discipline: Any, category: Any, stored: str, custom: bool) -> None:
    complaint = discipline.new_complaint(category=category)
    assert complaint.category == stored
    assert complaint.is_category_custom is custom
    if custom:
        assert type(complaint.category) is str
    else:
        assert complaint.category is ComplaintCategory(stored), "a known category is the enum member, as severity is"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"category": "   "}, "category"),
        ({"category": None}, "category"),
        ({"severity": "catastrophic"}, "severity"),
        ({"channel": "pigeon"}, "channel"),
        ({"description": ""}, "description"),
        ({"at": datetime(2024, 5, 6, 9, 0)}, "at"),
        ({"work_staff_ids": "u-eng"}, "work_staff_ids"),
        ({"work_staff_ids": ["u-eng", "u-eng"]}, "work_staff_ids"),
    ],
)
def test_bad_intake_is_refused_naming_the_field(discipline: Any, override: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        discipline.new_complaint(**override)
    assert info.value.field == field


def test_a_subject_names_at_least_one_thing() -> None:
    with pytest.raises(ValidationError) as info:
        ComplaintSubject()
    assert info.value.field == "subject"
    assert ComplaintSubject(staff_ids=["u-1"]).staff_ids == ("u-1",)
    assert ComplaintSubject(request_id="req-1").request_id == "req-1"
    with pytest.raises(ValidationError, match="request_id"):
        ComplaintSubject(request_id=" ")
    with pytest.raises(ValidationError, match=r"staff_ids\[1\]"):
        ComplaintSubject(staff_ids=["u-1", ""])
    with pytest.raises(ValidationError, match="repeat"):
        ComplaintSubject(staff_ids=["u-1", "u-1"])


# --- remedies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "refund"}, "amount"),
        ({"kind": "compensation", "amount": Money("0", "CNY")}, "amount"),
        ({"kind": "compensation", "amount": "200"}, "amount"),
        ({"kind": "apology", "amount": Money("1", "CNY")}, "amount"),
        ({"kind": "redo"}, "work_order_id"),
        ({"kind": "refund", "amount": Money("1", "CNY"), "work_order_id": "wo-2"}, "work_order_id"),
        ({"kind": "bribe"}, "kind"),
    ],
)
def test_remedies_carry_exactly_what_their_kind_needs(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Remedy(**values)
    assert info.value.field == field


def test_valid_remedies() -> None:
    assert Remedy(kind="redo", work_order_id="wo-2").kind is RemedyKind.REDO
    assert Remedy(kind=RemedyKind.REFUND, amount=Money("12.50", "CNY")).amount == Money("12.50", "CNY")


# --- transitions ---------------------------------------------------------------------


@pytest.mark.parametrize(("state", "name"), LEGAL, ids=[f"{s.value}-{n}" for s, n in LEGAL])
def test_every_legal_transition(discipline: Any, domain: Any, state: ComplaintStatus, name: str) -> None:
    before = discipline.complaint(state)
    at = domain.after(before)
    after = discipline.complaint_commands()[name](before, at)
    target, event = TARGET[name]
    actor = getattr(discipline, ACTOR[name])
    at = after.history[-1].at  # close_after_silence waits for the silence period
    domain.transitioned(before, after, action=name, actor=actor, at=at, to=target or state, event=event)


@pytest.mark.parametrize(("state", "name"), ILLEGAL, ids=[f"{s.value}-{n}" for s, n in ILLEGAL])
def test_every_illegal_transition_is_refused(discipline: Any, domain: Any, state: ComplaintStatus, name: str) -> None:
    complaint = discipline.complaint(state)
    err = domain.invalid_transition(complaint, name, discipline.complaint_commands()[name])
    assert set(err.allowed_from) == {s.value for s in ALLOWED_FROM[name]}


@pytest.mark.parametrize("name", sorted(ALLOWED_FROM))
def test_a_command_dated_before_the_last_step_is_refused(discipline: Any, domain: Any, name: str) -> None:
    complaint = discipline.complaint(sorted(ALLOWED_FROM[name])[0])
    commands = discipline.complaint_commands()
    commands["close_after_silence"] = lambda c, at: c.close_after_silence(
        actor=discipline.agent, at=at, silence=timedelta(seconds=1)
    )
    err = domain.refused(complaint, ValidationError, commands[name], at=domain.before(complaint))
    assert err.field == "at"


def test_acknowledgement_and_investigator_are_recorded(discipline: Any) -> None:
    complaint = discipline.complaint(S.INVESTIGATING)
    assert complaint.acknowledgement is not None
    assert complaint.acknowledgement.message == "We are on it"
    assert complaint.acknowledgement.by == discipline.agent.ref
    assert complaint.investigator == discipline.investigator.ref
    event = complaint.events[-1]
    assert isinstance(event, ev.ComplaintInvestigationStarted)
    assert event.investigator_id == discipline.investigator.id


def test_the_investigator_defaults_to_whoever_starts(discipline: Any, domain: Any) -> None:
    complaint = discipline.complaint(S.ACKNOWLEDGED)
    started = complaint.start_investigation(actor=discipline.investigator, at=domain.after(complaint))
    assert started.investigator == discipline.investigator.ref


def test_resolution_keeps_summary_remedies_and_reply(discipline: Any) -> None:
    complaint = discipline.complaint(S.RESOLVED)
    resolution = complaint.resolution
    assert resolution is not None
    assert resolution.summary == "Dosage too low"
    assert [r.kind for r in resolution.remedies] == [RemedyKind.APOLOGY, RemedyKind.COMPENSATION]
    assert resolution.remedies[1].amount == Money("200.00", "CNY")
    assert resolution.reply.startswith("We are sorry")
    assert resolution.resolved_by == discipline.investigator.ref
    assert resolution.replied_at == complaint.history[-1].at
    event = complaint.events[-1]
    assert isinstance(event, ev.ComplaintResolved)
    assert event.remedies == ("apology", "compensation")


def test_an_unfounded_complaint_is_resolved_with_a_reply_and_no_remedy(discipline: Any, domain: Any) -> None:
    complaint = discipline.complaint(S.INVESTIGATING)
    resolved = complaint.resolve(
        actor=discipline.investigator, at=domain.after(complaint), summary="Work was to standard", reply="Explained"
    )
    assert resolved.resolution is not None
    assert resolved.resolution.remedies == ()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"summary": " ", "reply": "r"}, "summary"),
        ({"summary": "s", "reply": ""}, "reply"),
        ({"summary": "s", "reply": "r", "remedies": Remedy(kind="apology")}, "remedies"),
        ({"summary": "s", "reply": "r", "remedies": ["apology"]}, "remedies[0]"),
    ],
)
def test_resolve_refuses_bad_input(discipline: Any, domain: Any, kwargs: dict[str, Any], field: str) -> None:
    complaint = discipline.complaint(S.INVESTIGATING)
    err = domain.refused(
        complaint, ValidationError, lambda c, at: c.resolve(actor=discipline.investigator, at=at, **kwargs)
    )
    assert err.field == field


def test_reopening_keeps_count_and_earlier_resolutions(discipline: Any, domain: Any) -> None:
    cmd = discipline.complaint_commands()
    complaint = discipline.complaint(S.INVESTIGATING, reopened=True)
    assert complaint.reopen_count == 1
    assert complaint.resolution is None, "a reopened complaint has no resolution in force"
    assert len(complaint.resolutions) == 1
    event = complaint.events[-1]
    assert isinstance(event, ev.ComplaintReopened)
    assert (event.reopen_count, event.investigator_id) == (1, discipline.investigator.id)
    twice = domain._run(complaint, cmd["resolve"], cmd["reopen"], cmd["resolve"])
    assert twice.reopen_count == 2
    assert len(twice.resolutions) == 3
    assert twice.resolution is twice.resolutions[-1]
    closed = domain._run(twice, cmd["confirm_resolution"])
    assert closed.resolution is twice.resolutions[-1]
    assert closed.reopen_count == 2


def test_reopen_needs_a_reason(discipline: Any, domain: Any) -> None:
    complaint = discipline.complaint(S.RESOLVED)
    err = domain.refused(complaint, ValidationError, lambda c, at: c.reopen(actor=discipline.contact, at=at, reason=""))
    assert err.field == "reason"


def test_confirmation_closes(discipline: Any) -> None:
    closed = discipline.complaint(S.CLOSED)
    assert closed.is_terminal
    assert closed.closure is not None
    assert closed.closure.how is ComplaintClosureKind.CONFIRMED
    assert closed.closure.by == discipline.contact.ref
    event = closed.events[-1]
    assert isinstance(event, ev.ComplaintClosed)
    assert (event.how, event.customer_id) == ("confirmed", "cust-9")


def test_withdrawal_records_the_reason(discipline: Any) -> None:
    withdrawn = discipline.complaint(S.WITHDRAWN)
    assert withdrawn.withdrawal_reason == "Never mind"
    assert withdrawn.is_terminal


def test_link_violation_records_each_violation_once(discipline: Any, domain: Any) -> None:
    complaint = discipline.complaint(S.INVESTIGATING)
    link = discipline.complaint_commands()["link_violation"]
    linked = domain._run(complaint, link)
    assert linked.violation_ids == ("vio-1",)
    assert linked.events == complaint.events, "linking is bookkeeping, not news"
    domain.refused(linked, BusinessRuleError, link)
    err = domain.refused(
        complaint,
        ValidationError,
        lambda c, at: c.link_violation(actor=discipline.investigator, at=at, violation_id=" "),
    )
    assert err.field == "violation_id"
    two = linked.link_violation(actor=discipline.investigator, at=domain.after(linked), violation_id="vio-2")
    assert two.violation_ids == ("vio-1", "vio-2")


# --- the silence period ---------------------------------------------------------------


def test_silence_closing_is_refused_before_the_period_and_names_when_it_ends(discipline: Any) -> None:
    complaint = discipline.complaint(S.RESOLVED)
    replied = complaint.resolution.replied_at
    ends = replied + discipline.silence
    with pytest.raises(BusinessRuleError) as info:
        complaint.close_after_silence(
            actor=discipline.agent, at=ends - timedelta(seconds=1), silence=discipline.silence
        )
    assert ends.isoformat() in str(info.value)
    closed = complaint.close_after_silence(actor=discipline.agent, at=ends, silence=discipline.silence)
    assert closed.status is S.CLOSED
    assert closed.closure.how is ComplaintClosureKind.SILENCE
    assert closed.events[-1].how == "silence"


@pytest.mark.parametrize("silence", [timedelta(0), timedelta(days=-1), 7, "P7D", None])
def test_the_silence_period_must_be_a_positive_timedelta(discipline: Any, domain: Any, silence: Any) -> None:
    complaint = discipline.complaint(S.RESOLVED)
    err = domain.refused(
        complaint,
        ValidationError,
        lambda c, at: c.close_after_silence(actor=discipline.agent, at=at + timedelta(days=30), silence=silence),
    )
    assert err.field == "silence"


def test_silence_ends_at_only_while_a_reply_awaits_an_answer(discipline: Any) -> None:
    with pytest.raises(BusinessRuleError, match="investigating"):
        discipline.complaint(S.INVESTIGATING, reopened=True).silence_ends_at(timedelta(days=1))


@settings(max_examples=100, deadline=None)
@given(
    silence=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=60)),
    offset=st.timedeltas(min_value=-timedelta(days=61), max_value=timedelta(days=61)),
    tz=st.integers(min_value=-12 * 4, max_value=14 * 4).map(lambda q: timezone(timedelta(minutes=15 * q))),
)
def test_silence_closing_is_allowed_exactly_from_reply_plus_silence(
    discipline: Any, silence: timedelta, offset: timedelta, tz: timezone
) -> None:
    complaint = discipline.complaint(S.RESOLVED)
    replied = complaint.resolution.replied_at
    at = max(replied, replied + silence + offset).astimezone(tz)  # any offset, never before the reply
    allowed = at >= replied + silence
    try:
        closed = complaint.close_after_silence(actor=discipline.agent, at=at, silence=silence)
    except BusinessRuleError:
        assert not allowed
    else:
        assert allowed
        assert closed.closure.at == at


# --- separation of duties ---------------------------------------------------------------

CONFLICTED = ["subject", "colleague"]


@pytest.mark.parametrize("who", CONFLICTED)
@pytest.mark.parametrize(("state", "name"), LEGAL, ids=[f"{s.value}-{n}" for s, n in LEGAL])
def test_nobody_the_complaint_is_about_acts_on_it(
    discipline: Any, domain: Any, who: str, state: ComplaintStatus, name: str
) -> None:
    complaint = discipline.complaint(state)
    person: Actor = getattr(discipline, who)
    as_person = {**{k: person for k in ACTOR}}
    commands = _commands_as(discipline, as_person)
    err = domain.refused(complaint, SeparationOfDutiesError, commands[name])
    assert err.actor_id == person.id
    assert err.command == f"{name} complaint {complaint.id}"
    assert "own work" in err.rule
    assert person.id in str(err)


def test_a_conflicted_investigator_is_refused_even_when_someone_else_starts(discipline: Any, domain: Any) -> None:
    complaint = discipline.complaint(S.ACKNOWLEDGED)
    err = domain.refused(
        complaint,
        SeparationOfDutiesError,
        lambda c, at: c.start_investigation(actor=discipline.supervisor, at=at, investigator=discipline.subject),
    )
    assert err.actor_id == discipline.subject.id
    assert "investigate" in err.rule


def test_staff_not_named_in_the_complaint_may_act(discipline: Any, domain: Any) -> None:
    complaint = discipline.new_complaint(subject=ComplaintSubject(staff_ids=["u-other"]), work_staff_ids=[])
    acknowledged = complaint.acknowledge(actor=discipline.subject, at=domain.after(complaint), message="Got it")
    assert acknowledged.status is S.ACKNOWLEDGED


def test_the_person_complained_about_may_still_record_the_intake(discipline: Any) -> None:
    complaint = discipline.new_complaint(actor=discipline.subject)
    assert complaint.history[0].actor == discipline.subject.ref


def _commands_as(discipline: Any, actors: dict[str, Actor]) -> dict[str, Any]:
    silence = discipline.silence
    return {
        "acknowledge": lambda c, at: c.acknowledge(actor=actors["acknowledge"], at=at, message="m"),
        "start_investigation": lambda c, at: c.start_investigation(actor=actors["start_investigation"], at=at),
        "link_violation": lambda c, at: c.link_violation(actor=actors["link_violation"], at=at, violation_id="v"),
        "add_evidence": lambda c, at: c.add_evidence(
            actor=actors["add_evidence"], at=at, kind="statement", description="d"
        ),
        "resolve": lambda c, at: c.resolve(actor=actors["resolve"], at=at, summary="s", reply="r"),
        "confirm_resolution": lambda c, at: c.confirm_resolution(actor=actors["confirm_resolution"], at=at),
        "close_after_silence": lambda c, at: c.close_after_silence(
            actor=actors["close_after_silence"], at=discipline.after_silence(c, at), silence=silence
        ),
        "reopen": lambda c, at: c.reopen(actor=actors["reopen"], at=at, reason="r"),
        "withdraw": lambda c, at: c.withdraw(actor=actors["withdraw"], at=at, reason="r"),
    }


def test_a_refused_command_leaves_the_complaint_untouched(discipline: Any, domain: Any) -> None:
    complaint = discipline.complaint(S.RESOLVED)
    domain.refused(
        complaint,
        BusinessRuleError,
        lambda c, at: c.close_after_silence(actor=discipline.agent, at=at, silence=timedelta(days=365)),
    )
    assert isinstance(complaint, Complaint)


# --- a disputed charge: the amount, the evidence, the charge maintained ---------------------------------

CHARGE = Money("50.00", "CNY").times(3)
"""Three towels at 50 CNY each, charged to the guest as damage."""


def test_the_disputed_amount_is_kept_as_money_from_intake(discipline: Any) -> None:
    complaint = discipline.new_complaint(category="billing", disputed_amount=CHARGE)
    assert complaint.disputed_amount == Money("150.00", "CNY")
    assert complaint.disputed_amount.amount == Decimal("150.00")
    assert complaint.category is ComplaintCategory.BILLING
    assert complaint.history[0].note.endswith("disputes 150.00 CNY")
    assert discipline.new_complaint().disputed_amount is None, "a complaint need not be about money"


@pytest.mark.parametrize("amount", [Money("0", "CNY"), Money("-150", "CNY"), "150.00", Decimal("150"), 150.0])
def test_a_disputed_amount_is_positive_money(discipline: Any, amount: Any) -> None:
    with pytest.raises(ValidationError) as info:
        discipline.new_complaint(disputed_amount=amount)
    assert info.value.field == "disputed_amount"


def test_the_investigator_records_numbered_evidence_with_who_and_when(discipline: Any, domain: Any) -> None:
    complaint = discipline.complaint(S.INVESTIGATING)
    at = domain.after(complaint)
    photo = EvidenceRef("dms://rooms/1208/towels.jpg", "three stained towels")
    first = complaint.add_evidence(
        actor=discipline.investigator, at=at, kind=EvidenceKind.PHOTO, description="Towels as found", reference=photo
    )
    second = first.add_evidence(
        actor=discipline.investigator, at=domain.after(first), kind="statement", description="Housekeeper's statement"
    )
    one, two = second.evidence
    assert (one.number, one.kind, one.reference, one.collected_by, one.collected_at) == (
        1,
        EvidenceKind.PHOTO,
        photo,
        discipline.investigator.ref,
        at,
    )
    assert (two.number, two.kind, two.description) == (2, EvidenceKind.STATEMENT, "Housekeeper's statement")
    assert second.history[-1].note == "#2 statement: Housekeeper's statement"
    event = second.events[-1]
    assert isinstance(event, ev.ComplaintEvidenceAdded)
    assert (event.evidence_number, event.evidence_kind, event.aggregate_type) == (2, "statement", "Complaint")


def test_evidence_is_the_same_concept_as_on_a_violation() -> None:
    from servicecore.domain import evidence, violation

    assert violation.EvidenceItem is evidence.EvidenceItem
    assert violation.EvidenceKind is evidence.EvidenceKind


def test_only_the_investigator_records_evidence(discipline: Any, domain: Any) -> None:
    complaint = discipline.complaint(S.INVESTIGATING)
    err = domain.refused(
        complaint,
        PermissionDeniedError,
        lambda c, at: c.add_evidence(actor=discipline.investigator2, at=at, kind="photo", description="d"),
    )
    assert err.actor_id == discipline.investigator2.id
    assert discipline.investigator.id in err.rule


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "rumour", "description": "d"}, "kind"),
        ({"kind": "photo", "description": "  "}, "description"),
        ({"kind": "photo", "description": "d", "reference": "dms://x"}, "reference"),
    ],
)
def test_bad_evidence_is_refused_naming_the_field(
    discipline: Any, domain: Any, kwargs: dict[str, Any], field: str
) -> None:
    complaint = discipline.complaint(S.INVESTIGATING)
    err = domain.refused(
        complaint, ValidationError, lambda c, at: c.add_evidence(actor=discipline.investigator, at=at, **kwargs)
    )
    assert err.field == field


def test_a_resolution_can_maintain_the_charge(discipline: Any, domain: Any) -> None:
    complaint = domain._run(
        discipline.new_complaint(category="billing", disputed_amount=CHARGE),
        *[discipline.complaint_commands()[name] for name in ("acknowledge", "start_investigation", "add_evidence")],
    )
    resolved = complaint.resolve(
        actor=discipline.investigator,
        at=domain.after(complaint),
        summary="The towels were stained with hair dye and cannot be cleaned",
        reply="The charge follows the posted price list; the photos are attached",
        outcome="charge_maintained",
    )
    assert resolved.status is S.RESOLVED
    assert resolved.outcome is ComplaintOutcome.CHARGE_MAINTAINED
    assert resolved.resolution is not None
    assert resolved.resolution.maintains_charge
    assert resolved.resolution.remedies == ()
    assert resolved.history[-1].note.endswith("the charge is maintained (150.00 CNY)")
    event = resolved.events[-1]
    assert isinstance(event, ev.ComplaintResolved)
    assert (event.outcome, event.remedies) == ("charge_maintained", ())
    closed = resolved.confirm_resolution(actor=discipline.contact, at=domain.after(resolved))
    assert closed.outcome is ComplaintOutcome.CHARGE_MAINTAINED
    assert closed.disputed_amount == Money("150.00", "CNY")


@pytest.mark.parametrize(
    ("remedies", "outcome"),
    [((), ComplaintOutcome.NOT_UPHELD), ((Remedy(kind="apology"),), ComplaintOutcome.REMEDIED)],
)
def test_the_outcome_defaults_from_the_remedies(
    discipline: Any, domain: Any, remedies: tuple[Remedy, ...], outcome: ComplaintOutcome
) -> None:
    complaint = discipline.complaint(S.INVESTIGATING)
    resolved = complaint.resolve(
        actor=discipline.investigator, at=domain.after(complaint), summary="s", reply="r", remedies=remedies
    )
    assert resolved.outcome is outcome
    assert resolved.events[-1].outcome == outcome.value


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "charge_maintained", "remedies": [Remedy(kind="apology")]}, "remedies"),
        ({"outcome": "not_upheld", "remedies": [Remedy(kind="apology")]}, "remedies"),
        ({"outcome": "remedied"}, "remedies"),
        ({"outcome": "waived"}, "outcome"),
    ],
)
def test_outcome_and_remedies_must_agree(discipline: Any, domain: Any, kwargs: dict[str, Any], field: str) -> None:
    complaint = discipline.complaint(S.INVESTIGATING)
    err = domain.refused(
        complaint,
        ValidationError,
        lambda c, at: c.resolve(actor=discipline.investigator, at=at, summary="s", reply="r", **kwargs),
    )
    assert err.field == field


def test_a_reopened_complaint_may_end_with_another_outcome(discipline: Any, domain: Any) -> None:
    complaint = discipline.complaint(S.INVESTIGATING, reopened=True)
    assert complaint.outcome is None, "no resolution is in force while investigating again"
    resolved = complaint.resolve(
        actor=discipline.investigator, at=domain.after(complaint), summary="s", reply="r", outcome="charge_maintained"
    )
    assert [r.outcome for r in resolved.resolutions] == [ComplaintOutcome.REMEDIED, ComplaintOutcome.CHARGE_MAINTAINED]


def test_a_resolution_stored_before_outcomes_existed_implies_its_outcome(discipline: Any) -> None:
    at = discipline.complaint(S.RESOLVED).resolution.resolved_at
    by = discipline.investigator.ref
    with_remedy = ComplaintResolution(
        summary="s", reply="r", remedies=[Remedy(kind="apology")], resolved_by=by, resolved_at=at
    )
    without = ComplaintResolution(summary="s", reply="r", resolved_by=by, resolved_at=at)
    assert (with_remedy.outcome, without.outcome) == (ComplaintOutcome.REMEDIED, ComplaintOutcome.NOT_UPHELD)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kind": "apology", "amount": Money("1", "CNY")}, "an apology remedy carries no amount"),
        ({"kind": "apology", "work_order_id": "wo-2"}, "only a redo names a work order, not an apology"),
        ({"kind": "refund", "amount": Money("1", "CNY"), "work_order_id": "wo-2"}, "not a refund"),
    ],
)
def test_remedy_messages_use_the_right_article(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Remedy(**values)
