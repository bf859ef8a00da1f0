"""Discovery cache and category mappings chosen with ``ocopsync categories map``.

``discoverycache`` keeps each discovery answer of a connection (category tree,
attributes, brands and limits of a category, logistics channels) with when it was
fetched, so a sync reads them without a request until they are older than
``options.discovery_max_age_days``. ``categorymapping`` holds the leaf chosen per
connection and OCOP group, over ``options.category_map``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "discoverycache",
        sa.Column("connection", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("fetched_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("connection", "kind", "key"),
    )
    op.create_table(
        "categorymapping",
        sa.Column("connection", sa.String(), nullable=False),
        sa.Column("group", sa.String(), nullable=False),
        sa.Column("category_id", sa.String(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("connection", "group"),
    )


def downgrade() -> None:
    op.drop_table("categorymapping")
    op.drop_table("discoverycache")
