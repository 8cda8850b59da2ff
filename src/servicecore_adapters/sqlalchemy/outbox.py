"""The transactional outbox of a SQLAlchemy unit of work: messages staged like aggregates, written at commit.

Every mark (delivered, failed, claimed) is a compare-and-set on the row's
``version`` column. :meth:`SQLAlchemyOutbox.claim_due` locks the due rows it
returns: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so other
dispatchers skip them; on SQLite it opens the write transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from servicecore.domain.errors import DuplicateIdError, NotFoundError
from servicecore.ports.notification import DeliveryStatus, Notification, OutboxMessage
from servicecore.serialization import structure, unstructure
from servicecore.storage_kinds import check_instant, check_limit
from servicecore_adapters.sqlalchemy import statements
from servicecore_adapters.sqlalchemy.documents import dumps
from servicecore_adapters.sqlalchemy.statements import Conflict, DuplicateNotification, Sql, merge_page, to_micros

if TYPE_CHECKING:
    from servicecore_adapters.sqlalchemy.unit_of_work import SQLAlchemyUnitOfWork


@attrs.define
class _OutboxWrite:
    new: bool
    base_version: int  # the version the stored row must still have
    message: OutboxMessage


def _due_key(message: OutboxMessage) -> tuple[int, int, str]:
    return to_micros(message.due_from()), to_micros(message.notification.created_at), message.notification.id


def _pending_key(message: OutboxMessage) -> tuple[int, str]:
    return to_micros(message.notification.created_at), message.notification.id


class SQLAlchemyOutbox:
    """The outbox inside a :class:`SQLAlchemyUnitOfWork`: staged like the repositories."""

    def __init__(self, uow: SQLAlchemyUnitOfWork) -> None:
        self._uow = uow
        self._storage = uow._storage
        self._staged: dict[str, _OutboxWrite] = {}
        # messages as this unit of work read them, with their row versions: the base of the writes staged after
        self._read: dict[str, tuple[int, OutboxMessage]] = {}

    def add(self, notification: Notification) -> None:
        """Queue a notification; a notification id already queued fails (here or at commit)."""
        self._uow._check_open()
        if notification.id in self._staged:
            raise DuplicateIdError("notification", notification.id, "outbox")
        self._staged[notification.id] = _OutboxWrite(True, 0, OutboxMessage(notification=notification))

    def get(self, notification_id: str) -> OutboxMessage:
        """One message by notification id."""
        staged = self._staged.get(notification_id)
        if staged is not None:
            return staged.message
        read = self._read.get(notification_id)
        if read is not None:
            return read[1]
        row = self._uow._fetch_one(self._storage._sql("outbox-get", statements.outbox_get), {"i": notification_id})
        if row is None:
            raise NotFoundError("OutboxMessage", notification_id)
        message = structure(json.loads(row[1]), OutboxMessage)
        self._read[notification_id] = (int(row[0]), message)
        return message

    def pending(self, *, limit: int = 100) -> Sequence[OutboxMessage]:
        """Undelivered messages, oldest first."""
        count = check_limit(limit)
        found = self._query(self._storage._sql("outbox-pending", statements.outbox_pending), {}, count)
        return self._merged(found, count, _pending_key, lambda m: True)

    def due(self, *, at: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Pending messages due at ``at``."""
        return self._due(at, limit, lock=False)

    def claim_due(self, *, at: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        """Due messages, locked for this unit of work (skipped by other claims on PostgreSQL)."""
        return self._due(at, limit, lock=True)

    def _due(self, at: datetime, limit: int, *, lock: bool) -> Sequence[OutboxMessage]:
        instant, count = check_instant("at", at), check_limit(limit)
        if lock:
            self._uow._begin_write()
        sql = self._storage._sql(("outbox-due", lock), statements.outbox_due(lock))
        found = self._query(sql, {"at": to_micros(instant)}, count)
        return self._merged(found, count, _due_key, lambda m: m.due_from() <= instant)

    def _query(self, sql: Sql, values: Mapping[str, Any], count: int) -> list[OutboxMessage]:
        rows = self._uow._fetch_all(sql, {**values, "lim": count + len(self._staged)})
        found = []
        for row in rows:
            if row[0] not in self._staged:
                message = structure(json.loads(row[1]), OutboxMessage)
                self._read[row[0]] = (int(row[2]), message)
                found.append(message)
        return found

    def _merged(
        self,
        found: list[OutboxMessage],
        count: int,
        key: Callable[[OutboxMessage], Any],
        keep: Callable[[OutboxMessage], bool],
    ) -> list[OutboxMessage]:
        if not self._staged:
            return found[:count]
        mine = [
            (key(w.message), w.message)
            for w in self._staged.values()
            if w.message.status is DeliveryStatus.PENDING and keep(w.message)
        ]
        return merge_page(((key(m), m) for m in found), mine, count, 0)

    def mark_delivered(self, notification_id: str, *, at: datetime) -> None:
        """Record a delivery."""
        check_instant("at", at)
        message = self.get(notification_id)
        self._stage(message, message.delivered(at=at))

    def mark_failed(
        self,
        notification_id: str,
        *,
        at: datetime,
        error: str,
        final: bool = False,
        retry_at: datetime | None = None,
    ) -> None:
        """Record a failed attempt."""
        check_instant("at", at)
        if retry_at is not None:
            check_instant("retry_at", retry_at)
        message = self.get(notification_id)
        self._stage(message, message.failed(at=at, error=error, final=final, retry_at=retry_at))

    def mark_claimed(self, notification_id: str, *, until: datetime | None) -> None:
        """Hold the message for a dispatcher until ``until`` (``None``: release it); the row's version moves on,
        so a dispatcher whose claim was taken over cannot record over the new one."""
        if until is not None:
            check_instant("until", until)
        message = self.get(notification_id)
        self._stage(message, message.claimed(until=until))

    def _stage(self, before: OutboxMessage, after: OutboxMessage) -> None:
        self._uow._check_open()
        notification_id = before.notification.id
        staged = self._staged.get(notification_id)
        if staged is not None:
            staged.message = after
        else:
            self._staged[notification_id] = _OutboxWrite(False, self._read[notification_id][0], after)

    def _flush(self) -> None:
        uow, storage = self._uow, self._storage
        for notification_id in sorted(self._staged):
            write = self._staged[notification_id]
            message = write.message
            document = dumps(unstructure(message))
            due = to_micros(message.due_from())
            if write.new:
                values = {
                    "id": notification_id,
                    "status": message.status.value,
                    "version": 0,
                    "created_at": to_micros(message.notification.created_at),
                    "due_at": due,
                    "document": document,
                }
                if not uow._write(storage._sql("outbox-insert", statements.outbox_insert), values):
                    raise DuplicateNotification(notification_id)
            else:
                values = {
                    "i": notification_id,
                    "base": write.base_version,
                    "s": message.status.value,
                    "v": write.base_version + 1,
                    "due": due,
                    "doc": document,
                }
                if uow._write(storage._sql("outbox-update", statements.outbox_update), values) != 1:
                    raise Conflict("OutboxMessage", notification_id, write.base_version, outbox_message=True)

    def _reset(self) -> None:
        self._staged.clear()
        self._read.clear()


__all__ = ["SQLAlchemyOutbox"]
