"""Initial schema: the aggregate document table, the assignee side table and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 22:30:46.096685
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "servicecore_aggregates",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(), nullable=True),
        sa.Column("sla_check_at", sa.BigInteger(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id", name=op.f("pk_servicecore_aggregates")),
    )
    op.create_index(
        "ix_servicecore_aggregates_customer", "servicecore_aggregates", ["kind", "customer_id", "id"], unique=False
    )
    op.create_index(
        "ix_servicecore_aggregates_sla",
        "servicecore_aggregates",
        ["kind", "sla_check_at", "id"],
        unique=False,
        sqlite_where=sa.text("sla_check_at IS NOT NULL"),
        postgresql_where=sa.text("sla_check_at IS NOT NULL"),
    )
    op.create_index(
        "ix_servicecore_aggregates_status", "servicecore_aggregates", ["kind", "status", "id"], unique=False
    )
    op.create_table(
        "servicecore_outbox",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicecore_outbox")),
    )
    op.create_index(
        "ix_servicecore_outbox_due",
        "servicecore_outbox",
        ["due_at", "created_at", "id"],
        unique=False,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_servicecore_outbox_pending",
        "servicecore_outbox",
        ["created_at", "id"],
        unique=False,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "servicecore_assignees",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("assignee_id", sa.String(), nullable=False),
        sa.Column("aggregate_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kind", "aggregate_id"],
            ["servicecore_aggregates.kind", "servicecore_aggregates.id"],
            name=op.f("fk_servicecore_assignees_kind_aggregate_id"),
        ),
        sa.PrimaryKeyConstraint("kind", "assignee_id", "aggregate_id", name=op.f("pk_servicecore_assignees")),
    )
    op.create_index(
        "ix_servicecore_assignees_aggregate", "servicecore_assignees", ["kind", "aggregate_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_servicecore_assignees_aggregate", table_name="servicecore_assignees")
    op.drop_table("servicecore_assignees")
    op.drop_index(
        "ix_servicecore_outbox_pending",
        table_name="servicecore_outbox",
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        "ix_servicecore_outbox_due",
        table_name="servicecore_outbox",
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("servicecore_outbox")
    op.drop_index("ix_servicecore_aggregates_status", table_name="servicecore_aggregates")
    op.drop_index(
        "ix_servicecore_aggregates_sla",
        table_name="servicecore_aggregates",
        sqlite_where=sa.text("sla_check_at IS NOT NULL"),
        postgresql_where=sa.text("sla_check_at IS NOT NULL"),
    )
    op.drop_index("ix_servicecore_aggregates_customer", table_name="servicecore_aggregates")
    op.drop_table("servicecore_aggregates")
