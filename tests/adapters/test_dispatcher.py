"""The outbox dispatcher on every built-in backend: delivery, back-off, giving up, concurrent dispatchers."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import servicecore as sc
from servicecore.application.dispatcher import (
    MAX_ERROR_LENGTH,
    Dispatcher,
    DispatchResult,
    RetryPolicy,
    describe_error,
)
from servicecore.ports.notification import DeliveryStatus, Notification
from servicecore.ports.storage import StorageBackend
from servicecore.testing import START, full_lifecycle, sample_notification
from servicecore.testing.storage_contract import load, outbox_message, save
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.notifiers import RecordingNotifier
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage
from servicecore_adapters.sqlalchemy.schema import aggregates, assignees, outbox
from servicecore_adapters.sqlalchemy.testing import TemporaryPostgres


@pytest.fixture(scope="module")
def postgres_url(postgres: TemporaryPostgres) -> str:
    url = postgres.create_database()
    SQLAlchemyStorage(url, migrate=True).close()
    return url


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageBackend]:
    backend: StorageBackend
    if request.param == "memory":
        backend = MemoryStorage()
    elif request.param == "sqlite":
        backend = SQLAlchemyStorage(tmp_path / "dispatch.sqlite3")
    else:
        url = request.getfixturevalue("postgres_url")
        backend = SQLAlchemyStorage(url)
        with backend.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {assignees.name}, {aggregates.name}, {outbox.name}"))
    yield backend
    backend.close()


class FlakyNotifier:
    """Fails the first ``failures`` sends of each notification (all of them if ``None``); thread-safe."""

    def __init__(self, failures: int | None = None) -> None:
        self.failures = failures
        self.tries: Counter[str] = Counter()
        self.sent: list[Notification] = []
        self._lock = threading.Lock()

    def send(self, notification: Notification) -> None:
        with self._lock:
            self.tries[notification.id] += 1
            if self.failures is None or self.tries[notification.id] <= self.failures:
                raise ConnectionError(f"smtp down for {notification.id}")
            self.sent.append(notification)


def _queue(storage: StorageBackend, count: int) -> list[str]:
    ids = [f"NTF-{n:03d}" for n in range(count)]
    with storage.unit_of_work() as uow:
        for n, notification_id in enumerate(ids):
            uow.outbox.add(sample_notification(notification_id, created_at=START + timedelta(seconds=n)))
        uow.commit()
    return ids


def test_delivers_due_messages_once_and_records_the_time(storage: StorageBackend) -> None:
    ids = _queue(storage, 3)
    clock, notifier = ManualClock(START + timedelta(minutes=1)), RecordingNotifier()
    dispatcher = Dispatcher(storage=storage, notifier=notifier, clock=clock)
    assert dispatcher.dispatch() == DispatchResult(delivered=3, failed=0)
    assert [n.id for n in notifier.sent] == ids, "oldest first"
    assert dispatcher.dispatch() == DispatchResult(delivered=0, failed=0)
    message = outbox_message(storage, ids[0])
    assert message is not None
    assert (message.status, message.attempts, message.delivered_at) == (DeliveryStatus.DELIVERED, 1, clock.now())


def test_a_message_queued_after_the_clock_is_not_due_yet(storage: StorageBackend) -> None:
    _queue(storage, 1)
    dispatcher = Dispatcher(storage=storage, notifier=RecordingNotifier(), clock=ManualClock(START - timedelta(1)))
    assert dispatcher.dispatch() == DispatchResult(delivered=0, failed=0)


def test_failures_back_off_exponentially_then_give_up(storage: StorageBackend) -> None:
    (notification_id,) = _queue(storage, 1)
    clock, notifier = ManualClock(START), FlakyNotifier()
    policy = RetryPolicy(max_attempts=4, first_delay=timedelta(seconds=30), factor=2)
    dispatcher = Dispatcher(storage=storage, notifier=notifier, clock=clock, retry=policy)
    waits = []
    for attempt in (1, 2, 3):
        assert dispatcher.dispatch() == DispatchResult(delivered=0, failed=1)
        message = outbox_message(storage, notification_id)
        assert message is not None
        assert (message.status, message.attempts) == (DeliveryStatus.PENDING, attempt)
        assert message.last_error == f"ConnectionError: smtp down for {notification_id}"
        assert message.next_attempt_at is not None
        waits.append(message.next_attempt_at - clock.now())
        clock.advance(waits[-1] - timedelta(microseconds=1))
        assert dispatcher.dispatch() == DispatchResult(delivered=0, failed=0), "not before the back-off ends"
        clock.advance(timedelta(microseconds=1))
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert dispatcher.dispatch() == DispatchResult(delivered=0, failed=1)
    message = outbox_message(storage, notification_id)
    assert message is not None
    assert (message.status, message.attempts, message.next_attempt_at) == (DeliveryStatus.FAILED, 4, None)
    clock.advance(timedelta(days=30))
    assert dispatcher.dispatch() == DispatchResult(delivered=0, failed=0), "a message given up on stays given up"
    assert notifier.tries[notification_id] == 4


def test_a_failing_notifier_never_touches_the_state_change(storage: StorageBackend) -> None:
    request = full_lifecycle("1").requests[0]
    save(storage, request)
    _queue(storage, 2)
    before = load(storage, sc.ServiceRequest, request.id)
    Dispatcher(storage=storage, notifier=FlakyNotifier(), clock=ManualClock(START + timedelta(hours=1))).dispatch()
    assert load(storage, sc.ServiceRequest, request.id) == before


def test_one_failure_does_not_hold_up_the_rest_of_the_batch(storage: StorageBackend) -> None:
    ids = _queue(storage, 4)
    notifier = FlakyNotifier(failures=1)
    notifier.tries.update({i: 1 for i in ids[1:]})  # only the first fails once more
    result = Dispatcher(storage=storage, notifier=notifier, clock=ManualClock(START + timedelta(hours=1))).dispatch()
    assert result == DispatchResult(delivered=3, failed=1)
    assert [n.id for n in notifier.sent] == ids[1:]


def test_an_interrupted_delivery_records_nothing_and_is_delivered_again_later(storage: StorageBackend) -> None:
    """Each message is its own transaction: the one being sent when the process stops is sent again."""
    ids = _queue(storage, 3)
    clock = ManualClock(START + timedelta(hours=1))

    class Interrupted(RecordingNotifier):
        def send(self, notification: Notification) -> None:
            super().send(notification)
            if len(self.sent) == 2:
                raise KeyboardInterrupt

    first = Interrupted()
    with pytest.raises(KeyboardInterrupt):
        Dispatcher(storage=storage, notifier=first, clock=clock).dispatch()
    second = RecordingNotifier()
    assert Dispatcher(storage=storage, notifier=second, clock=clock).dispatch() == DispatchResult(2, 0)
    assert [n.id for n in second.sent] == ids[1:], "at least once: the interrupted message is sent again"
    with storage.unit_of_work() as uow:
        assert uow.outbox.get(ids[0]).attempts == 1, "the message recorded before the interruption stays delivered"


def test_dispatch_all_runs_batches_until_nothing_is_due(storage: StorageBackend) -> None:
    _queue(storage, 7)
    notifier = RecordingNotifier()
    dispatcher = Dispatcher(storage=storage, notifier=notifier, clock=ManualClock(START + timedelta(hours=1)))
    assert dispatcher.dispatch_all(batch_size=3, max_batches=2) == DispatchResult(6, 0)
    assert dispatcher.dispatch_all(batch_size=3) == DispatchResult(1, 0)
    assert len(notifier.sent) == 7


def test_concurrent_dispatchers_deliver_every_message_exactly_once(storage: StorageBackend) -> None:
    ids = _queue(storage, 40)
    notifier = FlakyNotifier(failures=0)
    clock = ManualClock(START + timedelta(hours=1))
    errors: list[BaseException] = []
    go = threading.Barrier(4)

    def run() -> None:
        try:
            go.wait()
            Dispatcher(storage=storage, notifier=notifier, clock=clock).dispatch_all(batch_size=3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(n.id for n in notifier.sent) == ids
    assert set(notifier.tries.values()) == {1}, "no message was handed to two dispatchers"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"first_delay": timedelta(seconds=-1)}, "first_delay"),
        ({"first_delay": 30}, "first_delay"),
        ({"factor": 0.5}, "factor"),
        ({"max_delay": "1h"}, "max_delay"),
    ],
)
def test_a_bad_retry_policy_names_the_field(arguments: dict[str, object], field: str) -> None:
    with pytest.raises(sc.ValidationError) as caught:
        RetryPolicy(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_the_back_off_is_capped() -> None:
    policy = RetryPolicy(first_delay=timedelta(minutes=1), factor=10, max_delay=timedelta(hours=1))
    assert [policy.delay_after(n) for n in (1, 2, 3, 50)] == [
        timedelta(minutes=1),
        timedelta(minutes=10),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


def test_dispatch_refuses_a_batch_of_nothing() -> None:
    dispatcher = Dispatcher(storage=MemoryStorage(), notifier=RecordingNotifier(), clock=ManualClock(START))
    with pytest.raises(sc.ValidationError, match="limit"):
        dispatcher.dispatch(limit=0)


def test_the_service_desk_delegates_to_the_dispatcher_with_its_policy() -> None:
    storage, clock, notifier = MemoryStorage(), ManualClock(START), FlakyNotifier()
    desk = sc.ServiceDesk(
        storage=storage,
        notifier=notifier,
        renderer=sc.Plugins(entry_points=False).renderer("markdown"),
        clock=clock,
        ids=SequentialIds(),
    )
    desk.receive_request(
        actor=sc.Actor("E-1", "Li Na", ["agent"]),
        customer=sc.Customer("C-1", "Wang Fang"),
        channel="phone",
        category="pest control",
        priority="normal",
        description="ants",
    )
    policy = RetryPolicy(max_attempts=2, first_delay=timedelta(minutes=5))
    assert desk.dispatch_notifications(retry=policy) == DispatchResult(0, 1)
    (message,) = desk.pending_notifications()
    assert message.next_attempt_at == clock.now() + timedelta(minutes=5)
    clock.advance(timedelta(minutes=5))
    assert desk.dispatch_notifications(retry=policy) == DispatchResult(0, 1)
    assert desk.pending_notifications() == [], "given up after the policy's two attempts"


# --- robustness: whatever the notifier does, the run goes on ----------------------------------------


class BadMessage(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message for you")


class Picky(RecordingNotifier):
    """Misbehaves on the first message only (``how``), delivers the others."""

    def __init__(self, how: Callable[[], object], victim: str = "NTF-000") -> None:
        super().__init__()
        self.how, self.victim = how, victim

    def send(self, notification: Notification) -> None:
        if notification.id == self.victim:
            returned: Any = self.how()
            return returned  # type: ignore[no-any-return]
        super().send(notification)


def _raise(exc: BaseException) -> Callable[[], object]:
    def go() -> object:
        raise exc

    return go


@pytest.mark.parametrize(
    ("how", "error"),
    [
        (_raise(BadMessage()), "BadMessage: (its message could not be read: str() raised RuntimeError)"),
        (_raise(SystemExit(3)), "SystemExit: 3"),
        (_raise(GeneratorExit()), "GeneratorExit"),
        (lambda: 42, "UnexpectedReturn: the notifier returned a int, not None"),
        (_raise(ValueError("x" * 100_000)), "ValueError: " + "x" * (MAX_ERROR_LENGTH - len("ValueError: ") - 1) + "…"),
    ],
    ids=["str-raises", "system-exit", "generator-exit", "returns-garbage", "huge-message"],
)
def test_any_notifier_failure_is_a_recorded_attempt_and_the_rest_is_delivered(
    storage: StorageBackend, how: Callable[[], object], error: str
) -> None:
    ids = _queue(storage, 3)
    notifier = Picky(how)
    clock = ManualClock(START + timedelta(hours=1))
    result = Dispatcher(storage=storage, notifier=notifier, clock=clock).dispatch()
    assert result == DispatchResult(delivered=2, failed=1)
    assert [n.id for n in notifier.sent] == ids[1:], "the messages queued behind it were delivered"
    message = outbox_message(storage, ids[0])
    assert message is not None
    assert (message.status, message.attempts, message.last_error) == (DeliveryStatus.PENDING, 1, error)
    assert message.next_attempt_at == clock.now() + RetryPolicy().first_delay
    assert message.claimed_until is None


def test_describing_an_error_never_raises() -> None:
    class NotText(Exception):
        def __str__(self) -> Any:
            return b"bytes"

    assert describe_error(BadMessage()) == "BadMessage: (its message could not be read: str() raised RuntimeError)"
    assert describe_error(NotText()) == "NotText: (its message could not be read: str() raised TypeError)"
    assert describe_error(KeyError()) == "KeyError"


def test_a_hung_notifier_times_out_and_the_message_is_retried_later(storage: StorageBackend) -> None:
    ids = _queue(storage, 3)
    release = threading.Event()
    clock = ManualClock(START + timedelta(hours=1))
    notifier = Picky(lambda: release.wait(60))
    policy = RetryPolicy(timeout=timedelta(seconds=0.2), first_delay=timedelta(minutes=1))
    try:
        result = Dispatcher(storage=storage, notifier=notifier, clock=clock, retry=policy).dispatch()
        assert result == DispatchResult(delivered=2, failed=1)
        assert [n.id for n in notifier.sent] == ids[1:]
        message = outbox_message(storage, ids[0])
        assert message is not None
        assert message.status is DeliveryStatus.PENDING
        assert message.last_error == "TimeoutError: the notifier did not return within 0.2 s"
        assert message.next_attempt_at == clock.now() + timedelta(minutes=1)
    finally:
        release.set()
    clock.advance(timedelta(minutes=1))
    notifier.victim = ""
    assert Dispatcher(storage=storage, notifier=notifier, clock=clock, retry=policy).dispatch() == DispatchResult(1, 0)


def test_an_undeliverable_message_is_parked_and_never_holds_up_the_others(storage: StorageBackend) -> None:
    _queue(storage, 3)
    clock = ManualClock(START + timedelta(hours=1))
    notifier = Picky(_raise(ConnectionError("mailbox does not exist")))
    dispatcher = Dispatcher(
        storage=storage, notifier=notifier, clock=clock, retry=RetryPolicy(max_attempts=2, first_delay=timedelta(0))
    )
    assert dispatcher.dispatch() == DispatchResult(delivered=2, failed=2), "retried at once, then parked"
    parked = outbox_message(storage, "NTF-000")
    assert parked is not None
    assert (parked.status, parked.attempts) == (DeliveryStatus.FAILED, 2)
    with storage.unit_of_work() as uow:
        uow.outbox.add(sample_notification("NTF-new", created_at=START))
        uow.commit()
    assert dispatcher.dispatch() == DispatchResult(delivered=1, failed=0)
    assert [n.id for n in notifier.sent] == ["NTF-001", "NTF-002", "NTF-new"]


def test_a_claim_whose_dispatcher_died_runs_out_and_counts_as_a_failed_attempt(storage: StorageBackend) -> None:
    (notification_id,) = _queue(storage, 1)
    clock = ManualClock(START + timedelta(hours=1))
    policy = RetryPolicy(max_attempts=3, first_delay=timedelta(minutes=1), timeout=timedelta(seconds=1))
    with storage.unit_of_work() as uow:  # a dispatcher claims the message, then its process is killed
        (_claimed,) = uow.outbox.claim_due(at=clock.now(), limit=1)
        uow.outbox.mark_claimed(notification_id, until=clock.now() + policy.lease)
        uow.commit()
    notifier = RecordingNotifier()
    dispatcher = Dispatcher(storage=storage, notifier=notifier, clock=clock, retry=policy)
    clock.advance(policy.lease - timedelta(microseconds=1))
    assert dispatcher.dispatch() == DispatchResult(0, 0), "nobody else sends it while the claim lasts"
    clock.advance(timedelta(microseconds=1))
    assert dispatcher.dispatch() == DispatchResult(0, 1), "the lost attempt is recorded"
    message = outbox_message(storage, notification_id)
    assert message is not None
    assert (message.status, message.attempts, message.claimed_until) == (DeliveryStatus.PENDING, 1, None)
    assert message.last_error.startswith("Interrupted: a dispatcher claimed it until")
    clock.advance(timedelta(minutes=1))
    assert dispatcher.dispatch() == DispatchResult(1, 0)
    assert [n.id for n in notifier.sent] == [notification_id]


def test_a_slow_send_does_not_hold_up_sqlite_writers(tmp_path: Path) -> None:
    """While the notifier works, no transaction is open: a command from another connection commits at once."""
    path = tmp_path / "slow.sqlite3"
    dispatcher_storage = SQLAlchemyStorage(path)
    _queue(dispatcher_storage, 1)
    writer = SQLAlchemyStorage(path, busy_timeout=1.0)  # a writer kept waiting for the lock would fail
    sending, release = threading.Event(), threading.Event()
    events: list[str] = []

    class Slow(RecordingNotifier):
        def send(self, notification: Notification) -> None:
            events.append("send started")
            sending.set()
            release.wait(60)
            events.append("send ended")
            super().send(notification)

    outcome: list[object] = []
    dispatcher = Dispatcher(
        storage=dispatcher_storage,
        notifier=Slow(),
        clock=ManualClock(START + timedelta(hours=1)),
        retry=RetryPolicy(timeout=timedelta(seconds=60)),
    )
    thread = threading.Thread(target=lambda: outcome.append(dispatcher.dispatch()))
    thread.start()
    try:
        assert sending.wait(60)
        save(writer, full_lifecycle("1").requests[0])  # a command's commit, during the send
        events.append("command committed")
    finally:
        release.set()
        thread.join(60)
    assert events == ["send started", "command committed", "send ended"]
    assert outcome == [DispatchResult(delivered=1, failed=0)]
    assert load(writer, sc.ServiceRequest, "REQ-1").version == 1
    writer.close()
    dispatcher_storage.close()


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"timeout": timedelta(0)}, "timeout"),
        ({"timeout": 5}, "timeout"),
        ({"timeout": timedelta(seconds=10), "lease": timedelta(seconds=10)}, "lease"),
    ],
)
def test_a_bad_timeout_or_lease_names_the_field(arguments: dict[str, object], field: str) -> None:
    with pytest.raises(sc.ValidationError) as caught:
        RetryPolicy(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_the_dispatcher_refuses_a_retry_policy_that_is_not_one() -> None:
    with pytest.raises(sc.ValidationError, match="retry"):
        Dispatcher(storage=MemoryStorage(), notifier=RecordingNotifier(), clock=ManualClock(START), retry=1)  # type: ignore[arg-type]


def test_the_dispatcher_refuses_a_notifier_without_send() -> None:
    with pytest.raises(sc.ValidationError, match="notifier"):
        Dispatcher(storage=MemoryStorage(), notifier=object(), clock=ManualClock(START))  # type: ignore[arg-type]
