"""Several OS processes on one database (SQLite file, PostgreSQL): conflicts, and a process killed with SIGKILL.

* Conflicting writers: three processes reassign the same two work orders as
  fast as they can. No update is lost: every accepted command is in the
  history exactly once, every rejected one raised ConcurrencyError and left no
  trace, and the outbox holds exactly one notification per accepted command.
* A crash: a process taking cases through intake and the agreement steps is
  killed with SIGKILL half-way. After reopening, every command it logged as
  committed is stored; the one it was running is stored whole or not at all
  (aggregates and notifications alike); every aggregate is consistent; the
  dispatcher delivers the notifications of committed commands, and only those;
  and a new process carries on on the same database.
* A dispatcher killed with SIGKILL while its notifier is sending: commands
  commit meanwhile (no transaction is open during a send), the message it held
  is not sent by anybody else until its claim runs out, then the lost attempt
  is recorded and the message delivered; nothing else is lost or sent twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

import servicecore as sc
from servicecore.application.dispatcher import Dispatcher, DispatchResult, RetryPolicy
from servicecore.ports.notification import DeliveryStatus, OutboxMessage
from servicecore.storage_kinds import AGGREGATE_KINDS, ListQuery
from servicecore.testing import full_lifecycle, sample_notification
from servicecore.testing.storage_contract import outbox_message, save
from servicecore_adapters.clocks import ManualClock, SystemClock
from servicecore_adapters.notifiers import RecordingNotifier
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage

WORKER = Path(__file__).with_name("worker.py")
TIMEOUT = 180


def _open(target: str) -> SQLAlchemyStorage:
    return SQLAlchemyStorage(target if "://" in target else Path(target), cache_size=0)


def _wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


# --- conflicting writers ----------------------------------------------------------------------


def test_conflicting_processes_lose_no_update(target: str, tmp_path: Path) -> None:
    workers, count = 3, 40
    template = full_lifecycle("1").work_orders[0]
    orders = [attrs.evolve(template, id=sc.WorkOrderId(f"WO-{n}")) for n in (1, 2)]
    storage = _open(target)
    save(storage, *orders)
    ready = tmp_path / "ready"
    ready.mkdir()
    processes = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "conflict", target, str(w), str(count), str(ready), *(o.id for o in orders)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    _wait_for(lambda: len(list(ready.glob("ready-*"))) == workers, "the workers to start")
    (ready / "go").touch()
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))

    assert [o["errors"] for o in outcomes] == [[]] * workers, "every command either committed or hit a conflict"
    accepted = [note for o in outcomes for note in o["accepted"]]
    rejected = [note for o in outcomes for note in o["rejected"]]
    assert len(accepted) + len(rejected) == workers * count
    assert rejected, "the processes never raced; the test proved nothing"

    with storage.unit_of_work() as uow:
        stored = {order.id: uow.work_orders.get(order.id) for order in orders}
        pending = uow.outbox.pending(limit=10_000)
    notes = Counter(entry.note for order in stored.values() for entry in order.history[len(template.history) :])
    assert notes == Counter(accepted), "every accepted command is in a history exactly once; no rejected one is"
    for order_id, order in stored.items():
        mine = [n for n in accepted if int(n.split("-")[1]) % 2 == int(order_id[-1]) - 1]
        assert order.version == 1 + len(mine), f"{order_id}: version {order.version} after {len(mine)} updates"
        assert order.assignees == (sc.ActorId(f"E-{order.history[-1].note.split('-')[0][1:]}"),)
    reassigned = Counter(m.notification.aggregate_id for m in pending if m.notification.event == "WorkOrderReassigned")
    assert sum(reassigned.values()) == len(accepted), "one notification per accepted command, none for rejected ones"
    storage.close()


# --- a process killed with SIGKILL --------------------------------------------------------------


@attrs.frozen(eq=False)
class Command:
    step: str
    before: dict[str, int]  # aggregates it changes: version before
    after: dict[str, int] | None  # versions it stored (None: it never logged that it committed)
    ids: tuple[tuple[str, str], ...]  # (kind, id) handed out while it ran


def _read_log(path: Path) -> tuple[list[Command], bool]:
    commands: list[Command] = []
    current: dict[str, Any] | None = None
    finished = False
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, rest = line.partition(" ")
        if word == "begin":
            step, _, before = rest.partition(" ")
            current = {"step": step, "before": json.loads(before), "ids": []}
        elif word == "id":
            assert current is not None
            kind, _, new_id = rest.partition(" ")
            current["ids"].append((kind, new_id))
        elif word == "done":
            assert current is not None
            commands.append(
                Command(current["step"], current["before"], json.loads(rest.partition(" ")[2]), tuple(current["ids"]))
            )
            current = None
        elif word == "finished":
            finished = True
        # a partial last line (cut by the kill) is ignored
    if current is not None:
        commands.append(Command(current["step"], current["before"], None, tuple(current["ids"])))
    return commands, finished


def _everything(storage: SQLAlchemyStorage) -> tuple[dict[str, Any], dict[str, OutboxMessage]]:
    aggregates: dict[str, Any] = {}
    with storage.unit_of_work() as uow:
        for kind in AGGREGATE_KINDS:
            offset = 0
            while page := uow.repository(kind.cls).list(ListQuery(limit=500, offset=offset)):
                aggregates.update({a.id: a for a in page})
                offset += len(page)
        messages = {m.notification.id: m for m in uow.outbox.pending(limit=100_000)}
    return aggregates, messages


def _run_stream(target: str, run: str, cases: int, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), "stream", target, run, str(cases), str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_process_killed_mid_stream_leaves_only_whole_commands(target: str, tmp_path: Path) -> None:
    log = tmp_path / "run-1.log"
    process = _run_stream(target, "1", 500, log)

    def committed() -> int:
        return log.read_text(encoding="utf-8").count("\ndone ") if log.exists() else 0

    _wait_for(lambda: committed() >= 60 or process.poll() is not None, "the stream to get going")
    time.sleep(0.003 * (os.getpid() % 7))  # land somewhere inside a command
    process.send_signal(signal.SIGKILL)
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == -signal.SIGKILL, err

    commands, finished = _read_log(log)
    assert not finished
    storage = _open(target)  # reopening recovers the database (SQLite: the WAL is replayed)
    aggregates, messages = _everything(storage)

    # every command logged as committed is stored
    for command in commands:
        for aggregate_id, version in (command.after or {}).items():
            assert aggregates[aggregate_id].version >= version, f"{command.step} on {aggregate_id} was lost"

    # the command that was running is stored whole or not at all
    running = commands[-1] if commands[-1].after is None else None
    notifications_of = {c: [i for kind, i in c.ids if kind == "notification"] for c in commands}
    created_by = {c: [i for kind, i in c.ids if kind != "notification"] for c in commands}
    if running is not None:
        advanced = [aggregates[a].version > v for a, v in running.before.items()]
        created = [i in aggregates for i in created_by[running]]
        sent = [i in messages for i in notifications_of[running]]
        outcome = {*advanced, *created, *sent}
        assert len(outcome) <= 1, f"{running.step} was half-written: {running.before}, {created_by[running]}"
        ran = outcome == {True}
        if ran:
            for aggregate_id, version in running.before.items():
                assert aggregates[aggregate_id].version == version + 1
    else:
        ran = False

    # every stored aggregate is whole and consistent
    known = {i for c in commands for i in created_by[c]}
    assert set(aggregates) <= known, "an aggregate nobody created"
    for aggregate in aggregates.values():
        assert aggregate.version == len(aggregate.history), f"{aggregate.id}: version and history disagree"
        if isinstance(aggregate, sc.ServiceAgreement) and aggregate.status in {
            sc.AgreementStatus.CONFIRMED,
            sc.AgreementStatus.ACTIVE,
        }:
            request = aggregates[aggregate.request_id]
            assert request.agreement_id == aggregate.id, "confirm changed the agreement but not the request"
        if isinstance(aggregate, sc.ServiceRequest) and aggregate.agreement_id is not None:
            assert aggregates[aggregate.agreement_id].status is not sc.AgreementStatus.OFFERED

    # the outbox holds the notifications of committed commands and nothing else; the dispatcher delivers them
    expected = {i for c in commands if c.after is not None or (c is running and ran) for i in notifications_of[c]}
    assert set(messages) == expected
    notifier = RecordingNotifier()
    Dispatcher(storage=storage, notifier=notifier, clock=SystemClock()).dispatch_all()
    assert sorted(n.id for n in notifier.sent) == sorted(expected)

    # and another process carries on on the same database
    again = _run_stream(target, "2", 2, tmp_path / "run-2.log")
    _, err = again.communicate(timeout=TIMEOUT)
    assert again.returncode == 0, err
    later, _ = _read_log(tmp_path / "run-2.log")
    assert [c.step for c in later][:3] == ["receive", "acknowledge", "assess"]
    new_notifier = RecordingNotifier()
    Dispatcher(storage=storage, notifier=new_notifier, clock=SystemClock()).dispatch_all()
    assert sorted(n.id for n in new_notifier.sent) == sorted(i for c in later for k, i in c.ids if k == "notification")
    storage.close()


# --- a dispatcher killed while sending ------------------------------------------------------------


def test_a_dispatcher_killed_while_sending_loses_nothing_and_blocks_nobody(target: str, tmp_path: Path) -> None:
    storage = _open(target)
    queued = datetime.now(UTC) - timedelta(minutes=1)
    with storage.unit_of_work() as uow:
        for n, notification_id in enumerate(["NTF-first", "NTF-hang", "NTF-last"]):
            uow.outbox.add(sample_notification(notification_id, created_at=queued + timedelta(seconds=n)))
        uow.commit()
    marker = tmp_path / "sending"
    process = subprocess.Popen(
        [sys.executable, str(WORKER), "dispatch", target, str(marker)], stderr=subprocess.PIPE, text=True
    )
    _wait_for(lambda: marker.exists() or process.poll() is not None, "the dispatcher to reach the hanging send")
    assert process.poll() is None, process.communicate()[1]

    # while the notifier hangs, a command commits on the same database (SQLite: no write lock is held)
    writer = SQLAlchemyStorage(target if "://" in target else Path(target), busy_timeout=2.0)
    save(writer, full_lifecycle("1").requests[0])
    writer.close()

    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=TIMEOUT)
    assert process.returncode == -signal.SIGKILL

    held = outbox_message(storage, "NTF-hang")
    assert held is not None
    assert held.claimed_until is not None, "the claim survives its dispatcher"
    notifier = RecordingNotifier()
    assert Dispatcher(storage=storage, notifier=notifier, clock=SystemClock()).dispatch_all() == DispatchResult(1, 0)
    assert [n.id for n in notifier.sent] == ["NTF-last"], "the held message is left alone while the claim lasts"

    policy = RetryPolicy(first_delay=timedelta(minutes=1))
    clock = ManualClock(held.claimed_until)
    assert Dispatcher(storage=storage, notifier=notifier, clock=clock, retry=policy).dispatch() == DispatchResult(0, 1)
    clock.advance(timedelta(minutes=1))
    assert Dispatcher(storage=storage, notifier=notifier, clock=clock, retry=policy).dispatch() == DispatchResult(1, 0)
    assert [n.id for n in notifier.sent] == ["NTF-last", "NTF-hang"]
    delivered = outbox_message(storage, "NTF-hang")
    assert delivered is not None
    assert (delivered.status, delivered.attempts) == (DeliveryStatus.DELIVERED, 2)
    first = outbox_message(storage, "NTF-first")
    assert first is not None
    assert (first.status, first.attempts) == (DeliveryStatus.DELIVERED, 1), "delivered once, before the kill"
    storage.close()
