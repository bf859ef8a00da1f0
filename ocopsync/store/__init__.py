"""The store: one module per concern owning its SQL (tokens, runs and locks, listings,
the journal, products); the rest of ocopsync calls these and never writes SQL itself.

Everything is re-exported here, so ``from ocopsync.store import acquire_lock`` keeps
working.
"""

from __future__ import annotations

from ocopsync.store.journal import (
    abandon_planned,
    journal_outcomes,
    journal_planned,
    journal_started,
)
from ocopsync.store.listings import (
    ListingRow,
    load_listings,
    record_connections,
    save_listings,
)
from ocopsync.store.products import CatalogProduct, all_stock, load_products
from ocopsync.store.runs import (
    LOCK_TTL,
    RUN_LEASE,
    _holder_is_gone,
    acquire_lock,
    close_dead_runs,
    finish_run,
    holder_name,
    release_lock,
    renew_lease,
    start_run,
)
from ocopsync.store.tokens import DbTokenStore

__all__ = [
    "LOCK_TTL",
    "RUN_LEASE",
    "CatalogProduct",
    "DbTokenStore",
    "ListingRow",
    "_holder_is_gone",
    "abandon_planned",
    "acquire_lock",
    "all_stock",
    "close_dead_runs",
    "finish_run",
    "holder_name",
    "journal_outcomes",
    "journal_planned",
    "journal_started",
    "load_listings",
    "load_products",
    "record_connections",
    "release_lock",
    "renew_lease",
    "save_listings",
    "start_run",
]
