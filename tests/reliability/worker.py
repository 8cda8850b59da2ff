"""A separate OS process driving a ServiceDesk against a shared database, for the reliability tests.

    python worker.py conflict TARGET WORKER COUNT READY_DIR ORDER_ID...
    python worker.py stream TARGET RUN CASES LOG_FILE
    python worker.py dispatch TARGET MARKER_FILE

TARGET is a SQLite file path or a PostgreSQL URL. ``conflict`` waits for a
``go`` file in READY_DIR (after writing ``ready-WORKER``), then reassigns the
given work orders COUNT times, round robin, and prints one JSON line: the notes
of accepted commands, of rejected ones (ConcurrencyError) and any other error.
``stream`` takes CASES requests through intake and the agreement steps and
logs, line by line and flushed, each id it hands out, each command it begins
(with the versions it starts from) and each command that committed (with the
versions it stored); the test kills it with SIGKILL half-way. ``dispatch`` runs
the outbox dispatcher with a notifier that delivers every message but
``NTF-hang``: for that one it creates MARKER_FILE and never returns; the test
kills the process while it waits.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import servicecore as sc
from servicecore_adapters.clocks import SystemClock
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.notifiers import RecordingNotifier
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage

AGENT = sc.Actor("E-001", "Li Na", ["agent"])
REVIEWER = sc.Actor("E-002", "Zhou Wei", ["reviewer"])
CUSTOMER = sc.Actor("C-100", "Wang Fang", ["customer"])


def _storage(target: str) -> SQLAlchemyStorage:
    return SQLAlchemyStorage(target if "://" in target else Path(target))


class LoggedIds:
    """Ids ``<PREFIX>-<run>-<n>`` per kind, each written to the log before it is used."""

    def __init__(self, run: str, log: IO[str]) -> None:
        self._run, self._log, self._counts = run, log, dict[str, int]()

    def new_id(self, kind: str) -> str:
        self._counts[kind] = self._counts.get(kind, 0) + 1
        new = f"{kind.upper()}-{self._run}-{self._counts[kind]:04d}"
        self._log.write(f"id {kind} {new}\n")
        return new


def _desk(storage: SQLAlchemyStorage, ids: Any) -> sc.ServiceDesk:
    return sc.ServiceDesk(
        storage=storage,
        notifier=RecordingNotifier(),
        renderer=MarkdownRenderer(),
        clock=SystemClock(),
        ids=ids,
        templates={sc.PEST_CONTROL.key: sc.PEST_CONTROL},
    )


def conflict(target: str, worker: str, count: str, ready_dir: str, *orders: str) -> None:
    from servicecore_adapters.ids import UuidIds

    storage = _storage(target)
    desk = _desk(storage, UuidIds())
    ready = Path(ready_dir)
    (ready / f"ready-{worker}").touch()
    while not (ready / "go").exists():
        time.sleep(0.005)
    accepted: list[str] = []
    rejected: list[str] = []
    errors: list[str] = []
    for n in range(int(count)):
        order_id = orders[n % len(orders)]
        note = f"w{worker}-{n}"
        try:
            desk.reassign_work_order(order_id, actor=AGENT, assignees=[sc.ActorId(f"E-{worker}")], note=note)
        except sc.ConcurrencyError:
            rejected.append(note)
        except Exception:
            errors.append(traceback.format_exc())
        else:
            accepted.append(note)
    storage.close()
    print(json.dumps({"accepted": accepted, "rejected": rejected, "errors": errors}))


def stream(target: str, run: str, cases: str, log_file: str) -> None:
    with open(log_file, "a", buffering=1, encoding="utf-8") as log:  # line-buffered: every line reaches the OS
        storage = _storage(target)
        desk = _desk(storage, LoggedIds(run, log))
        versions: dict[str, int] = {}

        def step(name: str, targets: list[str], command: Any, also: tuple[str, ...] = ()) -> Any:
            log.write(f"begin {name} {json.dumps({t: versions[t] for t in targets})}\n")
            result = command()
            versions[result.id] = result.version
            for other in also:  # changed in the same transaction
                versions[other] += 1
            changed = {t: versions[t] for t in {result.id, *targets, *also}}
            log.write(f"done {name} {json.dumps(changed)}\n")
            return result

        terms = sc.AgreementTerms(
            items=[sc.ServiceItem("Treatment", "GB/T 27770", "1", "visit", sc.Money("800", "CNY"))],
            schedule=sc.Schedule(
                desk.clock.now() + timedelta(days=3), desk.clock.now() + timedelta(days=3, hours=2), "Room 201"
            ),
            criteria=[sc.AcceptanceCriterion("ok", "No insects", "site_check")],
        )

        def one_case() -> None:
            request = step(
                "receive",
                [],
                lambda: desk.receive_request(
                    actor=AGENT,
                    customer=sc.Customer("C-100", "Wang Fang"),
                    channel="phone",
                    category="pest control",
                    priority="normal",
                    description="ants",
                ),
            )
            r = request.id
            step("acknowledge", [r], lambda: desk.acknowledge_request(r, actor=AGENT, message="ok"))
            step("assess", [r], lambda: desk.assess_request(r, actor=AGENT, feasible=True, analysis="fine"))
            agreement = step("draft", [], lambda: desk.draft_agreement(r, actor=AGENT, title="t", terms=terms))
            a = agreement.id
            step("submit", [a], lambda: desk.submit_agreement_for_review(a, actor=AGENT))
            step("approve", [a], lambda: desk.approve_agreement(a, actor=REVIEWER))
            # the request waits for the customer from the offer on: its clocks are saved with it
            step("offer", [a, r], lambda: desk.offer_agreement(a, actor=AGENT), also=(r,))
            step("confirm", [a, r], lambda: desk.confirm_agreement(a, actor=CUSTOMER), also=(r,))
            step("activate", [a], lambda: desk.activate_agreement(a, actor=AGENT))

        for _ in range(int(cases)):
            one_case()
        storage.close()
        log.write("finished\n")


def dispatch(target: str, marker_file: str) -> None:
    from servicecore.application.dispatcher import Dispatcher, RetryPolicy
    from servicecore.ports.notification import Notification

    class Hangs(RecordingNotifier):
        def send(self, notification: Notification) -> None:
            if notification.id == "NTF-hang":
                Path(marker_file).touch()
                time.sleep(3600)
            super().send(notification)

    storage = _storage(target)
    policy = RetryPolicy(timeout=timedelta(minutes=10))
    Dispatcher(storage=storage, notifier=Hangs(), clock=SystemClock(), retry=policy).dispatch_all()


if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    {"conflict": conflict, "stream": stream, "dispatch": dispatch}[mode](*arguments)
