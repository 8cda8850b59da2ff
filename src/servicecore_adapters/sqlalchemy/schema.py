"""The tables of the SQLAlchemy storage: one document table for every aggregate kind, an
assignee side table and the outbox.

Every aggregate is one row of ``servicecore_aggregates`` keyed by (kind, id): the
whole aggregate as JSON text written by servicecore's one cattrs converter, plus
the columns queries need (``status``, ``customer_id``, ``sla_check_at``), each
indexed together with ``kind`` and ``id`` so a query reads one index range and
pages in id order. A new aggregate kind is a new value of ``kind``, not a new
table, so it needs no migration. Instants that are sorted or compared
(``sla_check_at``, the outbox's ``created_at`` and ``due_at``) are stored as
integer microseconds since 1970-01-01 UTC: exact, portable and ordered by
instant whatever offset the datetime carried; the offsets themselves live in
the JSON document.

This module is the single description of the schema: the Alembic migrations
shipped with the package must produce exactly it (a test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

VERSION_TABLE = "servicecore_alembic_version"
"""Alembic's revision table for servicecore's migrations (named so it cannot clash with an app's own)."""

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    }
)
"""Every table servicecore stores data in."""

aggregates = Table(
    "servicecore_aggregates",
    metadata,
    Column("kind", String(64), nullable=False),
    Column("id", String(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(64), nullable=False),
    Column("customer_id", String(), nullable=True),
    Column("sla_check_at", BigInteger, nullable=True),  # UTC microseconds; NULL: no SLA clock running
    Column("document", Text, nullable=False),
    PrimaryKeyConstraint("kind", "id"),
    Index("ix_servicecore_aggregates_status", "kind", "status", "id"),
    Index("ix_servicecore_aggregates_customer", "kind", "customer_id", "id"),
    Index(
        "ix_servicecore_aggregates_sla",
        "kind",
        "sla_check_at",
        "id",
        sqlite_where=text("sla_check_at IS NOT NULL"),
        postgresql_where=text("sla_check_at IS NOT NULL"),
    ),
)
"""One row per aggregate of any kind: the JSON document and its indexed projection."""

assignees = Table(
    "servicecore_assignees",
    metadata,
    Column("kind", String(64), nullable=False),
    Column("assignee_id", String(), nullable=False),
    Column("aggregate_id", String(), nullable=False),
    PrimaryKeyConstraint("kind", "assignee_id", "aggregate_id"),
    ForeignKeyConstraint(["kind", "aggregate_id"], ["servicecore_aggregates.kind", "servicecore_aggregates.id"]),
    Index("ix_servicecore_assignees_aggregate", "kind", "aggregate_id"),
)
"""Who an aggregate is assigned to, one row per (aggregate, assignee): the ``assignee_id`` filter."""

outbox = Table(
    "servicecore_outbox",
    metadata,
    Column("id", String(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),  # the row's version: every write (claim, mark) adds one
    Column("created_at", BigInteger, nullable=False),  # UTC microseconds
    Column("due_at", BigInteger, nullable=False),  # UTC microseconds: next attempt, or created_at
    Column("document", Text, nullable=False),
    PrimaryKeyConstraint("id"),
    Index(
        "ix_servicecore_outbox_pending",
        "created_at",
        "id",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
    Index(
        "ix_servicecore_outbox_due",
        "due_at",
        "created_at",
        "id",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)
"""Notifications written with the state change, and their delivery record (JSON document)."""

__all__ = ["VERSION_TABLE", "aggregates", "assignees", "metadata", "outbox"]
