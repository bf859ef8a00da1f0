"""Sandbox shops fit for benchmarks: a cursor page and a lookup by ids cost O(page),
and give exactly what filtering the whole visible list gave."""

from __future__ import annotations

from ocopsync.sandbox.base import SandboxShop


def _shop(count: int) -> SandboxShop:
    shop = SandboxShop(first_id=995)  # ids cross from 3 to 4 digits: numeric order counts
    for i in range(count):
        shop.add(f"S{i}", f"item {i}", 1000, 1)
    return shop


def _scan(shop: SandboxShop, after: int | None, limit: int) -> tuple[list[str], bool]:
    rest = [i for i in shop.visible() if after is None or int(i.remote_id) > after]
    return [i.remote_id for i in rest[:limit]], len(rest) > limit


def test_cursor_pages_match_a_full_scan_and_walk_every_item_once() -> None:
    shop = _shop(23)
    shop.items["1000"].status = "deleted"  # a deleted item is never paged
    for after in (None, 990, 996, 999, 1000, 1005, 1017, 1018, 2000):
        for limit in (1, 5, 50):
            page, more = shop.page_after(after, limit)
            assert ([i.remote_id for i in page], more) == _scan(shop, after, limit)
    walked, cursor, more = [], None, True
    while more:
        page, more = shop.page_after(cursor, 4)
        walked += [i.sku for i in page]
        cursor = int(page[-1].remote_id)
    assert walked == [i.sku for i in shop.visible()] and "S4" not in walked


def test_items_by_ids_are_looked_up_one_by_one_in_id_order() -> None:
    shop = _shop(8)
    shop.items["999"].status = "deleted"
    got = shop.visible_by_ids(["1002", "998", "999", "nope", "998", "996"])
    assert [i.remote_id for i in got] == ["996", "998", "1002"]
