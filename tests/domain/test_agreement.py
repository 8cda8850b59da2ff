"""ServiceAgreement: drafting, independent review, the customer's answer, revisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from servicecore.domain import (
    AcceptanceCriterion,
    AgreementStatus,
    AgreementTerms,
    BusinessRuleError,
    InspectionMethod,
    InvalidTransitionError,
    Money,
    PermissionDeniedError,
    RevisionStatus,
    Schedule,
    SeparationOfDutiesError,
    ServiceAgreement,
    ServiceItem,
    ValidationError,
)
from servicecore.domain import events as ev
from servicecore.domain.agreement import criteria_of

S = AgreementStatus
R = RevisionStatus

COMMANDS: dict[str, Callable[[ServiceAgreement, Any, Any, datetime], ServiceAgreement]] = {
    # (agreement, domain, actor, at)
    "revise": lambda a, d, actor, at: a.revise(
        actor=actor, at=at, terms=d.terms(notes="Gate A instead"), note="new gate"
    ),
    "submit_for_review": lambda a, d, actor, at: a.submit_for_review(actor=actor, at=at, note="please review"),
    "approve": lambda a, d, actor, at: a.approve(reviewer=actor, at=at, comments="Looks right"),
    "return_for_changes": lambda a, d, actor, at: a.return_for_changes(reviewer=actor, at=at, comments="Fix price"),
    "offer": lambda a, d, actor, at: a.offer(actor=actor, at=at, note="sent by email"),
    "confirm": lambda a, d, actor, at: a.confirm(actor=actor, at=at, note="Agreed, thanks"),
    "decline": lambda a, d, actor, at: a.decline(actor=actor, at=at, reason="Too expensive"),
    "request_change": lambda a, d, actor, at: a.request_change(actor=actor, at=at, comments="Start a week later"),
    "activate": lambda a, d, actor, at: a.activate(actor=actor, at=at),
    "fulfil": lambda a, d, actor, at: a.fulfil(actor=actor, at=at),
    "terminate": lambda a, d, actor, at: a.terminate(actor=actor, at=at, reason="Customer sold the site"),
}
# who normally issues each command (attribute of the ``domain`` factory)
ISSUER = {
    "revise": "author",
    "submit_for_review": "author",
    "approve": "reviewer",
    "return_for_changes": "reviewer",
    "confirm": "customer_contact",
    "decline": "customer_contact",
    "request_change": "customer_contact",
}

TERMINAL = {S.DECLINED, S.FULFILLED, S.TERMINATED}
ALLOWED_FROM: dict[str, set[AgreementStatus]] = {
    "revise": {S.DRAFT, S.RETURNED},
    "submit_for_review": {S.DRAFT, S.RETURNED},
    "approve": {S.IN_REVIEW},
    "return_for_changes": {S.IN_REVIEW},
    "offer": {S.APPROVED},
    "confirm": {S.OFFERED},
    "decline": {S.OFFERED},
    "request_change": {S.OFFERED},
    "activate": {S.CONFIRMED},
    "fulfil": {S.ACTIVE},
    "terminate": set(S) - TERMINAL,
}
TARGET: dict[str, tuple[AgreementStatus, type[ev.DomainEvent]]] = {
    "revise": (S.DRAFT, ev.AgreementRevised),
    "submit_for_review": (S.IN_REVIEW, ev.AgreementSubmittedForReview),
    "approve": (S.APPROVED, ev.AgreementApproved),
    "return_for_changes": (S.RETURNED, ev.AgreementReturned),
    "offer": (S.OFFERED, ev.AgreementOffered),
    "confirm": (S.CONFIRMED, ev.AgreementConfirmed),
    "decline": (S.DECLINED, ev.AgreementDeclined),
    "request_change": (S.DRAFT, ev.AgreementChangeRequested),
    "activate": (S.ACTIVE, ev.AgreementActivated),
    "fulfil": (S.FULFILLED, ev.AgreementFulfilled),
    "terminate": (S.TERMINATED, ev.AgreementTerminated),
}
# status of the current revision after the command (None: revisions untouched)
REVISION_AFTER: dict[str, RevisionStatus | None] = {
    "revise": R.DRAFT,
    "submit_for_review": R.IN_REVIEW,
    "approve": R.APPROVED,
    "return_for_changes": R.RETURNED,
    "offer": R.OFFERED,
    "confirm": R.CONFIRMED,
    "decline": R.DECLINED,
    "request_change": R.DRAFT,
    "activate": None,
    "fulfil": None,
    "terminate": None,
}

LEGAL = [(state, name) for name, states in ALLOWED_FROM.items() for state in sorted(states)]
ILLEGAL = [(state, name) for name in COMMANDS for state in S if state not in ALLOWED_FROM[name]]


def run(domain: Any, name: str, agreement: ServiceAgreement, at: datetime, actor: Any = None) -> ServiceAgreement:
    actor = actor if actor is not None else getattr(domain, ISSUER.get(name, "agent"))
    return COMMANDS[name](agreement, domain, actor, at)


def test_tables_cover_every_command() -> None:
    public = {n for n in dir(ServiceAgreement) if not n.startswith("_")}
    fields = {f.name for f in ServiceAgreement.__attrs_attrs__}
    readers = {"sla_check_at", "draft", "current", "confirmed_revision", "is_terminal"}
    readers |= {"kind", "id_kind"}  # class-level facts of every aggregate
    links = {"link_work_order", "link_acceptance"}  # tested on their own below
    assert public - fields - readers - links == set(COMMANDS) == set(ALLOWED_FROM) == set(TARGET) == set(REVISION_AFTER)


# --- creation -------------------------------------------------------------------------------


def test_draft_opens_revision_one(domain: Any, author: Any, terms: AgreementTerms, t0: datetime) -> None:
    agreement = ServiceAgreement.draft(
        id="agr-5", request_id="req-5", customer_id="cust-1", title="Termite control", terms=terms, actor=author, at=t0
    )
    assert agreement.status is S.DRAFT
    assert not agreement.is_terminal
    assert agreement.confirmed_revision is None
    (revision,) = agreement.revisions
    assert agreement.current is revision
    assert (revision.number, revision.terms, revision.author, revision.created_at, revision.status) == (
        1,
        terms,
        author.ref,
        t0,
        R.DRAFT,
    )
    assert revision.reviewer is None
    assert revision.confirmed_at is None
    (entry,) = agreement.history
    assert (entry.action, entry.from_state, entry.to_state, entry.actor, entry.at) == (
        "draft",
        "",
        "draft",
        author.ref,
        t0,
    )
    (event,) = agreement.events
    assert isinstance(event, ev.AgreementDrafted)
    assert (event.aggregate_id, event.request_id, event.actor, event.occurred_at) == ("agr-5", "req-5", author.ref, t0)


@pytest.mark.parametrize("field", ["id", "request_id", "customer_id", "title"])
def test_draft_rejects_blank_identifiers(domain: Any, field: str) -> None:
    kwargs: dict[str, Any] = {
        "id": "agr-1",
        "request_id": "req-1",
        "customer_id": "cust-1",
        "title": "Rodent control",
        "terms": domain.terms(),
        "actor": domain.author,
        "at": domain.t0,
    }
    kwargs[field] = "  "
    with pytest.raises(ValidationError) as info:
        ServiceAgreement.draft(**kwargs)
    assert info.value.field == field


# --- every legal / illegal transition ----------------------------------------------------------


@pytest.mark.parametrize(("state", "command"), LEGAL)
def test_legal_transition(domain: Any, state: AgreementStatus, command: str) -> None:
    before = domain.agreement(state)
    snapshot = domain.snapshot(before)
    at = domain.after(before, minutes=9)
    actor = getattr(domain, ISSUER.get(command, "agent"))
    after = run(domain, command, before, at, actor)
    to, event = TARGET[command]
    domain.transitioned(before, after, action=command, actor=actor, at=at, to=to, event=event)
    domain.assert_unchanged(before, snapshot)
    assert after.is_terminal is (to in TERMINAL)
    expected_revision = REVISION_AFTER[command]
    if expected_revision is None:
        assert after.revisions == before.revisions
    else:
        assert after.current.status is expected_revision
        # earlier revisions are never touched, except that request_change closes the current one
        kept = len(before.revisions) - 1
        assert after.revisions[:kept] == before.revisions[:kept]


@pytest.mark.parametrize(("state", "command"), ILLEGAL)
def test_illegal_transition(domain: Any, state: AgreementStatus, command: str) -> None:
    agreement = domain.agreement(state)
    err = domain.invalid_transition(agreement, command, lambda a, at: run(domain, command, a, at))
    assert err.allowed_from == tuple(sorted(s.value for s in ALLOWED_FROM[command]))


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_terminal_states_refuse_everything(domain: Any, state: AgreementStatus) -> None:
    agreement = domain.agreement(state)
    assert agreement.is_terminal
    for name in COMMANDS:
        domain.invalid_transition(agreement, name, lambda a, at, n=name: run(domain, n, a, at))


# --- review and separation of duties --------------------------------------------------------------


@pytest.mark.parametrize("command", ["approve", "return_for_changes"])
def test_reviewer_may_not_be_the_author(domain: Any, command: str) -> None:
    agreement = domain.agreement(S.IN_REVIEW)
    err = domain.refused(agreement, SeparationOfDutiesError, lambda a, at: run(domain, command, a, at, domain.author))
    assert isinstance(err, PermissionDeniedError)
    assert err.actor_id == domain.author.id
    assert agreement.id in err.command
    assert command in err.command
    assert "author" in err.rule
    assert domain.author.id in str(err)


def test_separation_of_duties_compares_people_by_id(domain: Any) -> None:
    agreement = domain.agreement(S.IN_REVIEW)
    same_person = attrs.evolve(domain.author, name="Bo Author (as reviewer)", roles={"reviewer"})
    domain.refused(agreement, SeparationOfDutiesError, lambda a, at: a.approve(reviewer=same_person, at=at))


def test_nobody_who_wrote_the_revision_may_review_it(domain: Any) -> None:
    """After the reviewer rewrites a returned revision, neither they nor the original author may review it."""
    returned = domain.agreement(S.RETURNED)
    assert returned.current.reviewer == domain.reviewer.ref
    rewritten = returned.revise(actor=domain.reviewer, at=domain.after(returned), terms=domain.terms(notes="v2"))
    assert rewritten.current.author == domain.author.ref
    assert rewritten.current.contributors == (domain.author.ref, domain.reviewer.ref)
    assert (rewritten.current.reviewer, rewritten.current.review_comments) == (None, ""), "the old review is cleared"
    submitted = rewritten.submit_for_review(actor=domain.reviewer, at=domain.after(rewritten))
    err = domain.refused(submitted, SeparationOfDutiesError, lambda a, at: a.approve(reviewer=domain.reviewer, at=at))
    assert "may not have revised" in str(err)
    domain.refused(submitted, SeparationOfDutiesError, lambda a, at: a.approve(reviewer=domain.author, at=at))
    third = attrs.evolve(domain.reviewer, id="E-999", name="Third Reviewer")
    approved = submitted.approve(reviewer=third, at=domain.after(submitted))
    assert approved.current.reviewer == third.ref


def test_approve_records_reviewer_and_comments(domain: Any, reviewer: Any) -> None:
    agreement = domain.agreement(S.IN_REVIEW)
    approved = agreement.approve(reviewer=reviewer, at=domain.after(agreement), comments="Margins fine")
    assert approved.current.reviewer == reviewer.ref
    assert approved.current.review_comments == "Margins fine"
    assert approved.events[-1].revision == 1


def test_return_for_changes_tells_the_author(domain: Any, reviewer: Any, author: Any) -> None:
    agreement = domain.agreement(S.IN_REVIEW)
    returned = agreement.return_for_changes(reviewer=reviewer, at=domain.after(agreement), comments=" Lower price ")
    assert returned.current.status is R.RETURNED
    assert returned.current.review_comments == "Lower price"
    event = returned.events[-1]
    assert isinstance(event, ev.AgreementReturned)
    assert (event.author_id, event.comments, event.revision) == (author.id, "Lower price", 1)


def test_return_for_changes_needs_comments(domain: Any, reviewer: Any) -> None:
    agreement = domain.agreement(S.IN_REVIEW)
    err = domain.refused(
        agreement, ValidationError, lambda a, at: a.return_for_changes(reviewer=reviewer, at=at, comments=" ")
    )
    assert err.field == "comments"


def test_revise_replaces_the_current_terms(domain: Any, author: Any) -> None:
    for state in (S.DRAFT, S.RETURNED):
        agreement = domain.agreement(state)
        new_terms = domain.terms(notes="Use gate A")
        revised = agreement.revise(actor=author, at=domain.after(agreement), terms=new_terms, note="gate")
        assert revised.current.terms == new_terms
        assert revised.current.number == agreement.current.number
        assert len(revised.revisions) == len(agreement.revisions)
        assert revised.events[-1].revision == 1
        assert revised.history[-1].note == "gate"


# --- customer answer --------------------------------------------------------------------------------


def test_confirm_freezes_the_offered_revision(domain: Any) -> None:
    offered = domain.agreement(S.OFFERED)
    at = domain.after(offered)
    confirmed = offered.confirm(actor=domain.customer_contact, at=at, note="OK for us")
    revision = confirmed.confirmed_revision
    assert revision is confirmed.current
    assert revision is not None
    assert (revision.status, revision.confirmed_at, revision.customer_comments) == (R.CONFIRMED, at, "OK for us")
    assert revision.terms == offered.current.terms
    assert criteria_of(confirmed) == revision.terms.criteria


def test_criteria_of_needs_a_confirmed_revision(domain: Any) -> None:
    agreement = domain.agreement(S.OFFERED)
    with pytest.raises(BusinessRuleError, match=agreement.id):
        criteria_of(agreement)


def test_decline_ends_the_agreement(domain: Any) -> None:
    offered = domain.agreement(S.OFFERED)
    declined = offered.decline(actor=domain.customer_contact, at=domain.after(offered), reason=" Too slow ")
    assert declined.end_reason == "Too slow"
    assert declined.current.status is R.DECLINED
    assert declined.current.customer_comments == "Too slow"
    assert declined.confirmed_revision is None
    assert declined.is_terminal


@pytest.mark.parametrize(
    ("state", "command", "field"),
    [
        (S.OFFERED, lambda a, actor, at: a.decline(actor=actor, at=at, reason=""), "reason"),
        (S.OFFERED, lambda a, actor, at: a.request_change(actor=actor, at=at, comments="  "), "comments"),
        (S.ACTIVE, lambda a, actor, at: a.terminate(actor=actor, at=at, reason=" "), "reason"),
    ],
)
def test_blank_text_is_rejected_naming_the_field(domain: Any, state: AgreementStatus, command: Any, field: str) -> None:
    agreement = domain.agreement(state)
    err = domain.refused(agreement, ValidationError, lambda a, at: command(a, domain.customer_contact, at))
    assert err.field == field


def test_request_change_keeps_revision_n_and_opens_n_plus_one(domain: Any) -> None:
    offered = domain.agreement(S.OFFERED)
    at = domain.after(offered)
    changed = offered.request_change(actor=domain.customer_contact, at=at, comments=" Start a week later ")
    assert changed.status is S.DRAFT
    old, new = changed.revisions
    assert old == attrs.evolve(offered.current, status=R.CHANGE_REQUESTED, customer_comments="Start a week later")
    assert (new.number, new.status, new.terms, new.author, new.created_at) == (
        2,
        R.DRAFT,
        old.terms,
        old.author,
        at,
    )
    assert new.reviewer is None
    assert new.review_comments == new.customer_comments == ""
    assert changed.current is new
    event = changed.events[-1]
    assert isinstance(event, ev.AgreementChangeRequested)
    assert (event.revision, event.new_revision, event.comments) == (1, 2, "Start a week later")


def test_second_round_confirms_revision_two_and_keeps_revision_one(domain: Any) -> None:
    agreement = domain.agreement(S.OFFERED)
    agreement = agreement.request_change(actor=domain.customer_contact, at=domain.after(agreement), comments="Later")
    revision_one = agreement.revisions[0]
    new_terms = domain.terms(schedule=Schedule(domain.at(60 * 24 * 9), domain.at(60 * 24 * 9 + 240), "Warehouse 3"))
    agreement = agreement.revise(actor=domain.author, at=domain.after(agreement), terms=new_terms)
    agreement = agreement.submit_for_review(actor=domain.author, at=domain.after(agreement))
    agreement = agreement.approve(reviewer=domain.reviewer, at=domain.after(agreement))
    agreement = agreement.offer(actor=domain.agent, at=domain.after(agreement))
    agreement = agreement.confirm(actor=domain.customer_contact, at=domain.after(agreement))
    assert [r.number for r in agreement.revisions] == [1, 2]
    assert agreement.revisions[0] == revision_one
    assert agreement.confirmed_revision is agreement.revisions[1]
    assert agreement.confirmed_revision.terms == new_terms
    assert criteria_of(agreement) == new_terms.criteria


def test_repeated_change_requests_number_revisions(domain: Any) -> None:
    agreement = domain.agreement(S.OFFERED)
    for expected in (2, 3, 4):
        agreement = agreement.request_change(actor=domain.customer_contact, at=domain.after(agreement), comments="x")
        assert agreement.current.number == expected
        agreement = agreement.submit_for_review(actor=domain.author, at=domain.after(agreement))
        agreement = agreement.approve(reviewer=domain.reviewer, at=domain.after(agreement))
        agreement = agreement.offer(actor=domain.agent, at=domain.after(agreement))
    assert [r.number for r in agreement.revisions] == [1, 2, 3, 4]
    assert [r.status for r in agreement.revisions] == [R.CHANGE_REQUESTED] * 3 + [R.OFFERED]


# --- a confirmed revision never changes -------------------------------------------------------------


def test_confirmed_revision_never_changes(domain: Any) -> None:
    confirmed = domain.agreement(S.CONFIRMED)
    frozen = confirmed.confirmed_revision
    assert frozen is not None
    paths = {
        "activate-fulfil": ("activate", "fulfil"),
        "terminate": ("terminate",),
        "activate-terminate": ("activate", "terminate"),
    }
    for steps in paths.values():
        agreement = confirmed
        for step in steps:
            agreement = run(domain, step, agreement, domain.after(agreement))
            assert agreement.confirmed_revision == frozen
            assert agreement.revisions == confirmed.revisions
            for name in ("revise", "submit_for_review", "approve", "return_for_changes", "offer", "request_change"):
                domain.invalid_transition(agreement, name, lambda a, at, n=name: run(domain, n, a, at))
                assert agreement.confirmed_revision == frozen


# --- terms, items, money ----------------------------------------------------------------------------------


def test_fee_total_is_computed_from_items(domain: Any) -> None:
    terms = domain.terms()
    assert [item.total for item in terms.items] == [Money("360.00", "CNY"), Money("120.000", "CNY")]
    assert terms.fee_total == Money("480", "CNY")
    assert terms.fee_total.amount == Decimal("480.00")
    assert str(terms.fee_total) == "480.00 CNY"


def test_fee_total_of_one_item_with_fractional_quantity(domain: Any) -> None:
    terms = domain.terms(items=[domain.item(quantity="2.5", price="99.99", currency="USD")])
    assert terms.fee_total == Money("249.98", "USD"), "each line is rounded half-up to cents"
    assert terms.fee_total.currency == "USD"


def test_items_in_mixed_currencies_are_rejected(domain: Any) -> None:
    with pytest.raises(ValidationError) as info:
        domain.terms(items=[domain.item(currency="CNY"), domain.item(currency="USD")])
    assert info.value.field == "items"
    assert "CNY" in str(info.value)
    assert "USD" in str(info.value)


def test_terms_need_an_item(domain: Any) -> None:
    with pytest.raises(ValidationError) as info:
        domain.terms(items=[])
    assert info.value.field == "items"


def test_terms_need_a_required_criterion(domain: Any) -> None:
    optional_only = [AcceptanceCriterion("X", "Nice to have", "site_check", required=False)]
    with pytest.raises(ValidationError) as info:
        domain.terms(criteria=optional_only)
    assert info.value.field == "criteria"


def test_terms_refuse_duplicate_criterion_codes(domain: Any) -> None:
    twice = [AcceptanceCriterion("X", "One", "site_check"), AcceptanceCriterion("X", "Two", "document_review")]
    with pytest.raises(ValidationError, match="repeated") as info:
        domain.terms(criteria=twice)
    assert info.value.field == "criteria"


def test_criterion_method_is_converted(domain: Any) -> None:
    criterion = AcceptanceCriterion("X", "Works", "functional_test")
    assert criterion.method is InspectionMethod.FUNCTIONAL_TEST
    assert criterion.required is True


@pytest.mark.parametrize("quantity", [0, -1, "0.000"])
def test_item_quantity_must_be_positive(domain: Any, quantity: Any) -> None:
    with pytest.raises(ValidationError) as info:
        domain.item(quantity=quantity)
    assert info.value.field == "quantity"


def test_item_price_must_be_non_negative_money(domain: Any) -> None:
    with pytest.raises(ValidationError) as info:
        domain.item(price="-0.01")
    assert info.value.field == "unit_price"
    with pytest.raises(ValidationError) as info:
        ServiceItem(content="x", standard="y", quantity=1, unit="h", unit_price="10.00")  # type: ignore[arg-type]
    assert info.value.field == "unit_price"
    assert domain.item(price=0).total == Money(0, "CNY")


def test_item_quantity_refuses_floats_naming_quantity(domain: Any) -> None:
    with pytest.raises(ValidationError, match=r"1\.5") as info:
        domain.item(quantity=1.5)
    assert info.value.field == "quantity"


def test_criterion_method_must_be_known() -> None:
    with pytest.raises(ValidationError) as info:
        AcceptanceCriterion("X", "Works", "smell_test")
    assert info.value.field == "method"


def test_schedule_end_must_be_after_start(domain: Any) -> None:
    start = domain.at(0)
    for end in (start, start - timedelta(minutes=1)):
        with pytest.raises(ValidationError) as info:
            Schedule(start=start, end=end, place="Site")
        assert info.value.field == "schedule.end"


def test_schedule_rejects_naive_datetimes(domain: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Schedule(start=datetime(2024, 5, 8, 9), end=domain.at(60 * 24 * 3), place="Site")
    assert info.value.field == "start"


# --- time ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "command"), LEGAL + ILLEGAL)
def test_time_cannot_go_backwards(domain: Any, state: Any, command: str) -> None:
    """``at`` is checked before anything else, so even an illegal command reports it."""
    agg = domain.agreement(state)
    err = domain.refused(agg, ValidationError, lambda a, at: run(domain, command, a, at), at=domain.before(agg))
    assert err.field == "at"
    assert "earlier" in str(err)


@pytest.mark.parametrize(("state", "command"), LEGAL + ILLEGAL)
def test_naive_datetime_is_rejected_naming_at(domain: Any, state: Any, command: str) -> None:
    agg = domain.agreement(state)
    naive = domain.after(agg).replace(tzinfo=None)
    err = domain.refused(agg, ValidationError, lambda a, at: run(domain, command, a, at), at=naive)
    assert err.field == "at"
    assert "timezone-aware" in str(err)


def test_draft_rejects_naive_datetime_naming_at(domain: Any) -> None:
    with pytest.raises(ValidationError, match="timezone-aware") as info:
        ServiceAgreement.draft(
            id="agr-1",
            request_id="req-1",
            customer_id="cust-1",
            title="t",
            terms=domain.terms(),
            actor=domain.author,
            at=datetime(2024, 5, 6, 9),
        )
    assert info.value.field == "at"


# --- links to work orders and the acceptance -------------------------------------------------------


@pytest.mark.parametrize("state", sorted(set(S) - {S.ACTIVE}))
def test_links_need_an_active_agreement(domain: Any, state: AgreementStatus) -> None:
    agreement = domain.agreement(state)
    domain.refused(
        agreement,
        InvalidTransitionError,
        lambda a, at: a.link_work_order(actor=domain.agent, at=at, work_order_id="wo-1"),
    )
    domain.refused(
        agreement,
        InvalidTransitionError,
        lambda a, at: a.link_acceptance(actor=domain.agent, at=at, acceptance_id="acc-1"),
    )


def test_work_orders_then_one_acceptance(domain: Any) -> None:
    agreement = domain.agreement(S.ACTIVE)
    linked = agreement.link_work_order(actor=domain.agent, at=domain.after(agreement), work_order_id="wo-1")
    assert linked.work_order_ids == ("wo-1",)
    assert (linked.status, linked.history[-1].action) == (S.ACTIVE, "link_work_order")
    domain.refused(
        linked,
        BusinessRuleError,
        lambda a, at: a.link_work_order(actor=domain.agent, at=at, work_order_id="wo-1"),
    )
    opened = linked.link_acceptance(actor=domain.agent, at=domain.after(linked), acceptance_id="acc-1")
    assert opened.acceptance_id == "acc-1"
    err = domain.refused(
        opened,
        BusinessRuleError,
        lambda a, at: a.link_acceptance(actor=domain.agent, at=at, acceptance_id="acc-2"),
    )
    assert "already open" in str(err)
    err = domain.refused(
        opened,
        BusinessRuleError,
        lambda a, at: a.link_work_order(actor=domain.agent, at=at, work_order_id="wo-2"),
    )
    assert "no new work orders" in str(err)
