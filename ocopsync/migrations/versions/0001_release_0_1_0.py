"""The schema of release 0.1.0, which created its tables with ``create_all``.

Written out by hand rather than generated from today's models, so it stays what 0.1.0
created even as the models move on: a 0.1.0 database is stamped at this revision and
upgraded from here.

Revision ID: 0001
Revises:
Create Date: 2025-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp() -> sa.DateTime:
    """Times are UTC-aware, as SQLModel's ``datetime`` fields declare them."""
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "connection",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("base_url", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "connectionlock",
        sa.Column("connection", sa.String(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("acquired_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("connection"),
    )
    op.create_table(
        "coveragesnapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", _timestamp(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("province", sa.String(), nullable=False),
        sa.Column("district", sa.String(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(), nullable=False),
        sa.Column("entity_code", sa.String(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_coveragesnapshot_run_id"), "coveragesnapshot", ["run_id"], unique=False
    )
    op.create_index(
        op.f("ix_coveragesnapshot_taken_at"), "coveragesnapshot", ["taken_at"], unique=False
    )
    op.create_table(
        "credential",
        sa.Column("connection", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("access_token", sa.String(), nullable=False),
        sa.Column("refresh_token", sa.String(), nullable=False),
        sa.Column("access_expires_at", _timestamp(), nullable=True),
        sa.Column("refresh_expires_at", _timestamp(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("connection"),
    )
    op.create_table(
        "entity",
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("province", sa.String(), nullable=False),
        sa.Column("district", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "listing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("remote_id", sa.String(), nullable=False),
        sa.Column("seller_sku", sa.String(), nullable=False),
        sa.Column("last_price", sa.Integer(), nullable=True),
        sa.Column("last_stock", sa.Integer(), nullable=True),
        sa.Column("pending_stock", sa.Integer(), nullable=True),
        sa.Column("remote_status", sa.String(), nullable=False),
        sa.Column("last_seen", _timestamp(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connection", "sku", name="uq_listing_connection_sku"),
    )
    op.create_index(op.f("ix_listing_connection"), "listing", ["connection"], unique=False)
    op.create_index(op.f("ix_listing_sku"), "listing", ["sku"], unique=False)
    op.create_index(op.f("ix_listing_platform"), "listing", ["platform"], unique=False)
    op.create_table(
        "syncrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_at", _timestamp(), nullable=False),
        sa.Column("finished_at", _timestamp(), nullable=True),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "operation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("connection", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("from_value", sa.String(), nullable=False),
        sa.Column("to_value", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("error", sa.String(), nullable=False),
        sa.Column("error_kind", sa.String(), nullable=False),
        sa.Column("started_at", _timestamp(), nullable=True),
        sa.Column("finished_at", _timestamp(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["syncrun.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_operation_run_id"), "operation", ["run_id"], unique=False)
    op.create_table(
        "product",
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("entity_code", sa.String(), nullable=False),
        sa.Column("province", sa.String(), nullable=False),
        sa.Column("district", sa.String(), nullable=False),
        sa.Column("group", sa.String(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("price_vnd", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=True),
        sa.Column("barcode", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("image_urls", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(["entity_code"], ["entity.code"]),
        sa.PrimaryKeyConstraint("sku"),
    )
    op.create_index(op.f("ix_product_entity_code"), "product", ["entity_code"], unique=False)
    op.create_index(op.f("ix_product_province"), "product", ["province"], unique=False)


def downgrade() -> None:
    for index, table in [
        ("ix_product_province", "product"),
        ("ix_product_entity_code", "product"),
        ("ix_operation_run_id", "operation"),
        ("ix_listing_platform", "listing"),
        ("ix_listing_sku", "listing"),
        ("ix_listing_connection", "listing"),
        ("ix_coveragesnapshot_taken_at", "coveragesnapshot"),
        ("ix_coveragesnapshot_run_id", "coveragesnapshot"),
    ]:
        op.drop_index(op.f(index), table_name=table)
    for table in [
        "product",
        "operation",
        "syncrun",
        "listing",
        "entity",
        "credential",
        "coveragesnapshot",
        "connectionlock",
        "connection",
    ]:
        op.drop_table(table)
