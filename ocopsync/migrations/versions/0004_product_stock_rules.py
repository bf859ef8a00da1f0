"""A product's own oversell rules (catalog columns), over its connections' policy.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("product") as batch:
        batch.add_column(sa.Column("stock_zero_at", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("stock_last_units_to", sa.String(), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("stock_max", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("stock_share_pct", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("product") as batch:
        for name in ("stock_share_pct", "stock_max", "stock_last_units_to", "stock_zero_at"):
            batch.drop_column(name)
