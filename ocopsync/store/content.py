"""Content fingerprints on listing rows: the baseline of a listing we never sent content to.

A listing adopted from the platform (or listed before content was tracked) has no
``content_sent``; the first plan that sees it records the catalog's fingerprints as
its baseline, so a later catalog edit is sent and nothing is resent for no reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, and_, bindparam, update

from ocopsync.models import Listing

_LISTINGS = Listing.__table__  # type: ignore[attr-defined]


def set_content_baselines(
    engine: Engine, connection: str, fingerprints: Mapping[str, Mapping[str, str]]
) -> int:
    """Set ``content_sent`` of these SKUs' rows where it is still empty; rows changed."""
    if not fingerprints:
        return 0
    statement = (
        update(_LISTINGS)
        .where(
            and_(
                _LISTINGS.c.connection == bindparam("b_connection"),
                _LISTINGS.c.sku == bindparam("b_sku"),
                _LISTINGS.c.content_sent.is_(None),
            )
        )
        .values(content_sent=bindparam("b_content"))
    )
    rows = [
        {"b_connection": connection, "b_sku": sku, "b_content": dict(fp)}
        for sku, fp in fingerprints.items()
    ]
    with engine.begin() as conn:
        result = conn.execute(statement, rows)
    return int(result.rowcount or 0)
