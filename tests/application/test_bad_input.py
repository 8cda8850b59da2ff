"""Nothing a caller passes can corrupt a case, and every failure is a ServiceCoreError.

The lasting guard drives every command of the facade (see :mod:`tests.application.bad_input`)
on memory, SQLite and PostgreSQL storage; the regression tests below pin the defects it was
written for.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import servicecore as sc
from servicecore.application.core import command
from servicecore.application.dispatcher import RetryPolicy
from servicecore.application.permissions import DEFAULT_POLICY
from servicecore.bootstrap import bootstrap
from servicecore.storage_kinds import ListQuery
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage
from servicecore_adapters.sqlalchemy.testing import TemporaryPostgres, server_for_tests
from tests.application.bad_input import COMMANDS, Figures, World, drive, good_values, snapshot
from tests.application.support import AGENT, ENGINEER, REVIEWER, SUPERVISOR

EXAMPLES = {"memory": 6, "sqlite": 4, "postgresql": 3}
"""Generated calls per command and backend: bounded for CI, the same calls on every run."""

FIGURES: dict[str, Figures] = {}


@pytest.fixture(scope="module")
def postgres() -> TemporaryPostgres:
    return server_for_tests()


def _sql_world(url: str) -> Iterator[World]:
    storage = SQLAlchemyStorage(url, migrate=True)
    world = World(storage, fresh=lambda: SQLAlchemyStorage(url, cache_size=0)).build()
    yield world
    storage.close()


@pytest.fixture(scope="module", params=["memory", "sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world per backend, shared by every command's test (the calls move its cases on)."""
    backend = request.param
    FIGURES.setdefault(backend, Figures())
    if backend == "memory":
        yield World(MemoryStorage()).build()
    elif backend == "sqlite":
        yield from _sql_world(f"sqlite:///{tmp_path_factory.mktemp('bad-input') / 'servicecore.sqlite3'}")
    else:
        postgres: TemporaryPostgres = request.getfixturevalue("postgres")
        yield from _sql_world(postgres.create_database())
    print(f"\n{FIGURES[backend].line(backend)}")


def _backend(world: World) -> str:
    if isinstance(world.storage, MemoryStorage):
        return "memory"
    return "sqlite" if "sqlite" in str(world.storage.engine.url) else "postgresql"  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_refuses_bad_input_with_a_library_error_and_keeps_cases_loadable(
    world: World, command: str
) -> None:
    backend = _backend(world)
    figures = FIGURES[backend]
    drive(world, command, figures, examples=EXAMPLES[backend])
    assert figures.non_library == []
    assert figures.unreadable == []
    assert figures.wrote_when_refused == []
    assert figures.long_messages == []


def test_the_guard_can_generate_every_parameter_of_every_command() -> None:
    """A command whose parameter the guard cannot generate fails here, so it never goes undriven."""
    assert len(COMMANDS) > 70
    assert set(COMMANDS) == set(DEFAULT_POLICY.commands)
    world = World(MemoryStorage())
    cases = snapshot(world.storage)[0]
    for name in COMMANDS:
        hints = typing.get_type_hints(getattr(sc.ServiceDesk, name))
        for parameter in inspect.signature(getattr(world.desk, name)).parameters:
            if parameter != "actor":
                good_values(name, parameter, hints[parameter], world, cases)


# --- regressions -----------------------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def built(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "memory":
        yield World(MemoryStorage()).build()
        return
    url = f"sqlite:///{tmp_path / 'servicecore.sqlite3'}"
    yield from _sql_world(url)


def _case(world: World, cls: type[Any], status: str) -> Any:
    with world.storage.unit_of_work() as uow:
        return next(c for c in uow.repository(cls).list(ListQuery(limit=1000)) if c.status.value == status)


def _refused(world: World, error: type[Exception], call: Any, field: str | None = None) -> sc.ServiceCoreError:
    before = snapshot(world.storage)
    with pytest.raises(error) as caught:
        call()
    assert snapshot(world.storage) == before, "a refused command wrote something"
    if field is not None:
        assert isinstance(caught.value, sc.ValidationError)
        assert caught.value.field == field, caught.value
    assert isinstance(caught.value, sc.ServiceCoreError)
    return caught.value


@pytest.mark.parametrize("value", [None, 1, 1.5, True, b"x", ["x"], {"x": 1}, "a\x00b", "\ud800", "a\x07b"])
def test_an_optional_text_of_the_wrong_kind_is_refused_naming_it(built: World, value: Any) -> None:
    """approve_agreement(comments=None) used to succeed and leave the agreement unreadable after a reload."""
    desk = built.desk
    in_review = _case(built, sc.ServiceAgreement, "in_review")
    _refused(built, sc.ValidationError, lambda: desk.approve_agreement(in_review.id, actor=REVIEWER, comments=value))
    assigned = _case(built, sc.WorkOrder, "scheduled")
    _refused(built, sc.ValidationError, lambda: desk.start_work_order(assigned.id, actor=ENGINEER, note=value), "note")


def test_free_text_keeps_newlines_tabs_and_bidi_text_and_loads_back(built: World) -> None:
    desk = built.desk
    assigned = _case(built, sc.WorkOrder, "scheduled")
    note = "第一行\n\tsecond line\r\nעברית \u202bembedded\u202c"
    started = desk.start_work_order(assigned.id, actor=ENGINEER, note=note)
    assert started.history[-1].note == note
    if built.fresh is not None:
        with built.fresh().unit_of_work() as uow:
            assert uow.work_orders.get(assigned.id) == started


@pytest.mark.parametrize("value", ["two\nlines", "tab\there", "\u202eevil", "a\x85b"])
def test_single_line_fields_refuse_line_breaks_controls_and_bidi_overrides(value: str) -> None:
    with pytest.raises(sc.ValidationError) as caught:
        sc.Customer("C-1", value)
    assert caught.value.field == "name"
    with pytest.raises(sc.ValidationError):
        sc.Actor(f"E-{value}", "Li Na", ["agent"])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda d, w: d.get_request(["a"]), "request_id"),
        (lambda d, w: d.get_request("REQ-\ud800"), "request_id"),
        (lambda d, w: d.get_request("x" * 1000), "request_id"),
        (lambda d, w: d.list_requests(status="\ud800"), "status"),
        (lambda d, w: d.list_requests(customer_id="C-\x00"), "customer_id"),
        (lambda d, w: d.list_requests(limit=10**30), "limit"),
        (lambda d, w: d.list_work_orders(offset=2**63), "offset"),
        (lambda d, w: d.pending_notifications(limit=10**5000), "limit"),
        (lambda d, w: d.dispatch_notifications(retry=1), "retry"),
        (
            lambda d, w: d.draft_agreement(
                _case(w, sc.ServiceRequest, "assessed").id, actor=AGENT, title="t", terms=None
            ),
            "terms",
        ),
        (
            lambda d, w: d.open_acceptance(_case(w, sc.ServiceAgreement, "active").id, actor=AGENT, inspector=None),
            "inspector",
        ),
        (
            lambda d, w: d.receive_complaint(
                actor=AGENT,
                complainant=None,
                subject=sc.ComplaintSubject(staff_ids=[ENGINEER.id]),
                channel="phone",
                category="quality",
                severity="minor",
                description="x",
            ),
            "complainant",
        ),
        (
            lambda d, w: d.report_violation(
                actor=SUPERVISOR, subject=ENGINEER, category="ethics", source=None, description="x"
            ),
            "source",
        ),
        (
            lambda d, w: d.report_hold(_case(w, sc.WorkOrder, "on_hold").id, actor=ENGINEER, supervisor=None),
            "supervisor",
        ),
        (
            lambda d, w: d.start_complaint_investigation(
                _case(w, sc.Complaint, "acknowledged").id, actor=SUPERVISOR, investigator="E-020"
            ),
            "investigator",
        ),
        (
            lambda d, w: d.close_complaint_after_silence(
                _case(w, sc.Complaint, "resolved").id, actor=SUPERVISOR, silence=timedelta.max
            ),
            "silence",
        ),
        (
            lambda d, w: d.start_work_order(_case(w, sc.WorkOrder, "scheduled").id, actor=ENGINEER, note=b"x"),
            "note",
        ),
        (lambda d, w: d.scan_sla(datetime.max.replace(tzinfo=UTC)), "now"),
        (lambda d, w: d.scan_sla(datetime(2026, 3, 2)), "now"),
    ],
)
def test_bad_arguments_that_used_to_escape_as_python_errors(built: World, call: Any, field: str) -> None:
    _refused(built, sc.ValidationError, lambda: call(built.desk, built), field)


def test_a_refusal_never_echoes_a_megabyte_input() -> None:
    desk = World(MemoryStorage()).build()
    order = _case(desk, sc.WorkOrder, "scheduled")
    for value in ("\x00" + "x" * 1_000_000, ["x"] * 1_000_000, 10**5000):
        error = _refused(
            desk, sc.ValidationError, lambda v=value: desk.desk.start_work_order(order.id, actor=ENGINEER, note=v)
        )
        assert len(str(error)) < 300, str(error)[:400]


def test_a_refusal_never_echoes_a_huge_list_of_valid_items() -> None:
    desk = World(MemoryStorage()).build()
    order = _case(desk, sc.WorkOrder, "scheduled")
    for assignees in (["E-1"] * 100_000, [f"E-{i}" for i in range(100_000)] + ["E-0"]):
        error = _refused(
            desk,
            sc.ValidationError,
            lambda a=assignees: desk.desk.reassign_work_order(order.id, actor=SUPERVISOR, assignees=a),
        )
        assert error.field == "assignees"
        assert len(str(error)) < 300, str(error)[:400]
        assert f"{len(assignees)} items" in str(error), "the message says how long the list was"
    many_roles = sc.Actor("E-900", "Li Na", [f"role-{i}" for i in range(100_000)])
    with pytest.raises(sc.PermissionDeniedError) as caught:
        desk.desk.reassign_work_order(order.id, actor=many_roles, assignees=["E-1"])
    assert len(str(caught.value)) < 500
    assert "and 99992 more" in str(caught.value)


@pytest.mark.parametrize(
    ("lister", "valid"),
    [
        ("list_requests", sc.RequestStatus),
        ("list_agreements", sc.AgreementStatus),
        ("list_work_orders", sc.WorkOrderStatus),
        ("list_acceptances", sc.AcceptanceStatus),
        ("list_complaints", sc.ComplaintStatus),
        ("list_violations", sc.ViolationStatus),
        ("list_appeals", sc.AppealStatus),
    ],
)
def test_a_status_filter_that_is_no_status_of_that_kind_is_refused_listing_the_statuses(
    lister: str, valid: Any
) -> None:
    desk = bootstrap(sc.ServiceDeskConfig(storage="memory"))
    with pytest.raises(sc.ValidationError) as caught:
        getattr(desk, lister)(status="bogus")
    assert caught.value.field == "status"
    assert all(member.value in str(caught.value) for member in valid)
    assert getattr(desk, lister)(status=next(iter(valid)).value) == []


def test_a_retry_policy_and_a_silence_within_bounds_are_still_accepted() -> None:
    world = World(MemoryStorage()).build()
    result = world.desk.dispatch_notifications(retry=RetryPolicy(max_attempts=2), limit=1)
    assert result.delivered + result.failed == 1
    resolved = _case(world, sc.Complaint, "resolved")
    closed = world.desk.close_complaint_after_silence(resolved.id, actor=SUPERVISOR, silence=timedelta(days=7))
    assert closed.status.value == "closed"


def test_a_lone_surrogate_in_an_id_or_a_filter_is_a_validation_error_on_postgresql(
    postgres: TemporaryPostgres,
) -> None:
    """It used to reach the driver and escape as a UnicodeEncodeError."""
    storage = SQLAlchemyStorage(postgres.create_database(), migrate=True)
    try:
        desk = World(storage).desk
        for call in (lambda: desk.get_request("\udc80"), lambda: desk.list_complaints(assignee_id="E-\ud800")):
            with pytest.raises(sc.ValidationError):
                call()
    finally:
        storage.close()


class _ExtendedDesk(sc.ServiceDesk):
    """A desk with a command added later, as an application or a future version would."""

    @command
    def count_tags(
        self, request_id: str, *, tags: Sequence[str] = (), weight: int = 1, actor: sc.Actor | None = None
    ) -> int:
        """A read with typed arguments and no input checks of its own."""
        return len(request_id) + len(tags) * weight


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"request_id": ["a"]}, "request_id"),
        ({"request_id": "REQ-\ud800"}, "request_id"),
        ({"request_id": "REQ-1", "tags": "a"}, "tags"),
        ({"request_id": "REQ-1", "tags": ["a", b"b"]}, "tags[1]"),
        ({"request_id": "REQ-1", "weight": 10**30}, "weight"),
        ({"request_id": "REQ-1", "weight": "1"}, "weight"),
        ({"request_id": "REQ-1", "colour": "red"}, "arguments"),
    ],
)
def test_a_command_added_later_gets_its_arguments_checked_from_its_type_hints(
    kwargs: dict[str, Any], field: str
) -> None:
    world = World(MemoryStorage())
    desk = _ExtendedDesk(
        storage=world.storage,
        notifier=world.notifier,
        renderer=MarkdownRenderer(),
        clock=world.clock,
        ids=SequentialIds(),
    )
    assert desk.count_tags("REQ-1", tags=("a", "b"), weight=2) == 9
    with pytest.raises(sc.ValidationError) as caught:
        desk.count_tags(**kwargs)
    assert caught.value.field == field


@pytest.mark.parametrize("amount", ["9e999999", "1e-999999", "1" * 61, 10**40])
def test_an_amount_no_total_could_hold_is_refused(amount: Any) -> None:
    """A price of 9e999999 used to be accepted, and the agreement's total then overflowed."""
    with pytest.raises(sc.ValidationError) as caught:
        sc.Money(amount, "CNY")
    assert caught.value.field == "amount"
    assert len(str(caught.value)) < 300
