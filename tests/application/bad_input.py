"""Drive every ServiceDesk command with good and bad arguments, and count what happens.

The commands are enumerated from the facade (:func:`~servicecore.application.core.command_names`),
and each argument is generated from the parameter's name and type hint: a value that fits the
world's cases (an id of a case of the right kind, an actor whose roles the policy allows, text,
terms, results...), or, for one parameter of a call, a bad one (None, numbers, bytes, lists, dicts,
huge or broken strings, extreme times, objects of the wrong class). A parameter type nobody taught
:func:`good_values` fails loudly, so a new command cannot slip past untested.

Each call must either be refused with a :class:`~servicecore.ServiceCoreError` and write nothing
(state, history and outbox compared before and after), or be accepted and leave every case it
touched loadable: through the serializer, and for SQL storage from a second backend instance on
the same database with its cache off. :class:`Figures` counts calls, refusals, escapes of other
exceptions and unreadable cases; the tests and ``python -m tests.application.bad_input_report``
print them.
"""

from __future__ import annotations

import collections.abc
import inspect
import json
import types
import typing
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servicecore as sc
from servicecore.application.core import command_names
from servicecore.application.dispatcher import RetryPolicy
from servicecore.application.permissions import DEFAULT_POLICY
from servicecore.domain.values import describe
from servicecore.ports.storage import StorageBackend
from servicecore.serialization import structure, unstructure
from servicecore.storage_kinds import AGGREGATE_KINDS, ListQuery
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.notifiers import RecordingNotifier
from tests.application.support import (
    AGENT,
    CUSTOMER,
    ENGINEER,
    INSPECTOR,
    OFFICER,
    PANEL,
    REVIEWER,
    START,
    SUPERVISOR,
    WANG_FANG,
    Desk,
)

COMMANDS = command_names(sc.ServiceDesk)
"""Every command and read of the facade, found by its ``@command`` mark."""

PEOPLE = (AGENT, REVIEWER, ENGINEER, SUPERVISOR, OFFICER, INSPECTOR, *PANEL, CUSTOMER)
ADMIN = sc.Actor("E-090", "Gao Yan", ["administrator"])

ID_KINDS: dict[str, type[Any]] = {
    "request_id": sc.ServiceRequest,
    "agreement_id": sc.ServiceAgreement,
    "work_order_id": sc.WorkOrder,
    "acceptance_id": sc.Acceptance,
    "complaint_id": sc.Complaint,
    "violation_id": sc.Violation,
    "prior_case_id": sc.Violation,
    "appeal_id": sc.Appeal,
}

GOOD_TEXTS = (
    "好的，今天处理",
    "line one\nline two\r\nline three",
    "tab\tseparated",
    'O\'Brien said "hi" \\ back\\slash',
    "🐜🪳 pest control ✅",
    "עברית · العربية",
    "长文本" * 2000,
    "",
)

MAX_MESSAGE = 2000
"""The longest error message a refusal may have (the bad values include a string of a million characters)."""

NOW = START + timedelta(days=400)  # the clock of a world is moved here once it is built


def bad_values() -> st.SearchStrategy[Any]:
    """Values no parameter of any command accepts as they are (a few fit a ``str`` or ``int`` parameter).

    Drawn by group first, so that ``None`` is as likely as all the broken strings together.
    """
    aware_max = datetime.max.replace(tzinfo=UTC)
    groups: list[list[Any]] = [
        [None],
        [0, -1, 1.5, float("nan"), True, Decimal("NaN")],
        [10**30, 2**63, 10**5000],
        [b"x", bytearray(b"x")],
        [[], ["a"], [None], [b"x"], [object()], {}, {"a": 1}, range(3), ["E-010"] * 100_000, [AGENT] * 100_000],
        ["", "   ", "\ud800", "a\x00b", "a\x01b", "\x85next line", "\u202eevil", "x" * 1_000_000, "a\nb"],
        [
            timedelta.max,
            timedelta.min,
            timedelta(0),
            aware_max,
            datetime.min.replace(tzinfo=UTC),
            datetime(2026, 3, 2, 9, 0),
        ],
        [object(), sc.Money("1", "CNY"), AGENT, WANG_FANG, RetryPolicy(), sc.PEST_CONTROL],
    ]
    return st.sampled_from(groups).flatmap(st.sampled_from)


def confusable_values(hint: Any) -> st.SearchStrategy[Any]:
    """Bad values a caller could plausibly pass for a parameter typed ``hint``: None for text, an id
    for an actor, a string for a number, a naive or far-off time: the mistakes that poisoned cases."""
    options = set(typing.get_args(hint)) if typing.get_origin(hint) in (typing.Union, types.UnionType) else {hint}
    values: list[Any] = [None, 1, b"x", ["a"]]
    if str in options:
        values += [True, 0, {"a": 1}, "a\x00b", "\udc80"]
    if int in options:
        values += ["1", 1.0, 10**30, -(2**63)]
    if datetime in options:
        values += [datetime(2026, 3, 2, 9, 0), datetime.max.replace(tzinfo=UTC), "2026-03-02T09:00:00+08:00"]
    if timedelta in options:
        values += [timedelta.max, timedelta(0), -timedelta(days=1), 7]
    if any(typing.get_origin(option) in (collections.abc.Iterable, collections.abc.Sequence) for option in options):
        values += ["E-010", [None], [1], [["nested"]], {"E-010": 1}, ["E-010"] * 100_000]
    if any(isinstance(option, type) and attrs.has(option) for option in options):
        values += ["E-020", {"id": "E-020"}, AGENT.ref, object()]
    return st.sampled_from([v for v in values if not (v is None and type(None) in options)])


# --- the world: cases in every state a command needs ------------------------------------


class World(Desk):
    """A desk on any storage, with a clock and a case of each kind in many states."""

    def __init__(self, storage: StorageBackend, fresh: Callable[[], StorageBackend] | None = None) -> None:
        self.clock = ManualClock(START)
        self.storage = storage
        self.notifier = RecordingNotifier()
        self.fresh = fresh
        self.desk = sc.ServiceDesk(
            storage=storage,
            notifier=self.notifier,
            renderer=MarkdownRenderer(),
            clock=self.clock,
            ids=SequentialIds(),
            templates={sc.PEST_CONTROL.key: sc.PEST_CONTROL},
            sla=sc.SlaService(sc.Plugins(entry_points=False).calendar("24x7")),
        )
        self.subjects: list[sc.ComplaintSubject] = []

    def build(self) -> World:
        """Cases in the states the commands start from (every chain stops at a different step)."""
        desk = self.desk
        for _ in range(2):
            self.request()
        request = self.request()
        desk.acknowledge_request(request.id, actor=AGENT, message="今天安排评估")
        for _ in range(2):
            request = self.request()
            desk.acknowledge_request(request.id, actor=AGENT, message="今天安排评估")
            desk.assess_request(request.id, actor=ENGINEER, feasible=True, analysis="常规灭蟑")
        draft = desk.draft_agreement(request.id, actor=AGENT, title="厨房灭蟑", terms=self.terms())
        in_review = self.drafted()
        desk.submit_agreement_for_review(in_review.id, actor=AGENT)
        approved = self.drafted()
        desk.submit_agreement_for_review(approved.id, actor=AGENT)
        desk.approve_agreement(approved.id, actor=REVIEWER)
        offered = self.drafted()
        desk.submit_agreement_for_review(offered.id, actor=AGENT)
        desk.approve_agreement(offered.id, actor=REVIEWER)
        desk.offer_agreement(offered.id, actor=AGENT)
        del draft
        self.active_agreement()
        order = self.new_order()
        order = self.new_order()
        desk.start_work_order(order.id, actor=ENGINEER)
        order = self.new_order()
        desk.start_work_order(order.id, actor=ENGINEER)
        self.later()
        desk.hold_work_order(order.id, actor=ENGINEER, reason="material_shortage", description="药剂不够")
        for _ in range(3):
            self.later()
            self.completed_order()
        done = self.completed_order()
        acceptance = desk.open_acceptance(
            done.agreement_id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer")
        )
        self.later()
        desk.record_inspection(
            acceptance.id,
            actor=CUSTOMER,
            results=[sc.CriterionResult(criterion_code="no-live-insects", passed=False, note="还有两只")],
        )
        for _ in range(2):
            done = self.completed_order()
            desk.open_acceptance(done.agreement_id, actor=AGENT, inspector=sc.Inspector(CUSTOMER.ref, "customer"))
        # complaints, violations and appeals
        orders = [o for o in desk.list_work_orders(status="completed", limit=1000)]
        self.subjects = [sc.ComplaintSubject(request_id=o.request_id, work_order_id=o.id) for o in orders]
        complaints = [self.complaint(subject) for subject in self.subjects[:4]]
        self.later()
        for complaint in complaints[1:]:
            desk.acknowledge_complaint(complaint.id, actor=AGENT, message="我们今天会跟进")
        for complaint in complaints[2:]:
            desk.start_complaint_investigation(complaint.id, actor=SUPERVISOR, investigator=INSPECTOR)
        self.later(60)
        desk.resolve_complaint(
            complaints[3].id,
            actor=INSPECTOR,
            summary="用药量不足",
            reply="非常抱歉，我们将免费重新处理",
            remedies=[sc.Remedy(kind="apology")],
        )
        desk.report_violation(
            actor=SUPERVISOR,
            subject=ENGINEER,
            category="service_norm_breach",
            source=sc.ViolationSource.staff_report(SUPERVISOR),
            description="迟到一小时未通知客户",
        )
        violations = [
            desk.raise_violation_from_complaint(
                complaints[2].id,
                actor=INSPECTOR,
                subject=ENGINEER,
                category="quality_failure",
                description="施工用药量只有标准的一半",
            )
            for _ in range(4)
        ]
        self.later()
        for violation in violations:
            desk.assign_violation_investigators(violation.id, actor=OFFICER, investigators=[INSPECTOR])
            desk.add_violation_evidence(violation.id, actor=INSPECTOR, kind="service_record", description="服务单记录")
        for violation in violations[1:]:
            desk.determine_violation(
                violation.id,
                actor=INSPECTOR,
                findings=[sc.Finding(person=ENGINEER, degree="primary", reason="用药量不足")],
                summary="施工未按标准执行",
            )
        self.later()
        for violation in violations[2:]:
            desk.decide_violation(
                violation.id,
                actor=OFFICER,
                sanctions=[sc.Sanction(person=ENGINEER, kind="warning")],
                reasons="未按 GB/T 27770 施工",
            )
            desk.publish_violation(violation.id, actor=OFFICER)
        self.later()
        desk.file_appeal(violations[2].id, actor=ENGINEER, grounds="仓库发错了药剂")
        appeal = desk.file_appeal(violations[3].id, actor=ENGINEER, grounds="仓库发错了药剂")
        self.later()
        desk.start_appeal_review(appeal.id, actor=PANEL[0], panel=PANEL)
        self.clock.set(NOW)
        return self

    def drafted(self) -> sc.ServiceAgreement:
        request = self.request()
        self.desk.acknowledge_request(request.id, actor=AGENT, message="今天安排评估")
        self.desk.assess_request(request.id, actor=ENGINEER, feasible=True, analysis="常规灭蟑")
        return self.desk.draft_agreement(request.id, actor=AGENT, title="厨房灭蟑", terms=self.terms())

    def new_order(self) -> sc.WorkOrder:
        agreement = self.active_agreement()
        return self.desk.create_work_order(
            agreement.id, actor=AGENT, title="厨房灭蟑", assignees=[ENGINEER.id], template=sc.PEST_CONTROL.key
        )

    def complaint(self, subject: sc.ComplaintSubject) -> sc.Complaint:
        self.later()
        return self.desk.receive_complaint(
            actor=AGENT,
            complainant=WANG_FANG,
            subject=subject,
            channel="hotline",
            category="quality",
            severity="major",
            description="灭蟑后又出现蟑螂",
        )


# --- what is stored ---------------------------------------------------------------------------


def snapshot(storage: StorageBackend) -> tuple[dict[tuple[str, str], Any], tuple[Any, ...]]:
    """Every aggregate by (kind, id), and every pending outbox message."""
    with storage.unit_of_work() as uow:
        cases = {
            (kind.name, case.id): case
            for kind in AGGREGATE_KINDS
            for case in uow.repository(kind.cls).list(ListQuery(limit=10**6))
        }
        return cases, tuple(uow.outbox.pending(limit=10**6))


# --- arguments ---------------------------------------------------------------------------------


def _roles_actor(command: str) -> st.SearchStrategy[sc.Actor]:
    allowed = DEFAULT_POLICY.roles_for(command)
    eligible = [person for person in (*PEOPLE, ADMIN) if set(person.roles) & {str(r) for r in allowed}]
    return st.sampled_from(eligible)


def _ids(world_cases: dict[tuple[str, str], Any], cls: type[Any]) -> st.SearchStrategy[str]:
    ids = sorted(case_id for (kind, case_id), case in world_cases.items() if isinstance(case, cls))
    return st.sampled_from(ids) if ids else st.just("missing")


def _texts() -> st.SearchStrategy[str]:
    return st.sampled_from(GOOD_TEXTS) | st.text(min_size=1, max_size=20).filter(lambda t: bool(t.strip()))


def good_values(
    command: str, name: str, hint: Any, world: World, cases: dict[tuple[str, str], Any]
) -> st.SearchStrategy[Any]:
    """Values of parameter ``name`` (typed ``hint``) that fit the world: the right kind of id, a sensible object."""
    now = world.clock.now()
    terms = world.terms()
    optional = isinstance(hint, type(int | None)) and type(None) in typing.get_args(hint)
    values = _good_by_name(name, hint, world, cases, now, terms)
    if values is None:
        raise AssertionError(f"no good values for {command}({name}: {hint}); teach good_values() this parameter")
    return st.none() | values if optional else values


def _good_by_name(
    name: str, hint: Any, world: World, cases: dict[tuple[str, str], Any], now: datetime, terms: sc.AgreementTerms
) -> st.SearchStrategy[Any] | None:
    if name in ID_KINDS:
        return _ids(cases, ID_KINDS[name])
    simple: dict[str, st.SearchStrategy[Any]] = {
        "status": st.sampled_from(sorted({case.status.value for case in cases.values()})),
        "customer_id": st.sampled_from([WANG_FANG.id, "C-999"]),
        "assignee_id": st.sampled_from([p.id for p in PEOPLE]),
        "locale": st.sampled_from(["en", "zh-CN"]),
        "step_key": st.sampled_from([step.key for step in sc.PEST_CONTROL.steps]),
        "template": st.just(sc.PEST_CONTROL.key),
        "work_order_ids": st.lists(_ids(cases, sc.WorkOrder), max_size=2),
        "assignees": st.sampled_from([[ENGINEER.id], [ENGINEER.id, "E-011"]]),
        "departments": st.just(["ops", "pest"]),
        "feasible": st.booleans(),
        "limit": st.integers(0, 5),
        "offset": st.integers(0, 3),
        "batch": st.integers(1, 5),
        "round": st.integers(1, 3),
        "decision_number": st.integers(1, 3),
        "max_attempts": st.integers(1, 5),
        "retry": st.just(RetryPolicy()),
        "deadline": st.integers(0, 30).map(lambda d: now + timedelta(days=d)),
        "appeal_deadline": st.integers(0, 30).map(lambda d: now + timedelta(days=d)),
        "now": st.integers(0, 30).map(lambda d: now + timedelta(days=d)),
        "silence": st.integers(1, 10).map(lambda d: timedelta(days=d)),
        "customer": st.just(WANG_FANG),
        "complainant": st.just(WANG_FANG),
        "subject": (
            st.sampled_from(world.subjects or [sc.ComplaintSubject(request_id="missing")])
            if hint is sc.ComplaintSubject
            else st.sampled_from([ENGINEER, ENGINEER.ref])
        ),
        "channel": st.sampled_from(list(sc.Channel)),
        "priority": st.sampled_from(list(sc.Priority)),
        "severity": st.sampled_from(list(sc.ComplaintSeverity)),
        "kind": st.sampled_from(list(sc.EvidenceKind)),
        "reason": _texts() if hint is str else st.sampled_from(list(sc.HoldReason)),
        "terms": st.just(terms),
        "window": st.just(terms.schedule),
        "sign_off": st.just(sc.SiteSignOff(WANG_FANG.name, now)),
        "inspector": st.sampled_from(
            [sc.Inspector(INSPECTOR.ref, "third_party"), sc.Inspector(CUSTOMER.ref, "customer")]
        ),
        "supervisor": st.just(SUPERVISOR),
        "investigator": st.just(INSPECTOR),
        "investigators": st.just([INSPECTOR]),
        "panel": st.just(list(PANEL)),
        "source": st.sampled_from(
            [sc.ViolationSource.staff_report(SUPERVISOR), sc.ViolationSource.customer_report(CUSTOMER, "热线")]
        ),
        "reference": st.just(sc.EvidenceRef("photo://door.jpg", "门口")),
        "evidence": st.just([sc.EvidenceRef("photo://door.jpg", "门口")]),
        "measurements": st.just([sc.Measurement("dosage", "2.5", "g/m²")]),
        "results": st.booleans().map(lambda ok: [sc.CriterionResult(criterion_code="no-live-insects", passed=ok)]),
        "findings": st.just([sc.Finding(person=ENGINEER, degree="primary", reason="用药量不足")]),
        "sanctions": st.just([sc.Sanction(person=ENGINEER, kind="warning")]),
        "compensations": st.just([sc.Compensation(person=ENGINEER, amount=sc.Money("100.00", "CNY"))]),
        "remedies": st.just([sc.Remedy(kind="apology")]),
        "disputed_amount": st.integers(1, 3).map(lambda n: sc.Money("50.00", "CNY").times(n)),
        "outcome": st.sampled_from(list(sc.ComplaintOutcome)),
        "simulate": st.booleans(),
        "progress": st.just(lambda handled: None),  # None comes with the optional hint
        "calendar": st.sampled_from(["24x7", "cn"]),
    }
    if name == "category":
        return st.sampled_from(["pest control", "quality", "service_norm_breach", "quality_failure"])
    if name in simple:
        return simple[name]
    if hint is str:
        return _texts()
    return None


@attrs.define
class Figures:
    """What the calls did: counts by outcome, and the first few escapes and unreadable cases."""

    calls: int = 0
    accepted: int = 0
    refused: Counter[str] = attrs.field(factory=Counter)
    non_library: list[str] = attrs.field(factory=list)
    unreadable: list[str] = attrs.field(factory=list)
    wrote_when_refused: list[str] = attrs.field(factory=list)
    long_messages: list[str] = attrs.field(factory=list)
    commands: set[str] = attrs.field(factory=set)

    def line(self, backend: str) -> str:
        """The figures on one line."""
        return (
            f"{backend}: {self.calls} calls of {len(self.commands)} commands, {self.accepted} accepted, "
            f"{sum(self.refused.values())} refused with a ServiceCoreError, "
            f"{len(self.non_library)} non-library exceptions, {len(self.unreadable)} unreadable cases, "
            f"{len(self.wrote_when_refused)} refusals that wrote, {len(self.long_messages)} messages over "
            f"{MAX_MESSAGE} characters"
        )


@attrs.frozen
class Call:
    """One generated call: which parameter (if any) got a bad value, and the arguments."""

    command: str
    bad: str | None
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def __repr__(self) -> str:
        shown = ", ".join([*(describe(a) for a in self.args), *(f"{k}={describe(v)}" for k, v in self.kwargs.items())])
        return f"{self.command}({shown}) [bad: {self.bad}]"


def draw_call(data: st.DataObject, world: World, command: str, cases: dict[tuple[str, str], Any]) -> Call:
    """Arguments for ``command``: all good, or one of them (possibly the actor) bad."""
    method = getattr(world.desk, command)
    hints = typing.get_type_hints(getattr(sc.ServiceDesk, command))
    parameters = [p for p in inspect.signature(method).parameters.values() if p.name != "actor"]
    names = [p.name for p in parameters] + ["actor"]
    bad = data.draw(st.sampled_from([None, None, *names]), label="bad parameter")
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in parameters:
        optional = parameter.default is not inspect.Parameter.empty and bad != parameter.name
        if optional and data.draw(st.booleans(), label=f"leave {parameter.name} out"):
            continue
        if bad == parameter.name:
            value = data.draw(bad_values() | confusable_values(hints[parameter.name]), label=parameter.name)
        else:
            value = data.draw(
                good_values(command, parameter.name, hints[parameter.name], world, cases), label=parameter.name
            )
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            args.append(value)
        else:
            kwargs[parameter.name] = value
    if bad == "actor":
        kwargs["actor"] = data.draw(bad_values(), label="actor")
    else:
        actor_required = inspect.signature(method).parameters["actor"].default is inspect.Parameter.empty
        if actor_required or data.draw(st.booleans(), label="with actor"):
            kwargs["actor"] = data.draw(_roles_actor(command), label="actor")
    return Call(command, bad, tuple(args), kwargs)


def check_loadable(world: World, before: dict[tuple[str, str], Any], after: dict[tuple[str, str], Any]) -> list[str]:
    """Every case the call added or changed, loaded back: through the serializer and from a fresh backend."""
    problems: list[str] = []
    touched = [key for key, case in after.items() if key not in before or before[key].version != case.version]
    for kind_name, case_id in touched:
        case = after[(kind_name, case_id)]
        try:
            # as a document store keeps it: JSON in UTF-8
            document = json.dumps(unstructure(case), ensure_ascii=False).encode("utf-8")
            if structure(json.loads(document.decode("utf-8")), type(case)) != case:
                problems.append(f"{kind_name} {case_id} changes in a serializer round trip")
        except Exception as error:
            problems.append(f"{kind_name} {case_id} cannot be read back: {type(error).__name__}: {str(error)[:200]}")
    if world.fresh is not None and touched:
        fresh = world.fresh()
        try:
            with fresh.unit_of_work() as uow:
                for kind_name, case_id in touched:
                    case = after[(kind_name, case_id)]
                    try:
                        loaded = uow.repository(type(case)).get(case_id)
                        if loaded != case:
                            problems.append(f"{kind_name} {case_id} loads differently from a fresh backend")
                    except Exception as error:
                        problems.append(
                            f"{kind_name} {case_id} unreadable from a fresh backend: "
                            f"{type(error).__name__}: {str(error)[:200]}"
                        )
                for kind in AGGREGATE_KINDS:
                    try:
                        list(uow.repository(kind.cls).list(ListQuery(limit=10**6)))
                    except Exception as error:
                        problems.append(f"listing {kind.name} fails: {type(error).__name__}: {str(error)[:200]}")
        finally:
            fresh.close()
    return problems


def one_call(world: World, data: st.DataObject, command: str, figures: Figures, *, strict: bool = True) -> None:
    """Make one generated call of ``command`` and check what it did (``strict``: fail on a broken property)."""
    world.clock.advance(timedelta(minutes=1))
    before, outbox_before = snapshot(world.storage)
    call = draw_call(data, world, command, before)
    figures.calls += 1
    figures.commands.add(command)
    try:
        getattr(world.desk, command)(*call.args, **call.kwargs)
    except sc.ServiceCoreError as error:
        figures.refused[type(error).__name__] += 1
        refusal = f"{type(error).__name__}: {str(error)[:200]}"
        message_length = len(str(error))
    except Exception as error:
        figures.non_library.append(f"{call!r}: {type(error).__name__}: {str(error)[:200]}")
        if strict:
            raise AssertionError(f"{call!r} raised {type(error).__name__}, not a ServiceCoreError: {error}") from error
        return
    else:
        refusal, message_length = None, 0
    if refusal is not None:
        if message_length > MAX_MESSAGE:  # a refused megabyte must not come back in the message
            figures.long_messages.append(f"{call!r}: {refusal}")
            assert not strict, f"{call!r} was refused with a message of {message_length} characters"
        if snapshot(world.storage) != (before, outbox_before):
            figures.wrote_when_refused.append(f"{call!r}: refused ({refusal}) but wrote")
            assert not strict, f"{call!r} was refused ({refusal}) but changed storage"
        return
    figures.accepted += 1
    after, _ = snapshot(world.storage)
    problems = check_loadable(world, before, after)
    figures.unreadable.extend(f"{call!r}: {p}" for p in problems)
    assert not (strict and problems), f"{call!r} was accepted, but: {problems}"


def drive(world: World, command: str, figures: Figures, *, examples: int, strict: bool = True) -> None:
    """``examples`` generated calls of ``command`` on ``world``, seeded (the same calls on every run)."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def calls(data: st.DataObject) -> None:
        one_call(world, data, command, figures, strict=strict)

    calls()


__all__ = ["COMMANDS", "Figures", "World", "bad_values", "drive", "good_values", "one_call", "snapshot"]
