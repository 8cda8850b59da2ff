"""The outbox's row version gets its own name: a dispatcher's claim changes the row without counting an attempt.

Revision 0001 used the ``attempts`` column both as the attempt count and as the
row's compare-and-set version. Claims (a dispatcher holding a message while it
sends it outside any transaction) change the row but are not attempts, so the
column becomes ``version``: every write adds one. The attempt count stays in
the message's JSON document, as before. Existing rows keep their value, which
is a valid starting version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 17:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain SQL: SQLite (3.25+) and PostgreSQL both rename a column in place, no table rebuild
    op.execute("ALTER TABLE servicecore_outbox RENAME COLUMN attempts TO version")


def downgrade() -> None:
    op.execute("ALTER TABLE servicecore_outbox RENAME COLUMN version TO attempts")
