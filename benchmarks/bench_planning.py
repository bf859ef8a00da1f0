"""Benchmark: pure planning (``reconcile.plan_connection``) of N listings, a no-op.

No database, no network: one connection whose every listing already shows the
catalog's price and stock, so the figure is the planner's own cost per listing. Prints
the best of three per size, to show whether the cost stays linear:

    python benchmarks/bench_planning.py                 # 10,000, 100,000 and 200,000
    python benchmarks/bench_planning.py --sizes 100000
"""

from __future__ import annotations

import argparse
import time

from ocopsync.policy import Policy
from ocopsync.reconcile import CatalogItem, KnownListing, plan_connection
from ocopsync.records import ListingDraft, ListingStatus, RemoteListing


def inputs(
    n: int, policy: Policy
) -> tuple[list[CatalogItem], dict[str, KnownListing], list[RemoteListing], dict[str, int]]:
    items, known, remote, stock = [], {}, [], {}
    for i in range(n):
        sku = f"SKU-{i:06d}"
        draft = ListingDraft(
            sku=sku,
            name=f"Sản phẩm {i}",
            description="",
            price=10_000 + i,
            stock=5,
            group="food",
            stars=4,
            entity_code="E",
            province="Quảng Ninh",
            weight_g=100,
        )
        price = policy.price(draft.price)
        items.append(CatalogItem(draft))
        known[sku] = KnownListing(sku, str(i), price, 5)
        remote.append(RemoteListing(str(i), sku, draft.name, price, 5, ListingStatus.LIVE))
        stock[sku] = 5
    return items, known, remote, stock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 200_000])
    args = parser.parse_args()
    policy = Policy()
    for n in args.sizes:
        items, known, remote, stock = inputs(n, policy)
        skus = frozenset(stock)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            plan = plan_connection(
                connection="c",
                platform="portal",
                policy=policy,
                items=items,
                known=known,
                remote=remote,
                master_stock=stock,
                catalog_skus=skus,
            )
            best = min(best, time.perf_counter() - started)
        assert not plan.operations, "a no-op plans nothing"
        print(f"{n:>8,} listings: {best:.3f} s ({best / n * 1e6:.2f} us each)")


if __name__ == "__main__":
    main()
