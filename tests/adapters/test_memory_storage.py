"""The in-memory backend against the storage contract, plus what only it promises."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

import servicecore as sc
from servicecore import ConcurrencyError, ConfigurationError
from servicecore.domain.errors import UnitOfWorkEndedError
from servicecore.ports.notification import DeliveryStatus, OutboxMessage
from servicecore.ports.storage import StorageBackend
from servicecore.serialization import structure, unstructure
from servicecore.storage_kinds import ListQuery
from servicecore.testing import AGENT, START, full_lifecycle, sample_notification
from servicecore.testing import strategies as sst
from servicecore.testing.storage_contract import StorageContract, assert_stored_as, load, save
from servicecore_adapters.memory import MemoryOutbox, MemoryRepository, MemoryStorage, MemoryUnitOfWork

LATER = START + timedelta(days=30)


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def storage(self) -> Iterator[StorageBackend]:
        backend = MemoryStorage()
        yield backend
        backend.close()

    @pytest.fixture
    def reopen(self, storage: StorageBackend) -> Callable[[], StorageBackend]:
        return lambda: storage  # the store is the object itself


@pytest.fixture
def storage() -> MemoryStorage:
    return MemoryStorage()


def test_from_options_refuses_options() -> None:
    assert isinstance(MemoryStorage.from_options({}), MemoryStorage)
    with pytest.raises(ConfigurationError, match="path"):
        MemoryStorage.from_options({"path": "/tmp/x"})


def test_backends_do_not_share_data() -> None:
    one, two = MemoryStorage(), MemoryStorage()
    request = full_lifecycle("1").requests[0]
    save(one, request)
    with two.unit_of_work() as uow:
        assert list(uow.requests.list()) == []


def test_a_finished_unit_of_work_cannot_be_reused(storage: MemoryStorage) -> None:
    request = full_lifecycle("1").requests[0]
    uow = storage.unit_of_work()
    with uow:
        uow.requests.add(request)
        uow.commit()
    with pytest.raises(UnitOfWorkEndedError, match="has ended"):
        uow.requests.get(request.id)
    with pytest.raises(UnitOfWorkEndedError, match="has ended"), uow:
        pass


def test_negative_paging_is_refused(storage: MemoryStorage) -> None:
    with storage.unit_of_work() as uow:
        with pytest.raises(ValueError, match="negative"):
            uow.requests.list(ListQuery(limit=-1))
        with pytest.raises(ValueError, match="negative"):
            uow.requests.list(ListQuery(offset=-1))


def test_a_writer_whose_read_went_stale_fails_at_commit(storage: MemoryStorage) -> None:
    """Interleaving the contract leaves optional: the first writer stages, the second commits first."""
    request = full_lifecycle("1").requests[0]
    save(storage, request)
    with storage.unit_of_work() as slow:
        slow.requests.update(slow.requests.get(request.id).acknowledge(actor=AGENT, at=LATER, message="slow"))
        with storage.unit_of_work() as fast:
            won = fast.requests.get(request.id).acknowledge(actor=AGENT, at=LATER, message="fast")
            fast.requests.update(won)
            fast.commit()
        with pytest.raises(ConcurrencyError) as caught:
            slow.commit()
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert_stored_as(load(storage, type(request), request.id), won, version=2)


def test_commits_from_many_threads_are_serialised(storage: MemoryStorage) -> None:
    """Threads racing to update one aggregate: every commit either wins cleanly or fails cleanly."""
    request = full_lifecycle("1").requests[0]
    order = full_lifecycle("1").work_orders[0]
    save(storage, request, order)
    workers, rounds = 4, 25
    wins: list[int] = []
    conflicts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(worker: int) -> None:
        try:
            start.wait()
            for n in range(rounds):
                with storage.unit_of_work() as uow:
                    current = uow.work_orders.get(order.id)
                    changed = current.reassign(actor=AGENT, at=LATER, assignees=[f"E-{worker}-{n}"])
                    try:  # the contract lets a conflict surface at the write or at commit
                        uow.work_orders.update(changed)
                        uow.outbox.add(sample_notification(f"NTF-{worker}-{n}"))
                        uow.commit()
                    except ConcurrencyError:
                        conflicts.append(worker)
                    else:
                        wins.append(worker)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(wins) + len(conflicts) == workers * rounds
    stored = load(storage, type(order), order.id)
    assert stored.version == 1 + len(wins), "every successful commit bumps the version exactly once"
    assert len(stored.history) == len(order.history) + len(wins)
    with storage.unit_of_work() as uow:
        # only winners' notifications were written: commit is atomic across aggregate and outbox
        assert len(uow.outbox.pending(limit=1000)) == len(wins)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(aggregate=sst.aggregates())
def test_any_generated_aggregate_round_trips(aggregate: Any) -> None:
    """The public strategies plug straight into the kit's helpers; adapter authors can do the same."""
    storage = MemoryStorage()
    save(storage, aggregate)
    assert_stored_as(load(storage, type(aggregate), aggregate.id), aggregate, version=1)


# --- the contract kit can fail ------------------------------------------------
# Each mutant breaks the memory backend in one way; the named contract test must
# then fail. This guards the kit itself against tests that always pass.


def _non_atomic_commit(self: MemoryUnitOfWork) -> None:
    self.outbox._apply()
    for repo in (self.requests, self.agreements, self.work_orders, self.acceptances):
        repo._verify()
        repo._apply()
    self._reset()


_real_list = MemoryRepository.list
_real_due = MemoryOutbox.due
_real_claim_due = MemoryOutbox.claim_due


def _list_ignoring_customer(self: MemoryRepository[Any], query: ListQuery | None = None) -> Any:
    return _real_list(self, None if query is None else attrs.evolve(query, customer_id=None))


def _list_ignoring_staged_filters(self: MemoryRepository[Any], query: ListQuery | None = None) -> Any:
    staged, self._staged = self._staged, {}
    try:
        return _real_list(self, query)
    finally:
        self._staged = staged


def _claims_not_held(self: MemoryOutbox, *, at: datetime, limit: int = 100) -> Any:
    return _real_due(self, at=at, limit=limit)


def _due_ignoring_retry(self: MemoryOutbox, *, at: datetime, limit: int = 100) -> Any:
    merged = {**self._uow.storage._outbox, **self._staged}
    waiting = [m for m in merged.values() if m.status is DeliveryStatus.PENDING and m.notification.created_at <= at]
    return sorted(waiting, key=lambda m: (m.notification.created_at, m.notification.id))[:limit]


def _sla_by_local_time(self: MemoryRepository[Any], *, at_or_before: datetime, limit: int = 100) -> Any:
    rows = [r for r in self._view() if (due := self._index(r).sla_check_at) is not None and due <= at_or_before]
    return sorted(rows, key=lambda r: (self._index(r).sla_check_at.isoformat(), r.id))[:limit]


def _rollback_keeps_outbox(self: MemoryUnitOfWork) -> None:
    outbox = self.outbox
    self._reset()
    self.outbox = outbox


def _pending_by_local_time(self: MemoryOutbox, *, limit: int = 100) -> list[OutboxMessage]:
    merged = {**self._uow.storage._outbox, **self._staged}
    waiting = [m for m in merged.values() if m.status is DeliveryStatus.PENDING]
    return sorted(waiting, key=lambda m: m.notification.created_at.isoformat())[:limit]


def _to_utc(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _to_utc(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_to_utc(value) for value in data]
    if isinstance(data, str) and data[:2] == "20" and data[-6:-5] in {"+", "-"}:
        return datetime.fromisoformat(data).astimezone(UTC).isoformat()
    return data


def _mutate_add(change: Callable[[Any], Any]) -> Callable[..., None]:
    original = MemoryRepository.add

    def add(self: MemoryRepository[Any], aggregate: Any) -> None:
        original(self, aggregate)
        expected, value = self._staged[aggregate.id]
        self._staged[aggregate.id] = (expected, change(value))

    return add


def _blind_update(self: MemoryRepository[Any], aggregate: Any) -> None:
    self._staged[aggregate.id] = (aggregate.version, attrs.evolve(aggregate, version=aggregate.version + 1, events=()))


def _no_check(self: MemoryRepository[Any]) -> None:
    return None


Patch = tuple[type, str, Callable[..., Any]]

MUTANTS: dict[str, tuple[list[Patch], str, dict[str, Any]]] = {
    "commit-not-atomic": (
        [(MemoryUnitOfWork, "commit", _non_atomic_commit)],
        "test_commit_is_atomic_when_another_writer_commits_first",
        {},
    ),
    "rollback-keeps-outbox": (
        [(MemoryUnitOfWork, "rollback", _rollback_keeps_outbox)],
        "test_rollback_discards_everything",
        {},
    ),
    "pending-by-local-time": (
        [(MemoryOutbox, "pending", _pending_by_local_time)],
        "test_pending_is_oldest_first_by_instant",
        {},
    ),
    "offsets-lost": (
        [(MemoryRepository, "add", _mutate_add(lambda agg: structure(_to_utc(unstructure(agg)), type(agg))))],
        "test_add_then_get_round_trips",
        {"label": "x", "aggregate": full_lifecycle("1").requests[-1]},
    ),
    "events-kept": (
        [(MemoryRepository, "add", _mutate_add(lambda agg: attrs.evolve(agg, events=(object(),))))],
        "test_add_then_get_round_trips",
        {"label": "x", "aggregate": full_lifecycle("1").work_orders[-1]},
    ),
    "no-version-check": (
        [(MemoryRepository, "update", _blind_update), (MemoryRepository, "_verify", _no_check)],
        "test_update_from_a_stale_version_raises_and_changes_nothing",
        {},
    ),
    "racing-second-commit-wins": (
        [(MemoryRepository, "update", _blind_update), (MemoryRepository, "_verify", _no_check)],
        "test_second_of_two_racing_units_of_work_fails",
        {},
    ),
    "customer-filter-ignored": (
        [(MemoryRepository, "list", _list_ignoring_customer)],
        "test_list_filters_by_customer",
        {"kind": sc.ServiceAgreement},
    ),
    "own-writes-not-queried": (
        [(MemoryRepository, "list", _list_ignoring_staged_filters)],
        "test_queries_see_the_unit_of_works_own_writes",
        {},
    ),
    "claims-not-held": (
        [(MemoryOutbox, "claim_due", _claims_not_held)],
        "test_claimed_messages_are_held_until_the_unit_of_work_ends",
        {},
    ),
    "retry-time-ignored": (
        [(MemoryOutbox, "due", _due_ignoring_retry)],
        "test_due_honours_the_retry_time_and_orders_by_it",
        {},
    ),
    "sla-scan-by-local-time": (
        [(MemoryRepository, "due_for_sla", _sla_by_local_time)],
        "test_due_for_sla_orders_by_check_instant_then_id",
        {"monkeypatch": None},
    ),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_the_contract_catches_a_broken_backend(monkeypatch: pytest.MonkeyPatch, mutant: str) -> None:
    patches, test_name, arguments = MUTANTS[mutant]
    arguments = {key: monkeypatch if key == "monkeypatch" else value for key, value in arguments.items()}
    contract = TestMemoryStorage()
    getattr(contract, test_name)(MemoryStorage(), **arguments)  # passes on the real backend
    for cls, attribute, replacement in patches:
        monkeypatch.setattr(cls, attribute, replacement)
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        getattr(contract, test_name)(MemoryStorage(), **arguments)
