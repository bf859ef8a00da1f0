"""Listing content: catalog attributes, brand and variants; what content was last sent.

``product.attributes`` holds the catalog's ``name=value`` pairs (a JSON list of
``[name, value]``); ``parent_sku``/``variant`` group catalog rows into one listing
with variants; ``listing.content_sent`` fingerprints the content last sent to a
platform, so a catalog change becomes an ``update_content`` operation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("product") as batch:
        batch.add_column(sa.Column("attributes", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("brand", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("parent_sku", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("variant", sa.String(), nullable=False, server_default=""))
    with op.batch_alter_table("listing") as batch:
        batch.add_column(sa.Column("content_sent", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("listing") as batch:
        batch.drop_column("content_sent")
    with op.batch_alter_table("product") as batch:
        for name in ("variant", "parent_sku", "brand", "attributes"):
            batch.drop_column(name)
