"""The contract every connector passes against its own sandbox, in-process.

One parametrized suite: a new platform joins by adding its name to PLATFORMS.
"""

from __future__ import annotations

import asyncio

import pytest

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import (
    Connector,
    ConnectorContext,
    ListingDraft,
    ListingStatus,
    MemoryTokenStore,
    PriceUpdate,
    StatusChange,
    StockUpdate,
)
from ocopsync.connectors.registry import connector_class
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.base import SandboxPlatform

PLATFORMS = ["portal", "shopee", "lazada", "sendo", "voso", "postmart"]
ROOT = "http://sandbox"


class Rig:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.sandbox: Sandbox = build_sandbox([platform])
        self.emulator: SandboxPlatform = self.sandbox[platform]
        self.store = MemoryTokenStore()
        self.name = f"contract-{platform}"
        self.settings = ConnectionSettings(
            name=self.name,
            platform=platform,
            base_url=self.emulator.base_url(ROOT),
            credentials=self.emulator.credentials(),
            options={**self.emulator.connection_options(ROOT), "rate_limit_per_s": 0},
        )

    async def connect(self) -> Connector:
        ctx = ConnectorContext(
            settings=self.settings,
            credentials=self.emulator.credentials(),
            token_store=self.store,
            transport=self.sandbox.transport(),
            retry_wait_scale=0,
        )
        connector: Connector = connector_class(self.platform)(ctx)
        code = self.emulator.authorization_code()
        if connector.capabilities.needs_authorization:
            assert code, "an OAuth platform's sandbox must offer an authorization code"
            await connector.exchange_code(code)  # type: ignore[attr-defined]
        return connector

    def draft(self, sku: str, price: int = 45_000, stock: int = 20) -> ListingDraft:
        return ListingDraft(
            sku=sku,
            name=f"Trà hoa vàng Ba Chẽ {sku}",
            description="Trà hoa vàng Ba Chẽ, sản phẩm OCOP 4 sao của HTX Ba Chẽ, Quảng Ninh.",
            price=price,
            stock=stock,
            group="beverage",
            stars=4,
            entity_code="QN-HTX-BACHE",
            province="Quảng Ninh",
            weight_g=250,
            barcode="8938500000017",
            image_urls=(f"{ROOT}/{self.platform}/_sandbox/image.png",),
        )


def run(coro):
    """Drive one async scenario; pytest-asyncio is not needed for so little."""
    return asyncio.run(coro)


@pytest.fixture
def pair(request: pytest.FixtureRequest):
    r = Rig(request.param)
    connector = run(r.connect())
    yield r, connector
    run(connector.aclose())


async def listings(connector: Connector) -> dict[str, object]:
    return {x.seller_sku: x async for x in connector.list_listings()}


@pytest.mark.parametrize("pair", PLATFORMS, indirect=True)
def test_list_create_update_unlist_relist(pair) -> None:
    rig, connector = pair
    page = connector.capabilities.page_size
    seeded = {
        f"HAND-{i:04d}": rig.emulator.seed(f"HAND-{i:04d}", f"Hàng {i}", 30_000 + i, 5)
        for i in range(page + 3)
    }

    async def scenario() -> None:
        found = await listings(connector)
        assert set(found) == set(seeded), "every seeded listing, across pages"
        assert {sku: x.remote_id for sku, x in found.items()} == seeded

        created = {}
        for sku in ("NEW-1", "NEW-2", "NEW-3"):
            assert connector.missing_for_create(rig.draft(sku)) == []
            created[sku] = await connector.create_listing(rig.draft(sku))
        found = await listings(connector)
        for sku, rid in created.items():
            got = found[sku]
            assert (got.remote_id, got.price, got.stock) == (rid, 45_000, 20)
            assert got.status in (ListingStatus.LIVE, ListingStatus.PENDING)
        assert rig.emulator.snapshot()["NEW-1"]["name"] == "Trà hoa vàng Ba Chẽ NEW-1"

        everything = {sku: x.remote_id for sku, x in found.items()}
        prices = [PriceUpdate(rid, sku, 50_000) for sku, rid in everything.items()]
        assert len(prices) > connector.capabilities.price_batch
        results = await connector.update_prices(prices)
        assert [r.sku for r in results if not r.ok] == []
        stocks = [StockUpdate(rid, sku, 7) for sku, rid in everything.items()]
        results = await connector.update_stocks(stocks)
        assert [r.sku for r in results if not r.ok] == []
        snap = rig.emulator.snapshot()
        assert {(v["price"], v["stock"]) for v in snap.values()} == {(50_000, 7)}

        some = [
            StatusChange(everything[s], s, ListingStatus.UNLISTED) for s in ("NEW-1", "HAND-0001")
        ]
        assert all(r.ok for r in await connector.set_status(some))
        found = await listings(connector)
        assert found["NEW-1"].status is ListingStatus.UNLISTED
        assert found["HAND-0001"].status is ListingStatus.UNLISTED
        back = [StatusChange(c.remote_id, c.sku, ListingStatus.LIVE) for c in some]
        assert all(r.ok for r in await connector.set_status(back))
        found = await listings(connector)
        assert found["NEW-1"].status is ListingStatus.LIVE

    run(scenario())


@pytest.mark.parametrize("pair", PLATFORMS, indirect=True)
def test_find_by_sku_adopts_an_existing_listing(pair) -> None:
    rig, connector = pair
    rid = rig.emulator.seed("BY-HAND-1", "Miến dong Bình Liêu", 60_000, 12)

    async def scenario() -> None:
        got = await connector.find_by_sku("BY-HAND-1")
        assert got is not None and (got.remote_id, got.seller_sku) == (rid, "BY-HAND-1")
        assert await connector.find_by_sku("NOBODY") is None

    run(scenario())


@pytest.mark.parametrize("pair", PLATFORMS, indirect=True)
def test_unknown_item_is_rejected_per_item_not_raised(pair) -> None:
    rig, connector = pair
    rid = rig.emulator.seed("REAL-1", "Nước mắm Cái Rồng", 80_000, 3)
    ghost = "999999999" if rig.platform != "lazada" else "999999999:999999999"

    async def scenario() -> None:
        results = await connector.update_prices(
            [PriceUpdate(rid, "REAL-1", 81_000), PriceUpdate(ghost, "GHOST", 1_000)]
        )
        by_sku = {r.sku: r for r in results}
        assert by_sku["REAL-1"].ok
        assert not by_sku["GHOST"].ok

    run(scenario())


@pytest.mark.parametrize("pair", PLATFORMS, indirect=True)
def test_survives_an_expired_token_mid_run(pair) -> None:
    rig, connector = pair
    rid = rig.emulator.seed("TOK-1", "Kẹo dừa Bến Tre", 35_000, 9)

    async def scenario() -> None:
        await listings(connector)
        before = rig.store.load(rig.name)
        rig.emulator.expire_tokens()
        results = await connector.update_stocks([StockUpdate(rid, "TOK-1", 4)])
        assert all(r.ok for r in results)
        assert rig.emulator.snapshot()["TOK-1"]["stock"] == 4
        after = rig.store.load(rig.name)
        if before is not None:  # platforms with tokens store the renewed ones
            assert after is not None and after.access_token != before.access_token

    run(scenario())


@pytest.mark.parametrize("pair", PLATFORMS, indirect=True)
def test_check_reports_working_credentials(pair) -> None:
    _rig, connector = pair
    status = run(connector.check())
    assert status.ok, status.detail
