"""The storage contract: a pytest suite every storage backend must pass.

Subclass :class:`StorageContract` in your adapter's tests, name the subclass
``Test...`` so pytest collects it, and override the ``storage`` fixture to give
each test a fresh, empty backend::

    import pytest
    from servicecore.testing.storage_contract import StorageContract
    from my_pkg import SqliteStorage

    class TestSqliteStorage(StorageContract):
        @pytest.fixture
        def storage(self, tmp_path):
            backend = SqliteStorage(tmp_path / "db.sqlite")
            yield backend
            backend.close()

Every test inherited from the base class then runs against your backend. The
base class itself is not collected (its name does not start with ``Test``).
Only plain pytest is needed.

What is checked (see :mod:`servicecore.ports.storage` for the contract itself):

* round trips: every aggregate type, in many states up to a full history,
  comes back equal to what was stored, at version 1, without pending events,
  with UTC offsets and decimal places intact;
* missing ids raise :class:`~servicecore.NotFoundError`; adding an existing id,
  updating from a stale version, or updating a missing aggregate raise
  :class:`~servicecore.ConcurrencyError`; ``update`` of an aggregate loaded at
  version *v* stores *v + 1*;
* a failed unit of work writes nothing at all (commit is atomic), rollback and
  leaving the ``with`` block without commit discard everything, uncommitted
  writes are invisible to other units of work, and the second of two racing
  units of work fails;
* ``list``: ordered by id, status filter, ``limit``/``offset`` paging;
* the outbox: queueing, oldest-first ``pending`` (by instant, not by local
  time), ``mark_delivered``, ``mark_failed`` with and without ``final``, all of
  it inside the transaction;
* hostile strings (quotes, SQL, Unicode, emoji, long text, Markdown/HTML) and
  hostile ids are stored as data and returned unchanged.

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

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import attrs
import pytest

from servicecore.domain.acceptance import Acceptance, CriterionResult
from servicecore.domain.agreement import AgreementStatus, ServiceAgreement
from servicecore.domain.errors import ConcurrencyError, NotFoundError, ServiceCoreError
from servicecore.domain.service_request import RequestStatus, ServiceRequest
from servicecore.domain.values import Actor, RequestId
from servicecore.domain.work_order import WorkOrder
from servicecore.ports.notification import DeliveryStatus, OutboxMessage
from servicecore.ports.storage import Repository, StorageBackend, UnitOfWork
from servicecore.serialization import unstructure
from servicecore.testing import (
    AGENT,
    HOSTILE_IDS,
    HOSTILE_TEXTS,
    REVIEWER,
    START,
    Aggregate,
    full_lifecycle,
    sample_aggregates,
    sample_notification,
    side_paths,
)

A = TypeVar("A", bound=Aggregate)

AGGREGATE_TYPES: tuple[type[Any], ...] = (ServiceRequest, ServiceAgreement, WorkOrder, Acceptance)
"""The four aggregate types, in the order the tests use them."""

_REPOSITORY_OF = {
    ServiceRequest: "requests",
    ServiceAgreement: "agreements",
    WorkOrder: "work_orders",
    Acceptance: "acceptances",
}

_SAMPLES = sample_aggregates("1")
_LATER = START + timedelta(days=60)
"""Commands issued by the tests happen after every sample's history."""


# --- helpers (public: use them in your adapter's own tests) ------------------


def repository_for(uow: UnitOfWork, kind: type[Any] | Aggregate) -> Repository[Any]:
    """The repository of ``uow`` that holds ``kind`` (an aggregate class or instance)."""
    cls = kind if isinstance(kind, type) else type(kind)
    repository: Repository[Any] = getattr(uow, _REPOSITORY_OF[cls])
    return repository


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
        """Each sample comes back equal, at version 1, without pending events."""
        assert aggregate.events, f"sample {label} should carry pending events"
        save(storage, aggregate)
        assert_stored_as(load(storage, type(aggregate), aggregate.id), aggregate, version=1)

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
        """Updating an aggregate loaded at version v stores v + 1, through a whole history."""
        life = full_lifecycle("1")
        by_kind: dict[type[Any], tuple[Aggregate, ...]] = {
            ServiceRequest: life.requests,
            ServiceAgreement: life.agreements,
            WorkOrder: life.work_orders,
            Acceptance: life.acceptances,
        }
        snapshots = by_kind[kind]
        save(storage, snapshots[0])
        for version, snapshot in enumerate(snapshots[1:], start=1):
            # ``snapshot`` is what a command returns for the aggregate loaded at ``version``.
            with storage.unit_of_work() as uow:
                loaded = repository_for(uow, kind).get(snapshot.id)
                assert loaded.version == version, f"loaded version {loaded.version}, expected {version}"
                repository_for(uow, kind).update(attrs.evolve(snapshot, version=version))
                uow.commit()
            assert_stored_as(load(storage, kind, snapshot.id), snapshot, version=version + 1)

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
        first, second = (
            next(a for a in full_lifecycle(key).snapshots() if isinstance(a, kind)) for key in ("1", "one")
        )
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
            winner = uow.work_orders.get(order.id).start(actor=AGENT, at=_LATER, note="winner")
            uow.work_orders.update(winner)
            uow.commit()

        newcomer = full_lifecycle("2").requests[0]
        with storage.unit_of_work() as uow:
            # other writes in the same unit of work, before the stale one...
            uow.requests.add(newcomer)
            uow.agreements.update(uow.agreements.get(agreement.id).submit_for_review(actor=AGENT, at=_LATER))
            uow.outbox.add(sample_notification("NTF-1"))
            loser = stale.start(actor=AGENT, at=_LATER, note="loser")
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
            slow.work_orders.update(slow.work_orders.get(order.id).start(actor=AGENT, at=_LATER))
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
                    reader.agreements.list(status="in_review"), [], "another unit of work lists an uncommitted update"
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
            _check_ids(uow.requests.list(limit=3), ordered[:3], "list(limit=3)")
            _check_ids(uow.requests.list(limit=3, offset=3), ordered[3:6], "list(limit=3, offset=3)")
            _check_ids(uow.requests.list(limit=3, offset=9), ordered[9:], "list(limit=3, offset=9)")
            _check_ids(uow.requests.list(offset=10), [], "list(offset=10)")
            _check_ids(uow.requests.list(offset=50), [], "list(offset=50)")
            _check_ids(uow.requests.list(limit=0), [], "list(limit=0)")

    @pytest.mark.parametrize("kind", AGGREGATE_TYPES, ids=lambda kind: kind.__name__)
    def test_list_filters_by_status(self, storage: StorageBackend, kind: type[Any]) -> None:
        """``list(status=...)`` returns only aggregates in that status, ordered and paged."""
        picks = (0, 1, 0, 2, 0, 1)  # snapshot index per lifecycle: three in the first state, two in the second
        stored: list[Aggregate] = []
        for n, pick in enumerate(picks):
            snapshots = [a for a in full_lifecycle(f"{n:02d}").snapshots() if isinstance(a, kind)]
            stored.append(snapshots[pick])
        save(storage, *stored)
        first_state = stored[0].status.value
        matching = sorted(a.id for a in stored if a.status.value == first_state)
        assert len(matching) == 3
        with storage.unit_of_work() as uow:
            repository = repository_for(uow, kind)
            _check_ids(repository.list(status=first_state), matching, f"list(status={first_state!r})")
            _check_ids(repository.list(status=first_state, limit=2), matching[:2], "filtered first page")
            _check_ids(repository.list(status=first_state, limit=2, offset=2), matching[2:], "filtered second page")
            _check_ids(repository.list(status="no-such-status"), [], "list(status='no-such-status')")
            _check_ids(repository.list(), sorted(a.id for a in stored), "list()")

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
        """Queueing a second notification with a queued id fails and keeps the first."""
        with storage.unit_of_work() as uow:
            uow.outbox.add(sample_notification("NTF-1", text="original"))
            uow.commit()
        impostor = sample_notification("NTF-1", text="impostor")
        with storage.unit_of_work() as uow:
            write_then_commit_fails(ServiceCoreError, uow, lambda: uow.outbox.add(impostor))
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
            _check_ids(uow.requests.list(status="closed"), [life.requests[-1].id], "list(status='closed')")

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
