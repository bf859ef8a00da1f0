"""Order lines, the order cursor and the stock ledger; run owners and leases; typed ops.

New columns carry a server default so rows written by 0.1.0 get a value (and a 0.1.0
process still running while the upgrade lands can go on inserting without them).

Pre-release builds created these tables with ``create_all`` and no ``alembic_version``;
such a database is stamped at 0001 like a 0.1.0 one, so each step here is skipped where
that ``create_all`` already made it.

Revision ID: 0002
Revises: 0001
Create Date: 2025-07-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _existing() -> sa.Inspector | None:
    """The live schema, or None when writing SQL offline (then nothing exists yet)."""
    if context.is_offline_mode():
        return None
    return sa.inspect(op.get_bind())


def _has_table(name: str) -> bool:
    inspector = _existing()
    return inspector is not None and inspector.has_table(name)


def _missing_columns(table: str, columns: list[sa.Column[object]]) -> list[sa.Column[object]]:
    inspector = _existing()
    if inspector is None:
        return columns
    present = {column["name"] for column in inspector.get_columns(table)}
    return [column for column in columns if column.name not in present]


def _has_index(table: str, name: str) -> bool:
    inspector = _existing()
    return inspector is not None and any(
        index["name"] == name for index in inspector.get_indexes(table)
    )


def _add_columns(table: str, columns: list[sa.Column[object]]) -> None:
    missing = _missing_columns(table, columns)
    if not missing:
        return
    # Batch mode: SQLite adds these in place (ALTER TABLE ADD COLUMN), and a future
    # change SQLite cannot alter in place gets the table copied instead.
    with op.batch_alter_table(table) as batch:
        for column in missing:
            batch.add_column(column)


def upgrade() -> None:
    _add_columns("product", [sa.Column("imported_stock", sa.Integer(), nullable=True)])
    _add_columns(
        "listing",
        [
            sa.Column("pending_op_id", sa.Integer(), nullable=True),
            sa.Column("booked_since_push", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("pending_booked_base", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("uncertain_units", sa.Integer(), nullable=False, server_default="0"),
            sa.Column("uncertain_detail", sa.String(), nullable=False, server_default=""),
        ],
    )
    _add_columns(
        "operation",
        [sa.Column("desired", sa.JSON(), nullable=False, server_default="{}")],
    )
    _add_columns(
        "syncrun",
        [
            sa.Column("owner", sa.String(), nullable=False, server_default=""),
            sa.Column("lease_expires_at", _timestamp(), nullable=True),
        ],
    )
    if not _has_index("syncrun", "ix_syncrun_status"):
        op.create_index(op.f("ix_syncrun_status"), "syncrun", ["status"], unique=False)

    if not _has_table("orderline"):
        op.create_table(
            "orderline",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("connection", sa.String(), nullable=False),
            sa.Column("platform", sa.String(), nullable=False),
            sa.Column("order_id", sa.String(), nullable=False),
            sa.Column("line_id", sa.String(), nullable=False),
            sa.Column("sku", sa.String(), nullable=False),
            sa.Column("quantity", sa.Integer(), nullable=False),
            sa.Column("status", sa.String(), nullable=False),
            sa.Column("booked", sa.Integer(), nullable=False),
            sa.Column("ordered_at", _timestamp(), nullable=False),
            sa.Column("platform_updated_at", _timestamp(), nullable=False),
            sa.Column("first_run_id", sa.Integer(), nullable=True),
            sa.Column("last_run_id", sa.Integer(), nullable=True),
            sa.Column("recorded_at", _timestamp(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("connection", "order_id", "line_id", name="uq_orderline_line"),
        )
        op.create_index(op.f("ix_orderline_connection"), "orderline", ["connection"], unique=False)
        op.create_index(op.f("ix_orderline_sku"), "orderline", ["sku"], unique=False)
    if not _has_table("ordercursor"):
        op.create_table(
            "ordercursor",
            sa.Column("connection", sa.String(), nullable=False),
            sa.Column("tracking_since", _timestamp(), nullable=False),
            sa.Column("watermark", _timestamp(), nullable=False),
            sa.Column("updated_at", _timestamp(), nullable=False),
            sa.PrimaryKeyConstraint("connection"),
        )
    if not _has_table("stockmove"):
        op.create_table(
            "stockmove",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("sku", sa.String(), nullable=False),
            sa.Column("delta", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(), nullable=False),
            sa.Column("connection", sa.String(), nullable=False),
            sa.Column("reference", sa.String(), nullable=False),
            sa.Column("run_id", sa.Integer(), nullable=True),
            sa.Column("at", _timestamp(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index(op.f("ix_stockmove_sku"), "stockmove", ["sku"], unique=False)
        # The ledger opens with each product's stock as 0.1.0 left it, so the sum of a
        # SKU's moves is its stock from the first day on.
        op.execute(
            "INSERT INTO stockmove (sku, delta, kind, connection, reference, at) "
            "SELECT sku, stock, 'opening', '', 'upgrade from 0.1.0', CURRENT_TIMESTAMP "
            "FROM product WHERE stock <> 0"
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_stockmove_sku"), table_name="stockmove")
    op.drop_table("stockmove")
    op.drop_table("ordercursor")
    op.drop_index(op.f("ix_orderline_sku"), table_name="orderline")
    op.drop_index(op.f("ix_orderline_connection"), table_name="orderline")
    op.drop_table("orderline")
    op.drop_index(op.f("ix_syncrun_status"), table_name="syncrun")
    with op.batch_alter_table("syncrun") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("owner")
    with op.batch_alter_table("operation") as batch:
        batch.drop_column("desired")
    with op.batch_alter_table("listing") as batch:
        for name in [
            "uncertain_detail",
            "uncertain_units",
            "pending_booked_base",
            "booked_since_push",
            "pending_op_id",
        ]:
            batch.drop_column(name)
    with op.batch_alter_table("product") as batch:
        batch.drop_column("imported_stock")
