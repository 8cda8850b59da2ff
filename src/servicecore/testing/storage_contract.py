"""The storage contract: a pytest suite every storage backend must pass.

Subclass :class:`StorageContract` in your adapter's tests, name the subclass
``Test...`` so pytest collects it, and override the ``storage`` fixture to give
each test a fresh, empty backend, and the ``reopen`` fixture to open a second
backend on the same store::

    import pytest
    from servicecore.testing.storage_contract import StorageContract
    from my_pkg import SqliteStorage

    class TestSqliteStorage(StorageContract):
        @pytest.fixture
        def storage(self, tmp_path):
            backend = SqliteStorage(tmp_path / "db.sqlite")
            yield backend
            backend.close()

        @pytest.fixture
        def reopen(self, tmp_path):
            return lambda: SqliteStorage(tmp_path / "db.sqlite", cache=False)

Every test inherited from the base class then runs against your backend. The
base class itself is not collected (its name does not start with ``Test``).
Only plain pytest is needed.

What is checked (see :mod:`servicecore.ports.storage` for the contract itself):

* round trips: every aggregate type, in many states up to a full history,
  comes back equal to what was stored, at version 1, without pending events,
  with UTC offsets and decimal places intact; ``uow.repository(cls)`` is the
  same repository as the typed property;
* missing ids raise :class:`~servicecore.NotFoundError`; adding an existing id,
  updating from a stale version, or updating a missing aggregate raise
  :class:`~servicecore.ConcurrencyError`; ``update`` of an aggregate loaded at
  version *v* stores *v + 1*;
* a failed unit of work writes nothing at all (commit is atomic), rollback and
  leaving the ``with`` block without commit discard everything, uncommitted
  writes are invisible to other units of work, and the second of two racing
  units of work fails;
* queries: ``list`` ordered by id with ``status``, ``customer_id`` and
  ``assignee_id`` filters (exact matches, no wildcards) and ``limit``/``offset``
  paging (a :class:`~servicecore.storage_kinds.ListQuery`); ``due_for_sla``
  ordered by (check instant, id); both see the unit of work's own writes; bad
  arguments raise :class:`~servicecore.ValidationError` naming the argument;
* the outbox: queueing, oldest-first ``pending`` (by instant, not by local
  time), ``mark_delivered``, ``mark_failed`` with and without ``final`` and with
  a ``retry_at``, ``due`` ordered by due time, ``claim_due`` handing a message to
  one unit of work at a time, ``mark_claimed`` holding a message past the
  transaction (a dispatcher's lease), all of it inside the transaction;
* hostile strings (quotes, SQL, Unicode, emoji, long text, Markdown/HTML) and
  hostile ids are stored as data and returned unchanged;
* what you accept you can load: aggregates whose text holds unusual but valid
  text (newlines, CJK, emoji, quotes, backslashes, bidi marks, long text),
  added and updated, load back equal through a second backend instance on the
  same store (the ``reopen`` fixture), so a cache cannot hide a bad write.

The SLA-scan tests give sample aggregates check times by substituting
:func:`servicecore.storage_kinds.sla_check_at_of` (with pytest's
``monkeypatch``): compute what you index with
:func:`servicecore.storage_kinds.index_fields` when an aggregate is written,
as the built-in backends do, and they work for your backend too.

Some tests interleave two units of work in one thread. A backend whose readers
block writers until they finish (for example SQLite in rollback-journal mode
with long read transactions) will time out there: read without holding locks
and check versions when writing. A backend whose *writers* block other writers
until commit (for example one that issues ``UPDATE ... WHERE version = ?`` at
``update`` time) should set :attr:`StorageContract.interleaved_writers` to
``False``; the one test that lets a second writer commit while the first still
holds uncommitted writes is then skipped.

Assertion messages: the checks here use helper functions with explicit
messages, so failures are readable without pytest's assertion rewriting. For
the full rewritten output anyway, call
``pytest.register_assert_rewrite("servicecore.testing.storage_contract")`` in
your ``conftest.py`` before importing this module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import attrs
import pytest

from servicecore import storage_kinds
from servicecore.domain.acceptance import Acceptance, CriterionResult
from servicecore.domain.agreement import AgreementStatus, ServiceAgreement
from servicecore.domain.appeal import Appeal
from servicecore.domain.complaint import Complaint
from servicecore.domain.errors import (
    ConcurrencyError,
    DuplicateIdError,
    NotFoundError,
    ServiceCoreError,
    ValidationError,
)
from servicecore.domain.service_request import RequestStatus, ServiceRequest
from servicecore.domain.values import Actor, ActorId, CustomerId, RequestId, WorkOrderId
from servicecore.domain.violation import Violation
from servicecore.domain.work_order import WorkOrder
from servicecore.ports.notification import DeliveryStatus, OutboxMessage
from servicecore.ports.storage import Repository, StorageBackend, UnitOfWork
from servicecore.serialization import unstructure
from servicecore.storage_kinds import AGGREGATE_KINDS, ListQuery
from servicecore.testing import (
    AGENT,
    ENGINEER,
    HOSTILE_IDS,
    HOSTILE_TEXTS,
    REVIEWER,
    START,
    Aggregate,
    discipline_case,
    full_lifecycle,
    sample_aggregates,
    sample_notification,
    side_paths,
)

A = TypeVar("A", bound=Aggregate)

AGGREGATE_TYPES: tuple[type[Any], ...] = tuple(kind.cls for kind in AGGREGATE_KINDS)
"""Every registered aggregate type, in the registry's order."""

_REPOSITORY_OF = {
    ServiceRequest: "requests",
    ServiceAgreement: "agreements",
    WorkOrder: "work_orders",
    Acceptance: "acceptances",
    Complaint: "complaints",
    Violation: "violations",
    Appeal: "appeals",
}

_SAMPLES = sample_aggregates("1")
UNUSUAL_TEXTS: dict[str, str] = {
    "newlines": "第一行\n\tsecond line\r\nthird",
    "cjk": "客户咨询与接待 · 王芳 · 浦东新区世纪大道100号",
    "emoji": "🐜🪳 pest control 👩🏽‍🔧 ✅ 🇨🇳",
    "quotes": 'O\'Brien said "hi" and `ran` \'\'; ""',
    "backslashes": "C:\\path\\to \\n \\u0000 \\x00 \\ud800 \\",
    "bidi": "עברית \u202bembedded\u202c العربية",
    "long": "长文本 long text " * 1_000,  # 14,000 characters: within the 20,000 free text may have
}
"""Unusual but valid text: every field that takes free text accepts it, so every backend must load it back."""

_LATER = START + timedelta(days=60)
"""Commands issued by the tests happen after every sample's history."""


def _every_snapshot(key: str) -> tuple[Aggregate, ...]:
    return (*full_lifecycle(key).snapshots(), *discipline_case(key).snapshots())


# --- helpers (public: use them in your adapter's own tests) ------------------


def repository_for(uow: UnitOfWork, kind: type[Any] | Aggregate) -> Repository[Any]:
    """The repository of ``uow`` that holds ``kind`` (an aggregate class or instance)."""
    cls = kind if isinstance(kind, type) else type(kind)
    if cls in _REPOSITORY_OF:  # the typed shortcuts must work too
        shortcut: Repository[Any] = getattr(uow, _REPOSITORY_OF[cls])
        return shortcut
    return uow.repository(cls)


def as_stored(aggregate: A, version: int) -> A:
    """What storage must return for ``aggregate`` saved at ``version``: same data, no events."""
    return attrs.evolve(aggregate, version=version, events=())


def save(storage: StorageBackend, *aggregates: Aggregate) -> None:
    """Add new aggregates in one unit of work and commit."""
    with storage.unit_of_work() as uow:
        for aggregate in aggregates:
            repository_for(uow, aggregate).add(aggregate)
        uow.commit()


def load(storage: StorageBackend, kind: type[A], id: str) -> A:
    """One committed aggregate, read in a fresh unit of work."""
    with storage.unit_of_work() as uow:
        found: A = repository_for(uow, kind).get(id)
        return found


def is_stored(storage: StorageBackend, kind: type[Any], id: str) -> bool:
    """True if a fresh unit of work finds the aggregate."""
    with storage.unit_of_work() as uow:
        try:
            repository_for(uow, kind).get(id)
        except NotFoundError:
            return False
        return True


def outbox_message(storage: StorageBackend, notification_id: str) -> OutboxMessage | None:
    """The committed outbox message with that id, or ``None``."""
    with storage.unit_of_work() as uow:
        try:
            return uow.outbox.get(notification_id)
        except NotFoundError:
            return None


def first_difference(got: Any, expected: Any, path: str = "$") -> str | None:
    """The path and values where two unstructured values first differ, or ``None`` if equal."""
    if isinstance(got, dict) and isinstance(expected, dict):
        for key in sorted(set(got) | set(expected), key=str):
            if key not in got:
                return f"{path}.{key}: missing from what storage returned"
            if key not in expected:
                return f"{path}.{key}: unexpected key in what storage returned"
            found = first_difference(got[key], expected[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(got, list) and isinstance(expected, list):
        if len(got) != len(expected):
            return f"{path}: {len(got)} items returned, {len(expected)} stored"
        for index, (left, right) in enumerate(zip(got, expected, strict=True)):
            found = first_difference(left, right, f"{path}[{index}]")
            if found:
                return found
        return None
    if type(got) is not type(expected) or got != expected:
        return f"{path}: returned {_short(got)}, stored {_short(expected)}"
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else f"{text[:120]}...{text[-60:]} ({len(text)} chars)"


def assert_stored_as(got: Any, aggregate: Aggregate, version: int) -> None:
    """Fail unless ``got`` is ``aggregate`` as storage must return it at ``version``.

    Beyond ``==`` this compares the serialized forms, so a lost UTC offset
    (``09:00+08:00`` → ``01:00+00:00``) or a changed decimal exponent
    (``800.00`` → ``800``), which compare equal in Python, are caught too.
    """
    expected = as_stored(aggregate, version)
    assert type(got) is type(expected), f"storage returned a {type(got).__name__}, expected {type(expected).__name__}"
    assert got.events == (), f"storage returned pending events {got.events!r}; events are never stored"
    assert got.version == version, f"{type(got).__name__} {got.id}: stored version is {got.version}, expected {version}"
    difference = first_difference(unstructure(got), unstructure(expected))
    assert difference is None, f"{type(got).__name__} {expected.id} did not round-trip: {difference}"
    assert got == expected, f"{type(got).__name__} {expected.id} did not round-trip (differs under ==)"


def write_then_commit_fails(error: type[BaseException], uow: UnitOfWork, *writes: Callable[[], object]) -> None:
    """Run ``writes`` then commit; ``error`` must be raised by one of them.

    Backends may detect a conflict when the write is staged or only at commit;
    either is fine, as long as nothing is written.
    """
    with pytest.raises(error):
        _write_then_commit(uow, writes)


def _write_then_commit(uow: UnitOfWork, writes: Iterable[Callable[[], object]]) -> None:
    for write in writes:
        write()
    uow.commit()


def _ids(rows: Iterable[Any]) -> list[str]:
    return [row.id for row in rows]


def _pending_ids(storage: StorageBackend, limit: int = 100) -> list[str]:
    with storage.unit_of_work() as uow:
        return [message.notification.id for message in uow.outbox.pending(limit=limit)]


def _check_ids(got: Sequence[Any], expected: Sequence[str], what: str) -> None:
    assert _ids(got) == list(expected), f"{what}: got ids {_ids(got)}, expected {list(expected)}"


class StorageContract:
    """The tests every :class:`~servicecore.ports.storage.StorageBackend` must pass.

    Override the ``storage`` fixture in a subclass named ``Test...``; it must
    return (or yield) a fresh, empty backend for each test.
    """

    interleaved_writers: bool = True
    """Set to ``False`` if a writer blocks other writers until it commits (see the module docs)."""

    @pytest.fixture
    def storage(self) -> StorageBackend:
        """A fresh, empty backend. Adapter test classes must override this fixture."""
        raise NotImplementedError(
            f"{type(self).__name__} must override the 'storage' fixture to return a fresh StorageBackend"
        )

    @pytest.fixture
    def reopen(self, storage: StorageBackend) -> Callable[[], StorageBackend]:
        """A factory for a second backend on the same store as ``storage``, sharing no cache with it.

        The "what you accept you can load" tests read back through it, so that
        what a backend serves from memory cannot stand in for what it stored.
        Adapter test classes must override it: a database or file backend opens
        a new instance on the same database (with any cache off); a backend whose
        store is the object itself (like the memory backend) may return
        ``lambda: storage``. The tests close what it returns unless it is
        ``storage`` itself.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must override the 'reopen' fixture to return a factory of a second "
            "backend on the same store (see StorageContract.reopen)"
        )

    # --- the ports ----------------------------------------------------------

    def test_backend_and_unit_of_work_satisfy_the_ports(self, storage: StorageBackend) -> None:
        """The backend and its units of work satisfy the runtime-checkable ports; ``with`` returns the unit of work."""
        assert isinstance(storage, StorageBackend), f"{type(storage).__name__} does not satisfy StorageBackend"
        uow = storage.unit_of_work()
        assert isinstance(uow, UnitOfWork), f"{type(uow).__name__} does not satisfy UnitOfWork"
        with uow as entered:
            assert entered is uow, "entering a unit of work must return the unit of work itself"

    def test_new_storage_is_empty(self, storage: StorageBackend) -> None:
        """A fresh backend lists no aggregates and has no pending messages."""
        with storage.unit_of_work() as uow:
            for kind in AGGREGATE_TYPES:
                rows = repository_for(uow, kind).list()
                assert list(rows) == [], f"a new {kind.__name__} repository is not empty: {_ids(rows)}"
            assert list(uow.outbox.pending()) == [], "a new outbox is not empty"

    # --- round trips and versions --------------------------------------------

    @pytest.mark.parametrize(("label", "aggregate"), _SAMPLES, ids=[label for label, _ in _SAMPLES])
    def test_add_then_get_round_trips(self, storage: StorageBackend, label: str, aggregate: Aggregate) -> None:
        """Each sample comes back equal, at version 1, without pending events; ``add`` returns what ``get`` loads."""
        assert aggregate.events, f"sample {label} should carry pending events"
        with storage.unit_of_work() as uow:
            returned = repository_for(uow, type(aggregate)).add(aggregate)
            uow.commit()
        loaded = load(storage, type(aggregate), aggregate.id)
        assert_stored_as(loaded, aggregate, version=1)
        assert returned == loaded, f"add returned {returned!r}, but get loads {loaded!r}"

    def test_unit_of_work_reads_its_own_writes(self, storage: StorageBackend) -> None:
        """A unit of work sees what it added before committing."""
        request = full_lifecycle("1").requests[0]
        with storage.unit_of_work() as uow:
            uow.requests.add(request)
            assert_stored_as(uow.requests.get(request.id), request, version=1)
            _check_ids(uow.requests.list(), [request.id], "list inside the writing unit of work")
            uow.commit()

    @pytest.mark.parametrize("kind", AGGREGATE_TYPES, ids=lambda kind: kind.__name__)
    def test_each_update_stores_the_next_version(self, storage: StorageBackend, kind: type[Any]) -> None:
        """Updating an aggregate loaded at version v stores v + 1, through a whole history; ``update`` returns it."""
        life = full_lifecycle("1")
        case = discipline_case("1")
        by_kind: dict[type[Any], tuple[Aggregate, ...]] = {
            ServiceRequest: life.requests,
            ServiceAgreement: life.agreements,
            WorkOrder: life.work_orders,
            Acceptance: life.acceptances,
            Complaint: case.complaints,
            Violation: case.violations,
            Appeal: case.appeals,
        }
        snapshots = by_kind[kind]
        save(storage, snapshots[0])
        for version, snapshot in enumerate(snapshots[1:], start=1):
            # ``snapshot`` is what a command returns for the aggregate loaded at ``version``.
            with storage.unit_of_work() as uow:
                loaded = repository_for(uow, kind).get(snapshot.id)
                assert loaded.version == version, f"loaded version {loaded.version}, expected {version}"
                returned = repository_for(uow, kind).update(attrs.evolve(snapshot, version=version))
                uow.commit()
            stored = load(storage, kind, snapshot.id)
            assert_stored_as(stored, snapshot, version=version + 1)
            assert returned == stored, f"update returned version {returned.version}, but get loads {stored.version}"

    def test_update_after_a_real_command_round_trips(self, storage: StorageBackend) -> None:
        """An aggregate changed by a domain command is stored as changed, at version 2."""
        request = full_lifecycle("1").requests[0]
        save(storage, request)
        with storage.unit_of_work() as uow:
            changed = uow.requests.get(request.id).acknowledge(actor=AGENT, at=_LATER, message="On our way")
            assert changed.events, "a command raises events"
            uow.requests.update(changed)
            uow.commit()
        got = load(storage, ServiceRequest, request.id)
        assert_stored_as(got, changed, version=2)
        assert got.status is RequestStatus.ACKNOWLEDGED

    def test_datetimes_keep_their_utc_offset(self, storage: StorageBackend) -> None:
        """Datetimes keep their UTC offset and microseconds."""
        india = timezone(timedelta(hours=5, minutes=30))
        life = full_lifecycle("1", start=datetime(2026, 7, 1, 23, 45, 30, 123456, tzinfo=india))
        request = life.requests[-1]
        save(storage, request)
        got = load(storage, ServiceRequest, request.id)
        assert got.received_at.utcoffset() == timedelta(hours=5, minutes=30), (
            f"received_at came back as {got.received_at.isoformat()}, stored {request.received_at.isoformat()}"
        )
        assert got.received_at.microsecond == 123456, "microseconds were lost"
        assert_stored_as(got, request, version=1)

    # --- missing and existing ids --------------------------------------------

    @pytest.mark.parametrize("kind", AGGREGATE_TYPES, ids=lambda kind: kind.__name__)
    def test_get_of_a_missing_id_raises_not_found(self, storage: StorageBackend, kind: type[Any]) -> None:
        """``get`` of an unknown id raises NotFoundError naming the id."""
        save(storage, *full_lifecycle("1").finals())
        with storage.unit_of_work() as uow:
            with pytest.raises(NotFoundError) as caught:
                repository_for(uow, kind).get("NOPE-404")
            assert caught.value.aggregate_id == "NOPE-404", f"NotFoundError names {caught.value.aggregate_id!r}"

    @pytest.mark.parametrize("kind", AGGREGATE_TYPES, ids=lambda kind: kind.__name__)
    def test_ids_are_per_aggregate_type(self, storage: StorageBackend, kind: type[Any]) -> None:
        """An id stored as one aggregate type is not found in another type's repository."""
        request = full_lifecycle("1").requests[0]
        save(storage, request)
        if kind is not ServiceRequest:
            with storage.unit_of_work() as uow, pytest.raises(NotFoundError):
                repository_for(uow, kind).get(request.id)

    @pytest.mark.parametrize("kind", AGGREGATE_TYPES, ids=lambda kind: kind.__name__)
    def test_add_of_an_existing_id_raises_concurrency_error(self, storage: StorageBackend, kind: type[Any]) -> None:
        """Adding a second aggregate with a stored id raises ConcurrencyError and keeps the first."""
        first, second = (next(a for a in _every_snapshot(key) if isinstance(a, kind)) for key in ("1", "one"))
        duplicate = attrs.evolve(second, id=first.id)  # a different aggregate that reuses the id
        save(storage, first)
        with storage.unit_of_work() as uow:
            write_then_commit_fails(ConcurrencyError, uow, lambda: repository_for(uow, kind).add(duplicate))
        assert_stored_as(load(storage, kind, first.id), first, version=1)

    def test_add_of_the_same_id_twice_in_one_unit_of_work_fails(self, storage: StorageBackend) -> None:
        """Adding one id twice in a unit of work raises ConcurrencyError; nothing is stored."""
        request = full_lifecycle("1").requests[0]
        with storage.unit_of_work() as uow:
            write_then_commit_fails(
                ConcurrencyError, uow, lambda: uow.requests.add(request), lambda: uow.requests.add(request)
            )
        assert not is_stored(storage, ServiceRequest, request.id), "a failed unit of work stored the request"

    def test_add_refuses_an_aggregate_that_already_has_a_version(self, storage: StorageBackend) -> None:
        """``add`` takes only new aggregates (version 0)."""
        request = attrs.evolve(full_lifecycle("1").requests[0], version=3)
        with storage.unit_of_work() as uow:
            write_then_commit_fails(ServiceCoreError, uow, lambda: uow.requests.add(request))
        assert not is_stored(storage, ServiceRequest, request.id), "add stored an aggregate with version 3"

    # --- optimistic concurrency ----------------------------------------------

    def test_update_from_a_stale_version_raises_and_changes_nothing(self, storage: StorageBackend) -> None:
        """A stale update raises ConcurrencyError and none of the unit of work's writes are stored."""
        life = full_lifecycle("1")
        request, agreement, order = life.requests[0], life.agreements[0], life.work_orders[0]
        save(storage, request, agreement, order)
        with storage.unit_of_work() as uow:
            stale = uow.work_orders.get(order.id)  # loaded at version 1
        with storage.unit_of_work() as uow:
            winner = uow.work_orders.get(order.id).start(actor=ENGINEER, at=_LATER, note="winner")
            uow.work_orders.update(winner)
            uow.commit()

        newcomer = full_lifecycle("2").requests[0]
        with storage.unit_of_work() as uow:
            # other writes in the same unit of work, before the stale one...
            uow.requests.add(newcomer)
            uow.agreements.update(uow.agreements.get(agreement.id).submit_for_review(actor=AGENT, at=_LATER))
            uow.outbox.add(sample_notification("NTF-1"))
            loser = stale.start(actor=ENGINEER, at=_LATER, note="loser")
            write_then_commit_fails(ConcurrencyError, uow, lambda: uow.work_orders.update(loser))

        assert_stored_as(load(storage, WorkOrder, order.id), winner, version=2)
        assert_stored_as(load(storage, ServiceAgreement, agreement.id), agreement, version=1)
        assert not is_stored(storage, ServiceRequest, newcomer.id), "an add of the failed unit of work was stored"
        assert outbox_message(storage, "NTF-1") is None, "an outbox write of the failed unit of work was stored"

    def test_update_from_a_version_storage_never_had_raises(self, storage: StorageBackend) -> None:
        """An update claiming a version storage does not hold raises ConcurrencyError."""
        request = full_lifecycle("1").requests[0]
        save(storage, request)
        with storage.unit_of_work() as uow:
            loaded = uow.requests.get(request.id)
        forged = attrs.evolve(loaded.acknowledge(actor=AGENT, at=_LATER, message="forged"), version=7)
        with storage.unit_of_work() as uow:
            write_then_commit_fails(ConcurrencyError, uow, lambda: uow.requests.update(forged))
        assert_stored_as(load(storage, ServiceRequest, request.id), request, version=1)

    def test_update_of_a_missing_aggregate_raises_concurrency_error(self, storage: StorageBackend) -> None:
        """Updating an aggregate that was never stored raises ConcurrencyError and creates nothing."""
        request = attrs.evolve(full_lifecycle("1").requests[1], version=1)
        with storage.unit_of_work() as uow:
            write_then_commit_fails(ConcurrencyError, uow, lambda: uow.requests.update(request))
        assert not is_stored(storage, ServiceRequest, request.id), "update created an aggregate"

    def test_second_of_two_racing_units_of_work_fails(self, storage: StorageBackend) -> None:
        """Two units of work load one aggregate; after the first commits, the second's write fails."""
        request = full_lifecycle("1").requests[0]
        save(storage, request)
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            mine = first.requests.get(request.id)
            theirs = second.requests.get(request.id)
            first.requests.update(mine.acknowledge(actor=AGENT, at=_LATER, message="first"))
            first.commit()
            late = theirs.acknowledge(actor=REVIEWER, at=_LATER, message="second")
            write_then_commit_fails(ConcurrencyError, second, lambda: second.requests.update(late))
        got = load(storage, ServiceRequest, request.id)
        assert got.version == 2, f"version {got.version} after one successful update"
        assert got.first_response is not None
        assert got.first_response.message == "first", f"the losing unit of work overwrote the winner: {got!r}"

    def test_racing_adds_of_one_id_let_only_the_first_commit(self, storage: StorageBackend) -> None:
        """Two units of work add one id; only the first to commit succeeds."""
        first_request = full_lifecycle("1").requests[0]
        second_request = attrs.evolve(full_lifecycle("other").requests[0], id=first_request.id)
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            with pytest.raises(NotFoundError):
                second.requests.get(first_request.id)
            first.requests.add(first_request)
            first.commit()
            write_then_commit_fails(ConcurrencyError, second, lambda: second.requests.add(second_request))
        assert_stored_as(load(storage, ServiceRequest, first_request.id), first_request, version=1)

    def test_commit_is_atomic_when_another_writer_commits_first(self, storage: StorageBackend) -> None:
        """A commit that loses a race writes nothing at all: no add, no update, no outbox row."""
        if not self.interleaved_writers:
            pytest.skip("this backend declares that writers block each other until commit")
        life = full_lifecycle("1")
        request, agreement, order, acceptance = (
            life.requests[0],
            life.agreements[0],
            life.work_orders[0],
            (life.acceptances[0]),
        )
        save(storage, request, agreement, order, acceptance)
        newcomer = full_lifecycle("2").requests[0]
        with storage.unit_of_work() as slow:
            # every kind of write, staged but not committed; the acceptance is the contested one
            slow.requests.add(newcomer)
            slow.agreements.update(slow.agreements.get(agreement.id).submit_for_review(actor=AGENT, at=_LATER))
            slow.work_orders.update(slow.work_orders.get(order.id).start(actor=ENGINEER, at=_LATER))
            slow.outbox.add(sample_notification("NTF-slow"))
            contested = slow.acceptances.get(acceptance.id)
            slow.acceptances.update(
                contested.record_inspection(actor=_inspector_of(contested), at=_LATER, results=_all_pass(contested))
            )

            with storage.unit_of_work() as fast:
                loaded = fast.acceptances.get(acceptance.id)
                won = loaded.record_inspection(
                    actor=_inspector_of(loaded), at=_LATER, results=_all_pass(loaded), note="fast"
                )
                fast.acceptances.update(won)
                fast.commit()

            with pytest.raises(ConcurrencyError):
                slow.commit()

        assert_stored_as(load(storage, Acceptance, acceptance.id), won, version=2)
        assert_stored_as(load(storage, ServiceAgreement, agreement.id), agreement, version=1)
        assert_stored_as(load(storage, WorkOrder, order.id), order, version=1)
        assert not is_stored(storage, ServiceRequest, newcomer.id), "a failed commit stored part of its writes"
        assert outbox_message(storage, "NTF-slow") is None, "a failed commit stored its outbox writes"

    # --- transactions -------------------------------------------------------

    def test_leaving_the_block_without_commit_discards_everything(self, storage: StorageBackend) -> None:
        """Leaving the ``with`` block without ``commit`` discards every write."""
        life = full_lifecycle("1")
        save(storage, life.requests[0])
        newcomer = full_lifecycle("2").acceptances[-1]
        with storage.unit_of_work() as uow:
            uow.acceptances.add(newcomer)
            uow.requests.update(uow.requests.get(life.requests[0].id).acknowledge(actor=AGENT, at=_LATER, message="x"))
            uow.outbox.add(sample_notification("NTF-1"))
        assert not is_stored(storage, Acceptance, newcomer.id), "an uncommitted add was stored"
        assert_stored_as(load(storage, ServiceRequest, life.requests[0].id), life.requests[0], version=1)
        assert outbox_message(storage, "NTF-1") is None, "an uncommitted outbox write was stored"

    def test_an_exception_in_the_block_propagates_and_discards_everything(self, storage: StorageBackend) -> None:
        """An exception inside the block propagates (is not swallowed) and nothing is written."""
        request = full_lifecycle("1").requests[0]

        def failing_block() -> None:
            with storage.unit_of_work() as uow:
                uow.requests.add(request)
                uow.outbox.add(sample_notification("NTF-1"))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            failing_block()
        assert not is_stored(storage, ServiceRequest, request.id)
        assert outbox_message(storage, "NTF-1") is None

    def test_rollback_discards_everything(self, storage: StorageBackend) -> None:
        """``rollback`` discards every staged write, also for reads in the same unit of work."""
        life = full_lifecycle("1")
        save(storage, life.agreements[0])
        with storage.unit_of_work() as uow:
            uow.requests.add(life.requests[0])
            uow.agreements.update(uow.agreements.get(life.agreements[0].id).submit_for_review(actor=AGENT, at=_LATER))
            uow.outbox.add(sample_notification("NTF-1"))
            uow.rollback()
            with pytest.raises(NotFoundError):
                uow.requests.get(life.requests[0].id)
            with pytest.raises(NotFoundError):
                uow.outbox.get("NTF-1")
            assert uow.agreements.get(life.agreements[0].id).version == 1, "rollback kept a staged update"
            uow.commit()  # nothing is left to commit
        assert not is_stored(storage, ServiceRequest, life.requests[0].id)
        assert_stored_as(load(storage, ServiceAgreement, life.agreements[0].id), life.agreements[0], version=1)
        assert outbox_message(storage, "NTF-1") is None

    def test_uncommitted_writes_are_invisible_to_other_units_of_work(self, storage: StorageBackend) -> None:
        """Other units of work see neither uncommitted adds, updates nor outbox writes."""
        life = full_lifecycle("1")
        request, agreement = life.requests[0], life.agreements[0]
        save(storage, agreement)
        with storage.unit_of_work() as writer:
            writer.requests.add(request)
            writer.agreements.update(writer.agreements.get(agreement.id).submit_for_review(actor=AGENT, at=_LATER))
            writer.outbox.add(sample_notification("NTF-1"))
            with storage.unit_of_work() as reader:
                with pytest.raises(NotFoundError):
                    reader.requests.get(request.id)
                _check_ids(reader.requests.list(), [], "another unit of work lists an uncommitted add")
                assert reader.agreements.get(agreement.id).status is AgreementStatus.DRAFT, (
                    "another unit of work sees an uncommitted update"
                )
                _check_ids(
                    reader.agreements.list(ListQuery(status="in_review")),
                    [],
                    "another unit of work lists an uncommitted update",
                )
                assert list(reader.outbox.pending()) == [], "another unit of work sees an uncommitted outbox write"
                with pytest.raises(NotFoundError):
                    reader.outbox.get("NTF-1")
            writer.commit()
        assert is_stored(storage, ServiceRequest, request.id), "committed add not visible to a new unit of work"
        assert load(storage, ServiceAgreement, agreement.id).status is AgreementStatus.IN_REVIEW
        assert _pending_ids(storage) == ["NTF-1"]

    # --- listing ------------------------------------------------------------

    def test_list_is_ordered_by_id_and_pages(self, storage: StorageBackend) -> None:
        """``list`` is ordered by id and pages with ``limit`` and ``offset``."""
        requests = [full_lifecycle(f"{n:02d}").requests[0] for n in (7, 3, 10, 1, 5, 2, 9, 4, 8, 6)]
        save(storage, *requests[:5])
        save(storage, *requests[5:])
        ordered = sorted(r.id for r in requests)
        with storage.unit_of_work() as uow:
            everything = uow.requests.list()
            _check_ids(everything, ordered, "list()")
            for got in everything:
                assert got.version == 1, "list returns aggregates as stored"
                assert got.events == (), "list returns aggregates without events"
            _check_ids(uow.requests.list(ListQuery(limit=3)), ordered[:3], "list(limit=3)")
            _check_ids(uow.requests.list(ListQuery(limit=3, offset=3)), ordered[3:6], "list(limit=3, offset=3)")
            _check_ids(uow.requests.list(ListQuery(limit=3, offset=9)), ordered[9:], "list(limit=3, offset=9)")
            _check_ids(uow.requests.list(ListQuery(offset=10)), [], "list(offset=10)")
            _check_ids(uow.requests.list(ListQuery(offset=50)), [], "list(offset=50)")
            _check_ids(uow.requests.list(ListQuery(limit=0)), [], "list(limit=0)")

    @pytest.mark.parametrize("kind", AGGREGATE_TYPES, ids=lambda kind: kind.__name__)
    def test_list_filters_by_status(self, storage: StorageBackend, kind: type[Any]) -> None:
        """``list(status=...)`` returns only aggregates in that status, ordered and paged."""
        picks = (0, 1, 0, 2, 0, 1)  # snapshot index per lifecycle: three in the first state, two in the second
        stored: list[Aggregate] = []
        for n, pick in enumerate(picks):
            snapshots = [a for a in _every_snapshot(f"{n:02d}") if isinstance(a, kind)]
            stored.append(snapshots[pick])
        save(storage, *stored)
        first_state = stored[0].status.value
        matching = sorted(a.id for a in stored if a.status.value == first_state)
        assert len(matching) == 3
        with storage.unit_of_work() as uow:
            repository = repository_for(uow, kind)
            _check_ids(repository.list(ListQuery(status=first_state)), matching, f"list(status={first_state!r})")
            _check_ids(repository.list(ListQuery(status=first_state, limit=2)), matching[:2], "filtered first page")
            _check_ids(
                repository.list(ListQuery(status=first_state, limit=2, offset=2)), matching[2:], "filtered second page"
            )
            with pytest.raises(ValidationError, match="statuses: "):  # a typo is an error, not an empty page
                repository.list(ListQuery(status="no-such-status"))
            _check_ids(repository.list(), sorted(a.id for a in stored), "list()")

    # --- the generic repository ----------------------------------------------

    @pytest.mark.parametrize("kind", AGGREGATE_TYPES, ids=lambda kind: kind.__name__)
    def test_repository_of_a_class_is_the_typed_repository(self, storage: StorageBackend, kind: type[Any]) -> None:
        """``uow.repository(cls)`` stores and loads the same aggregates as the typed property."""
        sample = next(a for a in reversed(_every_snapshot("1")) if isinstance(a, kind))
        with storage.unit_of_work() as uow:
            uow.repository(kind).add(sample)
            assert_stored_as(repository_for(uow, kind).get(sample.id), sample, version=1)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert_stored_as(uow.repository(kind).get(sample.id), sample, version=1)
            _check_ids(uow.repository(kind).list(), [sample.id], f"repository({kind.__name__}).list()")

    def test_repository_of_an_unregistered_class_raises_validation_error(self, storage: StorageBackend) -> None:
        """Asking for the repository of a class that is not an aggregate kind names ``cls``."""
        with storage.unit_of_work() as uow, pytest.raises(ValidationError) as caught:
            uow.repository(Actor)
        assert caught.value.field == "cls", f"the error names {caught.value.field!r}"

    # --- queries ------------------------------------------------------------------

    @pytest.mark.parametrize("kind", [ServiceRequest, ServiceAgreement], ids=lambda kind: kind.__name__)
    def test_list_filters_by_customer(self, storage: StorageBackend, kind: type[Any]) -> None:
        """``list(customer_id=...)`` keeps one customer's aggregates, ordered by id, paged, with ``status``."""
        stored = [
            _with_customer(_nth_of(kind, n, pick), customer)
            for n, (pick, customer) in enumerate(
                [(0, "C-a"), (1, "C-b"), (0, "C-a"), (1, "C-a"), (0, "C-b"), (1, "C-a"), (0, "C-%")]
            )
        ]
        save(storage, *stored)
        of_a = sorted(a.id for a in stored if _customer_of(a) == "C-a")
        assert len(of_a) == 4
        first_state = _nth_of(kind, 0, 0).status.value
        of_a_first = sorted(a.id for a in stored if _customer_of(a) == "C-a" and a.status.value == first_state)
        with storage.unit_of_work() as uow:
            repository = repository_for(uow, kind)
            _check_ids(repository.list(ListQuery(customer_id="C-a")), of_a, "list(customer_id='C-a')")
            _check_ids(repository.list(ListQuery(customer_id="C-a", limit=2)), of_a[:2], "first page")
            _check_ids(repository.list(ListQuery(customer_id="C-a", limit=2, offset=2)), of_a[2:], "second page")
            _check_ids(repository.list(ListQuery(customer_id="C-a", offset=4)), [], "past the end")
            _check_ids(
                repository.list(ListQuery(customer_id="C-a", status=first_state)),
                of_a_first,
                f"list(customer_id='C-a', status={first_state!r})",
            )
            _check_ids(repository.list(ListQuery(customer_id="C-")), [], "a prefix is not a match")
            _check_ids(repository.list(ListQuery(customer_id="C-_")), [], "'_' is not a wildcard")
            _check_ids(repository.list(ListQuery(customer_id="C-%")), [stored[-1].id], "'%' is matched literally")
            _check_ids(repository.list(ListQuery(customer_id="nobody")), [], "list(customer_id='nobody')")

    def test_list_filters_by_assignee_and_follows_reassignment(self, storage: StorageBackend) -> None:
        """``list(assignee_id=...)`` finds work orders by any of their assignees, also after a reassignment."""
        team = {"WO-1": ("E-1", "E-2"), "WO-2": ("E-2",), "WO-3": ("E-3",), "WO-4": ("E-3", "E-2"), "WO-5": ("E-22",)}
        base = full_lifecycle("1").work_orders[0]
        orders = [
            attrs.evolve(base, id=WorkOrderId(key), assignees=[ActorId(p) for p in people])
            for key, people in team.items()
        ]
        save(storage, *orders)
        with storage.unit_of_work() as uow:
            _check_ids(uow.work_orders.list(ListQuery(assignee_id="E-2")), ["WO-1", "WO-2", "WO-4"], "assignee E-2")
            _check_ids(
                uow.work_orders.list(ListQuery(assignee_id="E-2", limit=1, offset=1)), ["WO-2"], "assignee E-2, paged"
            )
            _check_ids(uow.work_orders.list(ListQuery(assignee_id="E-3")), ["WO-3", "WO-4"], "assignee E-3")
            _check_ids(uow.work_orders.list(ListQuery(assignee_id="E-")), [], "a prefix is not a match")
            _check_ids(
                uow.work_orders.list(ListQuery(assignee_id="E-2", status="in_progress")), [], "assignee and status"
            )
        with storage.unit_of_work() as uow:
            moved = uow.work_orders.get("WO-1").reassign(actor=AGENT, at=_LATER, assignees=[ActorId("E-3")])
            uow.work_orders.update(moved)
            started = uow.work_orders.get("WO-2").start(actor=Actor(ActorId("E-2"), "E 2", ["engineer"]), at=_LATER)
            uow.work_orders.update(started)
            _check_ids(uow.work_orders.list(ListQuery(assignee_id="E-2")), ["WO-2", "WO-4"], "own reassignment, E-2")
            _check_ids(
                uow.work_orders.list(ListQuery(assignee_id="E-3")), ["WO-1", "WO-3", "WO-4"], "own reassignment, E-3"
            )
            _check_ids(
                uow.work_orders.list(ListQuery(assignee_id="E-2", status="in_progress")), ["WO-2"], "own status change"
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            _check_ids(uow.work_orders.list(ListQuery(assignee_id="E-2")), ["WO-2", "WO-4"], "after commit, E-2")
            _check_ids(uow.work_orders.list(ListQuery(assignee_id="E-1")), [], "after commit, E-1")
            _check_ids(
                uow.work_orders.list(ListQuery(assignee_id="E-3")), ["WO-1", "WO-3", "WO-4"], "after commit, E-3"
            )

    def test_list_finds_acceptances_by_their_inspector(self, storage: StorageBackend) -> None:
        """An acceptance is listed under its designated inspector as assignee."""
        acceptance = full_lifecycle("1").acceptances[-1]
        save(storage, acceptance)
        with storage.unit_of_work() as uow:
            _check_ids(
                uow.acceptances.list(ListQuery(assignee_id=acceptance.inspector.person.id)),
                [acceptance.id],
                "by inspector",
            )
            _check_ids(uow.acceptances.list(ListQuery(assignee_id="E-010")), [], "by someone else")

    def test_queries_see_the_unit_of_works_own_writes(self, storage: StorageBackend) -> None:
        """Filters and paging apply to what this unit of work wrote, merged with what is committed."""
        requests = [_with_customer(_nth_of(ServiceRequest, n, 0), "C-a") for n in range(5)]
        save(storage, *requests[:4])
        with storage.unit_of_work() as uow:
            uow.requests.add(requests[4])
            changed = uow.requests.get(requests[1].id).acknowledge(actor=AGENT, at=_LATER, message="hi")
            uow.requests.update(changed)
            ids = sorted(r.id for r in requests)
            received = [i for i in ids if i != requests[1].id]
            _check_ids(uow.requests.list(ListQuery(customer_id="C-a")), ids, "all, with the own add")
            _check_ids(uow.requests.list(ListQuery(status="received")), received, "own status change leaves 'received'")
            _check_ids(uow.requests.list(ListQuery(status="received", limit=2, offset=1)), received[1:3], "paged")
            _check_ids(uow.requests.list(ListQuery(status="acknowledged")), [requests[1].id], "own status change")
            with storage.unit_of_work() as other:
                _check_ids(other.requests.list(ListQuery(status="acknowledged")), [], "another unit of work")

    def test_bad_query_arguments_raise_validation_error_naming_the_field(self, storage: StorageBackend) -> None:
        """Negative or non-integer paging, empty or non-string filters, a list query that is not a ListQuery,
        a naive instant: ValidationError naming it."""
        naive = datetime(2026, 3, 2, 9, 0)
        calls: list[tuple[str, Callable[[UnitOfWork], object]]] = [
            ("limit", lambda uow: uow.requests.list(ListQuery(limit=-1))),
            ("offset", lambda uow: uow.requests.list(ListQuery(offset=-1))),
            ("limit", lambda uow: uow.requests.list(ListQuery(limit="10"))),  # type: ignore[arg-type]
            ("offset", lambda uow: uow.requests.list(ListQuery(offset=True))),
            ("status", lambda uow: uow.requests.list(ListQuery(status=""))),
            ("status", lambda uow: uow.requests.list(ListQuery(status=3))),  # type: ignore[arg-type]
            ("customer_id", lambda uow: uow.agreements.list(ListQuery(customer_id=""))),
            ("assignee_id", lambda uow: uow.work_orders.list(ListQuery(assignee_id=7))),  # type: ignore[arg-type]
            ("query", lambda uow: uow.requests.list("received")),  # type: ignore[arg-type]
            ("query", lambda uow: uow.requests.list({"status": "received"})),  # type: ignore[arg-type]
            ("at_or_before", lambda uow: uow.requests.due_for_sla(at_or_before=naive)),
            ("limit", lambda uow: uow.requests.due_for_sla(at_or_before=_LATER, limit=-5)),
            ("at", lambda uow: uow.outbox.due(at=naive)),
            ("limit", lambda uow: uow.outbox.due(at=_LATER, limit=-1)),
            ("limit", lambda uow: uow.outbox.pending(limit=-1)),
        ]
        with storage.unit_of_work() as uow:
            for field, call in calls:
                with pytest.raises(ValidationError) as caught:
                    call(uow)
                assert caught.value.field == field, f"expected the error to name {field!r}: {caught.value}"

    def test_due_for_sla_orders_by_check_instant_then_id(
        self, storage: StorageBackend, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The SLA scan returns aggregates checked at or before the instant, by (instant, id), ``limit`` first."""
        minus_five = timezone(timedelta(hours=-5))
        base = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
        checks = {
            "REQ-e": base,
            "REQ-b": base.astimezone(minus_five),  # the same instant in another offset: ordered by id
            "REQ-a": base + timedelta(minutes=5),
            "REQ-d": base - timedelta(hours=1),
            "REQ-c": base + timedelta(hours=1),  # later than the scan
            "REQ-f": None,  # no clock running
        }
        _schedule_checks(monkeypatch, {(key, 1): at for key, at in checks.items()})
        template = full_lifecycle("1").requests[0]
        save(storage, *(attrs.evolve(template, id=RequestId(key)) for key in checks))
        scan_at = base + timedelta(minutes=5)
        with storage.unit_of_work() as uow:
            _check_ids(uow.requests.due_for_sla(at_or_before=scan_at), ["REQ-d", "REQ-b", "REQ-e", "REQ-a"], "scan")
            _check_ids(uow.requests.due_for_sla(at_or_before=scan_at, limit=2), ["REQ-d", "REQ-b"], "limit=2")
            _check_ids(uow.requests.due_for_sla(at_or_before=base - timedelta(days=1)), [], "nothing due yet")
            _check_ids(uow.agreements.due_for_sla(at_or_before=scan_at), [], "another kind")
            for got in uow.requests.due_for_sla(at_or_before=scan_at):
                assert got.version == 1, "the scan returns aggregates as stored"
                assert got.events == (), "the scan returns aggregates without events"

    def test_due_for_sla_follows_updates_and_own_writes(
        self, storage: StorageBackend, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An update that moves or stops the clock moves the aggregate in the scan, first for its own unit of work."""
        base = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
        _schedule_checks(
            monkeypatch,
            {
                ("REQ-1", 1): base,
                ("REQ-1", 2): None,  # the clock stops at version 2
                ("REQ-2", 1): base + timedelta(days=1),
                ("REQ-2", 2): base - timedelta(minutes=1),  # and moves earlier for this one
            },
        )
        template = full_lifecycle("1").requests[0]
        save(storage, *(attrs.evolve(template, id=RequestId(key)) for key in ("REQ-1", "REQ-2")))
        with storage.unit_of_work() as uow:
            _check_ids(uow.requests.due_for_sla(at_or_before=base), ["REQ-1"], "before the updates")
            for key in ("REQ-1", "REQ-2"):
                uow.requests.update(uow.requests.get(key).acknowledge(actor=AGENT, at=_LATER, message="ok"))
            _check_ids(uow.requests.due_for_sla(at_or_before=base), ["REQ-2"], "own updates")
            with storage.unit_of_work() as other:
                _check_ids(other.requests.due_for_sla(at_or_before=base), ["REQ-1"], "uncommitted updates")
            uow.commit()
        with storage.unit_of_work() as uow:
            _check_ids(uow.requests.due_for_sla(at_or_before=base), ["REQ-2"], "after commit")

    # --- the outbox ---------------------------------------------------------

    def test_outbox_round_trips_a_notification(self, storage: StorageBackend) -> None:
        """A queued notification comes back equal, pending, with no attempts."""
        notification = sample_notification("NTF-1", text=HOSTILE_TEXTS["unicode"])
        with storage.unit_of_work() as uow:
            uow.outbox.add(notification)
            uow.commit()
        message = outbox_message(storage, "NTF-1")
        assert message == OutboxMessage(notification=notification), f"outbox returned {message!r}"
        assert message is not None
        assert isinstance(message.notification.recipients, tuple), "recipients must come back as a tuple"
        assert message.notification.created_at.utcoffset() == notification.created_at.utcoffset()

    def test_pending_is_oldest_first_by_instant(self, storage: StorageBackend) -> None:
        """``pending`` is oldest first by instant (not by local clock time) and honours ``limit``."""
        utc, minus_five = UTC, timezone(timedelta(hours=-5))
        # local clock times sort differently from the instants: 09:00+08:00 is 01:00 UTC
        times = {
            "NTF-c": datetime(2026, 3, 2, 9, 0, tzinfo=START.tzinfo),  # 01:00Z
            "NTF-a": datetime(2026, 3, 2, 2, 30, tzinfo=utc),  # 02:30Z
            "NTF-b": datetime(2026, 3, 1, 22, 0, tzinfo=minus_five),  # 03:00Z
            "NTF-0": datetime(2026, 3, 2, 0, 15, tzinfo=utc),  # 00:15Z
        }
        for notification_id in ("NTF-a", "NTF-b"):
            with storage.unit_of_work() as uow:
                uow.outbox.add(sample_notification(notification_id, created_at=times[notification_id]))
                uow.commit()
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-c", created_at=times["NTF-c"]))
            uow.outbox.add(sample_notification("NTF-0", created_at=times["NTF-0"]))
            uow.commit()
        oldest_first = ["NTF-0", "NTF-c", "NTF-a", "NTF-b"]
        assert _pending_ids(storage) == oldest_first, f"pending order {_pending_ids(storage)}, expected {oldest_first}"
        assert _pending_ids(storage, limit=2) == oldest_first[:2], "pending(limit=2) is not the two oldest"
        with storage.unit_of_work() as uow:
            for message in uow.outbox.pending():
                assert message.status is DeliveryStatus.PENDING, f"{message!r}"
                assert message.attempts == 0, f"{message!r}"

    def test_mark_delivered(self, storage: StorageBackend) -> None:
        """``mark_delivered`` records the time and an attempt and removes the message from ``pending``."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1"))
            uow.outbox.add(sample_notification("NTF-2", created_at=START + timedelta(seconds=1)))
            uow.commit()
        delivered_at = _LATER.astimezone(timezone(timedelta(hours=-3)))
        with storage.unit_of_work() as uow:
            uow.outbox.mark_delivered("NTF-1", at=delivered_at)
            uow.commit()
        message = outbox_message(storage, "NTF-1")
        assert message is not None
        assert message.status is DeliveryStatus.DELIVERED, f"status {message.status!r} after mark_delivered"
        assert message.delivered_at == delivered_at, f"delivered_at {message.delivered_at!r}"
        assert message.delivered_at.utcoffset() == delivered_at.utcoffset(), "delivered_at lost its UTC offset"
        assert message.attempts == 1, f"attempts {message.attempts} after one successful delivery"
        assert message.last_error == ""
        assert message.last_attempt_at == delivered_at, f"last_attempt_at {message.last_attempt_at!r}"
        assert _pending_ids(storage) == ["NTF-2"], "a delivered message is still pending"

    def test_mark_failed_keeps_the_message_pending_and_counts_attempts(self, storage: StorageBackend) -> None:
        """A non-final failure counts an attempt, keeps the error and leaves the message pending."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1"))
            uow.commit()
        for attempt, error in enumerate(("timeout", HOSTILE_TEXTS["sql"]), start=1):
            with storage.unit_of_work() as uow:
                uow.outbox.mark_failed("NTF-1", at=_LATER + timedelta(minutes=attempt), error=error)
                uow.commit()
            message = outbox_message(storage, "NTF-1")
            assert message is not None
            assert message.status is DeliveryStatus.PENDING, f"status {message.status!r} after a non-final failure"
            assert message.attempts == attempt, f"attempts {message.attempts}, expected {attempt}"
            assert message.last_error == error, f"last_error {message.last_error!r}"
            assert message.delivered_at is None
            assert _pending_ids(storage) == ["NTF-1"], "a message that failed (not finally) must stay pending"

    def test_mark_failed_final_stops_further_attempts(self, storage: StorageBackend) -> None:
        """A final failure marks the message failed and removes it from ``pending``."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1"))
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.outbox.mark_failed("NTF-1", at=_LATER, error="first")
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.outbox.mark_failed("NTF-1", at=_LATER, error="gave up", final=True)
            uow.commit()
        message = outbox_message(storage, "NTF-1")
        assert message is not None
        assert message.status is DeliveryStatus.FAILED, f"status {message.status!r} after a final failure"
        assert message.attempts == 2, f"attempts {message.attempts}, expected 2"
        assert message.last_error == "gave up", f"last_error {message.last_error!r}"
        assert _pending_ids(storage) == [], "a finally failed message is still pending"

    def test_due_honours_the_retry_time_and_orders_by_it(self, storage: StorageBackend) -> None:
        """A failed message is due again from ``retry_at``; ``due`` orders by due time, then age, then id."""
        minus_three = timezone(timedelta(hours=-3))
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1", created_at=START))
            uow.outbox.add(sample_notification("NTF-2", created_at=START + timedelta(minutes=1)))
            uow.outbox.add(sample_notification("NTF-3", created_at=START + timedelta(minutes=2)))
            uow.commit()
        retry_at = (START + timedelta(minutes=30)).astimezone(minus_three)
        attempt_at = (START + timedelta(minutes=5)).astimezone(UTC)
        with storage.unit_of_work() as uow:
            uow.outbox.mark_failed("NTF-1", at=attempt_at, error="timeout", retry_at=retry_at)
            uow.commit()
        message = outbox_message(storage, "NTF-1")
        assert message is not None
        assert message.status is DeliveryStatus.PENDING, f"{message!r}"
        assert message.attempts == 1, f"{message!r}"
        assert message.next_attempt_at == retry_at, f"next_attempt_at {message.next_attempt_at!r}"
        assert message.next_attempt_at.utcoffset() == retry_at.utcoffset(), "next_attempt_at lost its offset"
        assert message.last_attempt_at == attempt_at, f"last_attempt_at {message.last_attempt_at!r}"
        assert message.last_attempt_at.utcoffset() == attempt_at.utcoffset(), "last_attempt_at lost its offset"

        def due(at: datetime, limit: int = 100) -> list[str]:
            with storage.unit_of_work() as uow:
                return [m.notification.id for m in uow.outbox.due(at=at, limit=limit)]

        assert due(START - timedelta(seconds=1)) == [], "nothing is due before it was queued"
        assert due(START + timedelta(minutes=1)) == ["NTF-2"], "a message is due from its creation"
        assert due(retry_at - timedelta(microseconds=1)) == ["NTF-2", "NTF-3"], "NTF-1 waits for its retry time"
        assert due(retry_at) == ["NTF-2", "NTF-3", "NTF-1"], "ordered by due time"
        assert due(retry_at, limit=1) == ["NTF-2"], "limit"
        assert _pending_ids(storage) == ["NTF-1", "NTF-2", "NTF-3"], "pending ignores retry times"

    def test_a_finally_failed_or_delivered_message_is_never_due(self, storage: StorageBackend) -> None:
        """Neither a delivered nor a finally failed message is due or claimable again."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1"))
            uow.outbox.add(sample_notification("NTF-2"))
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.outbox.mark_failed("NTF-1", at=_LATER, error="gave up", final=True, retry_at=_LATER)
            uow.outbox.mark_delivered("NTF-2", at=_LATER)
            assert list(uow.outbox.due(at=_LATER)) == [], "own marks"
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.outbox.due(at=_LATER + timedelta(days=1))) == []
            assert list(uow.outbox.claim_due(at=_LATER + timedelta(days=1))) == []
        message = outbox_message(storage, "NTF-1")
        assert message is not None
        assert message.status is DeliveryStatus.FAILED, f"{message!r}"
        assert message.last_attempt_at == _LATER, f"{message!r}"

    def test_claimed_messages_are_held_until_the_unit_of_work_ends(self, storage: StorageBackend) -> None:
        """While one unit of work holds claimed messages, another one's claim never returns them.

        The second claim runs in another thread: a backend may skip the held
        messages (row locks) or wait until the first unit of work ends.
        """
        with storage.unit_of_work() as uow:
            for n in (1, 2, 3):
                uow.outbox.add(sample_notification(f"NTF-{n}", created_at=START + timedelta(minutes=n)))
            uow.commit()
        seen: dict[str, list[str]] = {}
        errors: list[BaseException] = []

        def second_dispatcher() -> None:
            try:
                with storage.unit_of_work() as uow:
                    claimed = uow.outbox.claim_due(at=_LATER, limit=10)
                    seen["second"] = [m.notification.id for m in claimed]
                    for message in claimed:
                        uow.outbox.mark_delivered(message.notification.id, at=_LATER)
                    uow.commit()
            except BaseException as exc:  # re-raised in the test's thread
                errors.append(exc)

        with storage.unit_of_work() as first:
            claimed = first.outbox.claim_due(at=_LATER, limit=2)
            seen["first"] = [m.notification.id for m in claimed]
            assert seen["first"] == ["NTF-1", "NTF-2"], f"claim_due returned {seen['first']}"
            thread = threading.Thread(target=second_dispatcher)
            thread.start()
            for message in claimed:
                first.outbox.mark_delivered(message.notification.id, at=_LATER)
            first.commit()
        thread.join(timeout=120)
        assert not thread.is_alive(), "the second claim never returned"
        if errors:
            raise errors[0]
        assert seen["second"] == ["NTF-3"], f"the second dispatcher claimed {seen['second']}"
        for n in (1, 2, 3):
            delivered = outbox_message(storage, f"NTF-{n}")
            assert delivered is not None
            assert (delivered.status, delivered.attempts) == (DeliveryStatus.DELIVERED, 1), f"twice: {delivered!r}"

    def test_a_claimed_message_is_not_due_until_the_claim_ends(self, storage: StorageBackend) -> None:
        """``mark_claimed`` holds a message past its transaction without counting an attempt; a result clears it."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1"))
            uow.outbox.add(sample_notification("NTF-2"))
            uow.commit()
        until = _LATER + timedelta(minutes=5)
        with storage.unit_of_work() as uow:
            uow.outbox.mark_claimed("NTF-1", until=until)
            uow.outbox.mark_claimed("NTF-2", until=until)
            uow.commit()

        def due(at: datetime) -> list[str]:
            with storage.unit_of_work() as uow:
                return [m.notification.id for m in uow.outbox.claim_due(at=at)]

        assert due(until - timedelta(microseconds=1)) == [], "a claimed message is not due before its claim ends"
        assert due(until) == ["NTF-1", "NTF-2"], "a claim that ran out is due again"
        claimed = outbox_message(storage, "NTF-1")
        assert claimed is not None
        assert (claimed.claimed_until, claimed.attempts, claimed.status) == (until, 0, DeliveryStatus.PENDING)
        assert _pending_ids(storage) == ["NTF-1", "NTF-2"], "a claimed message is still pending"
        with storage.unit_of_work() as uow:
            uow.outbox.mark_delivered("NTF-1", at=_LATER)
            uow.outbox.mark_claimed("NTF-2", until=None)
            uow.commit()
        delivered, released = outbox_message(storage, "NTF-1"), outbox_message(storage, "NTF-2")
        assert delivered is not None
        assert released is not None
        assert (delivered.claimed_until, delivered.attempts) == (None, 1), "recording a result clears the claim"
        assert released == OutboxMessage(notification=released.notification), "a release restores the message"
        assert due(_LATER) == ["NTF-2"]

    def test_a_claim_taken_over_cannot_be_overwritten(self, storage: StorageBackend) -> None:
        """Two units of work mark one message; the one that commits second is refused, claims included."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1"))
            uow.commit()
        with storage.unit_of_work() as late:
            late.outbox.mark_claimed("NTF-1", until=_LATER + timedelta(minutes=1))
            with storage.unit_of_work() as first:
                first.outbox.mark_claimed("NTF-1", until=_LATER)
                first.commit()
            with pytest.raises(ConcurrencyError):
                late.commit()
        message = outbox_message(storage, "NTF-1")
        assert message is not None
        assert message.claimed_until == _LATER

    def test_claims_end_with_a_rollback(self, storage: StorageBackend) -> None:
        """Messages claimed by a unit of work that rolls back are due and claimable again, unchanged."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [m.notification.id for m in uow.outbox.claim_due(at=_LATER)] == ["NTF-1"]
            uow.outbox.mark_delivered("NTF-1", at=_LATER)
        with storage.unit_of_work() as uow:
            again = uow.outbox.claim_due(at=_LATER)
            assert [m.notification.id for m in again] == ["NTF-1"], "a rolled-back claim is claimable again"
            assert again[0].attempts == 0, f"{again[0]!r}"
            uow.outbox.mark_failed("NTF-1", at=_LATER, error="x", retry_at=_LATER + timedelta(minutes=1))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.outbox.claim_due(at=_LATER)) == [], "not before the retry time"
            assert [m.notification.id for m in uow.outbox.claim_due(at=_LATER + timedelta(minutes=1))] == ["NTF-1"]

    def test_outbox_marks_of_an_unknown_message_raise_not_found(self, storage: StorageBackend) -> None:
        """``get`` and the marks raise NotFoundError for an unknown notification id."""
        with storage.unit_of_work() as uow:
            with pytest.raises(NotFoundError):
                uow.outbox.get("NTF-404")
            with pytest.raises(NotFoundError):
                uow.outbox.mark_delivered("NTF-404", at=_LATER)
            with pytest.raises(NotFoundError):
                uow.outbox.mark_failed("NTF-404", at=_LATER, error="x")

    def test_outbox_refuses_a_duplicate_notification_id(self, storage: StorageBackend) -> None:
        """Queueing a second notification with a queued id fails (DuplicateIdError) and keeps the first."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1", text="original"))
            uow.commit()
        impostor = sample_notification("NTF-1", text="impostor")
        with storage.unit_of_work() as uow:
            write_then_commit_fails(DuplicateIdError, uow, lambda: uow.outbox.add(impostor))
        message = outbox_message(storage, "NTF-1")
        assert message is not None
        assert message.notification.subject.endswith("original"), "a duplicate add replaced the queued message"

    def test_racing_outbox_adds_of_one_id_let_only_the_first_commit(self, storage: StorageBackend) -> None:
        """Two units of work queue the same notification id; the second commit fails, the first stays."""
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            first.outbox.add(sample_notification("NTF-1", text="first"))
            first.commit()
            write_then_commit_fails(
                ServiceCoreError, second, lambda: second.outbox.add(sample_notification("NTF-1", text="second"))
            )
        message = outbox_message(storage, "NTF-1")
        assert message is not None
        assert message.notification.subject.endswith("first"), "the losing unit of work replaced the message"

    def test_racing_delivery_marks_lose_no_attempt(self, storage: StorageBackend) -> None:
        """Two dispatchers mark one message; the second commit fails, so no attempt is lost or doubled."""
        if not self.interleaved_writers:
            pytest.skip("this backend's writers block each other until commit")
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1"))
            uow.commit()
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            first.outbox.mark_failed("NTF-1", at=_LATER, error="first")
            second.outbox.mark_failed("NTF-1", at=_LATER, error="second")
            first.commit()
            with pytest.raises(ServiceCoreError):
                second.commit()
        message = outbox_message(storage, "NTF-1")
        assert message is not None
        assert (message.attempts, message.last_error) == (1, "first"), f"{message!r}"

    def test_outbox_marks_roll_back_with_the_transaction(self, storage: StorageBackend) -> None:
        """Outbox adds and marks are part of the transaction: not committed, not stored."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1"))
            uow.outbox.add(sample_notification("NTF-2"))
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.outbox.mark_delivered("NTF-1", at=_LATER)
            uow.outbox.mark_failed("NTF-2", at=_LATER, error="x", final=True)
            uow.outbox.add(sample_notification("NTF-3"))
            assert [m.notification.id for m in uow.outbox.pending()] == ["NTF-3"], "marks are visible to their writer"
        with storage.unit_of_work() as uow:
            uow.outbox.mark_delivered("NTF-1", at=_LATER)
            uow.rollback()
        assert _pending_ids(storage) == ["NTF-1", "NTF-2"], "rolled-back outbox writes were stored"
        for notification_id in ("NTF-1", "NTF-2"):
            message = outbox_message(storage, notification_id)
            assert message is not None
            assert message.attempts == 0, f"{message!r}"
            assert message.status is DeliveryStatus.PENDING, f"{message!r}"

    # --- hostile data ---------------------------------------------------------

    @pytest.mark.parametrize("name", sorted(HOSTILE_TEXTS))
    def test_hostile_text_is_stored_as_data(self, storage: StorageBackend, name: str) -> None:
        """Hostile text in every field of every aggregate and notification comes back unchanged."""
        text = HOSTILE_TEXTS[name]
        life = full_lifecycle("1", text=text)
        aggregates = (*life.finals(), *side_paths("1", text=text))
        save(storage, *aggregates)
        notification = sample_notification("NTF-1", text=text, recipients=(f"customer:{text}", "role:agent"))
        with storage.unit_of_work() as uow:
            uow.outbox.add(notification)
            uow.commit()
        for aggregate in aggregates:
            assert_stored_as(load(storage, type(aggregate), aggregate.id), aggregate, version=1)
        assert outbox_message(storage, "NTF-1") == OutboxMessage(notification=notification)
        with storage.unit_of_work() as uow:
            _check_ids(uow.requests.list(), sorted(a.id for a in aggregates if isinstance(a, ServiceRequest)), "list")
            _check_ids(uow.requests.list(ListQuery(status="closed")), [life.requests[-1].id], "list(status='closed')")

    @pytest.mark.parametrize("name", sorted(UNUSUAL_TEXTS))
    def test_what_is_accepted_loads_back_from_a_second_instance(
        self, storage: StorageBackend, reopen: Callable[[], StorageBackend], name: str
    ) -> None:
        """Aggregates whose text fields hold unusual but valid text, added and updated, load back equal
        (and list) through a second backend instance on the same store: no cache can hide a bad write."""
        text = UNUSUAL_TEXTS[name]
        added = (*full_lifecycle("1", text=text).finals(), *discipline_case("1", text=text).finals())
        save(storage, *added)
        request = attrs.evolve(full_lifecycle("2", text=text).requests[0], id=RequestId("REQ-2"))
        save(storage, request)
        with storage.unit_of_work() as uow:
            updated = uow.requests.get(request.id).acknowledge(actor=AGENT, at=_LATER, message=f"ok {text}")
            uow.requests.update(updated)
            uow.commit()
        second = reopen()
        try:
            for aggregate in added:
                assert_stored_as(load(second, type(aggregate), aggregate.id), aggregate, version=1)
            assert_stored_as(load(second, ServiceRequest, request.id), updated, version=2)
            with second.unit_of_work() as uow:
                for aggregate in added:
                    listed = list(repository_for(uow, aggregate).list())
                    assert aggregate.id in _ids(listed), f"{aggregate.id} is not listed by a second instance"
        finally:
            if second is not storage:
                second.close()

    @pytest.mark.parametrize("hostile_id", HOSTILE_IDS)
    def test_hostile_ids_are_stored_as_data(self, storage: StorageBackend, hostile_id: str) -> None:
        """Ids with quotes, SQL, spaces, CJK and emoji work for get, update, list and the outbox."""
        request = attrs.evolve(full_lifecycle("1").requests[0], id=RequestId(hostile_id))
        save(storage, request)
        assert_stored_as(load(storage, ServiceRequest, hostile_id), request, version=1)
        with storage.unit_of_work() as uow:
            uow.requests.update(uow.requests.get(hostile_id).acknowledge(actor=AGENT, at=_LATER, message="ok"))
            uow.outbox.add(sample_notification(hostile_id, aggregate_id=hostile_id))
            uow.commit()
        assert load(storage, ServiceRequest, hostile_id).version == 2
        assert _pending_ids(storage) == [hostile_id]
        with storage.unit_of_work() as uow:
            with pytest.raises(NotFoundError):
                uow.requests.get(hostile_id + "x")
            _check_ids(uow.requests.list(), [hostile_id], "list")


def _nth_of(kind: type[A], n: int, pick: int) -> A:
    """Snapshot ``pick`` of ``kind`` from lifecycle ``n`` (ids differ per ``n``)."""
    snapshots = [a for a in _every_snapshot(f"{n:02d}") if isinstance(a, kind)]
    return snapshots[pick]


def _with_customer(aggregate: A, customer_id: str) -> A:
    """``aggregate`` belonging to another customer."""
    original: Any = aggregate
    if isinstance(original, ServiceRequest):
        changed: Any = attrs.evolve(original, customer=attrs.evolve(original.customer, id=CustomerId(customer_id)))
    else:
        changed = attrs.evolve(original, customer_id=CustomerId(customer_id))
    result: A = changed
    return result


def _customer_of(aggregate: Any) -> str:
    return str(aggregate.customer.id if isinstance(aggregate, ServiceRequest) else aggregate.customer_id)


def _schedule_checks(monkeypatch: pytest.MonkeyPatch, checks: dict[tuple[str, int], datetime | None]) -> None:
    """Give aggregates SLA check times by (id, stored version), through the port's one hook."""
    monkeypatch.setattr(
        storage_kinds, "sla_check_at_of", lambda aggregate: checks.get((aggregate.id, aggregate.version))
    )


def _inspector_of(acceptance: Acceptance) -> Actor:
    """The designated inspector, as the actor who may record rounds."""
    return Actor(acceptance.inspector.person.id, acceptance.inspector.person.name, ["customer"])


def _all_pass(acceptance: Acceptance) -> list[CriterionResult]:
    return [CriterionResult(criterion_code=c.code, passed=True) for c in acceptance.criteria]


__all__ = [
    "AGGREGATE_TYPES",
    "StorageContract",
    "as_stored",
    "assert_stored_as",
    "first_difference",
    "is_stored",
    "load",
    "outbox_message",
    "repository_for",
    "save",
    "write_then_commit_fails",
]
