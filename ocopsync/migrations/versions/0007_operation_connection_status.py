"""An index on the journal by connection and status.

Every run looks for the operations a dead run left ``started`` on each connection
(lost creates, price and status writes); the journal grows by every operation of every
run, so without this index each of those reads scans all of it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_operation_connection_status", "operation", ["connection", "status"])


def downgrade() -> None:
    op.drop_index("ix_operation_connection_status", table_name="operation")
