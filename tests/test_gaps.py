"""Gap lists: every product a platform is missing and the one reason why.

First as a table over hand-built rows, then each reason produced by a real scenario
against the Voso sandbox (in-process): a refused create, a create blocked by missing
data, an expired certificate, a discontinued product, zero stock, a failing platform,
a product added since the last sync and a producer with no shop.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from ocopsync import coverage, gaps
from ocopsync.catalog import import_catalog
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.coverage_store import LastAttempt, ListingState
from ocopsync.errors import ConfigError
from ocopsync.models import Product
from ocopsync.policy import Policy
from ocopsync.sandbox import build_sandbox
from ocopsync.sync import Harness, SyncRequest, run
from tests.conftest import product, write_catalog

TODAY = date(2026, 11, 24)
ROOT = "http://sandbox"


def item(sku: str, **overrides) -> Product:
    values = {
        "sku": sku,
        "name": f"Sản phẩm {sku}",
        "entity_code": "A",
        "province": "Quảng Ninh",
        "district": "Ba Chẽ",
        "group": "food",
        "stars": 4,
        "expires_on": date(2028, 1, 1),
        "price_vnd": 45_000,
        "stock": 10,
        **overrides,
    }
    return Product(**values)


SHOP = ConnectionSettings(name="v", platform="voso", base_url="http://x", entity="A")
PICKY = ConnectionSettings(
    name="v5", platform="voso", base_url="http://x", entity="A", policy=Policy(min_stars=5)
)


def state(sku: str, status: str = "live", stock: int | None = 5, conn: str = "v") -> ListingState:
    return ListingState(conn, "voso", sku, status, stock)


def attempt(sku: str, status: str, error: str = "", kind: str = "", action: str = "create"):
    return LastAttempt("v", sku, action, status, error, kind, 7)


CASES = [
    # (product overrides, listing state, last attempt, reason, words in the detail) or no gap
    ({}, state("P"), None, None, ""),
    ({"entity_code": "B"}, None, None, "no_shop", "no enabled voso connection covers producer B"),
    (
        {},
        None,
        attempt("P", "failed", "voso: images must list 1 to 9 [VALIDATION_ERROR]", "rejected"),
        "rejected",
        "VALIDATION_ERROR",
    ),
    (
        {},
        None,
        attempt("P", "failed", "voso: system busy [INTERNAL_ERROR]", "transient"),
        "failed",
        "system busy",
    ),
    (
        {},
        None,
        attempt("P", "skipped", "missing: no weight", "missing_data"),
        "blocked",
        "missing: no weight",
    ),
    (
        {},
        None,
        attempt("P", "skipped", "connection stopped: bad key"),
        "failed",
        "connection stopped",
    ),
    ({}, None, attempt("P", "not_sent"), "failed", "run 7 stopped before the create landed"),
    ({}, None, None, "not_synced", "no sync has listed it"),
    ({}, state("P", "unlisted"), attempt("P", "succeeded"), "not_synced", "next sync relists"),
    ({}, state("P", "pending"), None, "not_synced", "review"),
    ({}, state("P", "rejected"), None, "rejected", "review rejected"),
    ({}, state("P", stock=0), None, "out_of_stock", "0 units listed (master stock 10, buffer 0)"),
    ({}, state("P", stock=None), None, None, ""),  # adopted, stock unknown yet: live
    (
        {"expires_on": date(2026, 11, 1)},
        state("P", "unlisted"),
        None,
        "unlisted",
        "certificate expired on 2026-11-01",
    ),
    ({"status": "discontinued"}, state("P", "unlisted"), None, "unlisted", "discontinued"),
    ({"expires_on": date(2026, 11, 1)}, None, None, None, ""),  # never listed: not a gap
    ({"expires_on": date(2026, 11, 1)}, state("P"), None, None, ""),  # still live until a sync
    ({"group": "tourism"}, None, None, None, ""),
]


@pytest.mark.parametrize(("overrides", "listing", "last", "reason", "words"), CASES)
def test_one_reason_per_product(overrides, listing, last, reason, words) -> None:
    states = {("v", "P"): listing} if listing else {}
    attempts = {("v", "P"): last} if last else {}
    found = gaps.find_gaps(
        "voso", [item("P", **overrides)], [SHOP], states, attempts, {"A": "HTX A"}, today=TODAY
    )
    if reason is None:
        assert found == []
    else:
        [gap] = found
        assert gap.reason == reason and words in gap.detail, gap
        assert gap.entity_name == ("HTX A" if gap.entity_code == "A" else "")


def test_below_min_stars_is_unlisted_with_why_and_otherwise_not_a_gap() -> None:
    three = item("P", stars=3)
    found = gaps.find_gaps(
        "voso",
        [three],
        [PICKY],
        {("v5", "P"): state("P", "unlisted", conn="v5")},
        {},
        {},
        today=TODAY,
    )
    assert [(g.reason, g.detail) for g in found] == [
        ("unlisted", "v5: 3 stars, connection needs 5")
    ]
    assert gaps.find_gaps("voso", [three], [PICKY], {}, {}, {}, today=TODAY) == []


def test_a_live_listing_on_any_shop_of_the_platform_closes_the_gap() -> None:
    other = ConnectionSettings(name="w", platform="voso", base_url="http://x", entity="*")
    states = {("w", "P"): state("P", conn="w")}
    assert gaps.find_gaps("voso", [item("P")], [SHOP, other], states, {}, {}, today=TODAY) == []
    # two shops, neither live: the reason closest to a live listing is shown
    states = {("w", "P"): state("P", stock=0, conn="w")}
    attempts = {("v", "P"): attempt("P", "failed", "boom", "transient")}
    [gap] = gaps.find_gaps("voso", [item("P")], [SHOP, other], states, attempts, {}, today=TODAY)
    assert gap.reason == "out_of_stock"


def test_by_reason_names_every_reason() -> None:
    assert list(gaps.by_reason([])) == list(gaps.REASONS)


def test_an_unknown_platform_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown platform 'vosoo'"):
        gaps.known_platform(Settings(), "vosoo")
    assert gaps.known_platform(Settings(), " Voso ") == "voso"


# --- every reason from a real scenario against the Voso sandbox ----------------------
class RefuseCreatesOf(httpx.AsyncBaseTransport):
    """The platform answers 503 to every create of one SKU (an outage on its side), and
    400 to another's (its content review refuses what no rule we know of could tell)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, sku: str, refused: str) -> None:
        self.inner, self.sku, self.refused = inner, sku, refused

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        sku = json.loads(body).get("seller_sku") if request.method == "POST" and body else None
        if sku == self.sku:
            return httpx.Response(
                503,
                json={
                    "status": 503,
                    "error": True,
                    "code": "INTERNAL_ERROR",
                    "message": "system busy, please retry",
                    "data": None,
                },
            )
        if sku == self.refused:
            return httpx.Response(
                400,
                json={
                    "status": 400,
                    "error": True,
                    "code": "VALIDATION_ERROR",
                    "message": "description holds a word the review does not allow",
                    "data": None,
                },
            )
        return await self.inner.handle_async_request(request)


A = {"entity_code": "QN-HTX-A", "entity_name": "HTX Nấm Đông Triều", "district": "Đông Triều"}
IMG = "https://img.example.vn/{}.jpg"


def rows(**changes: dict[str, str]) -> list[dict[str, str]]:
    base = {
        "A-OK": {**A, "image_urls": IMG.format("ok")},
        "A-REJ": {**A, "image_urls": IMG.format("rej")},
        "A-IMG": {**A, "image_urls": "|".join(IMG.format(i) for i in range(10))},  # Voso: 1..9
        "A-BLK": {**A, "image_urls": IMG.format("blk"), "weight_g": ""},
        "A-EXP": {**A, "image_urls": IMG.format("exp")},
        "A-DISC": {**A, "image_urls": IMG.format("disc")},
        "A-ZERO": {**A, "image_urls": IMG.format("zero"), "stock": "0"},
        "A-FAIL": {**A, "image_urls": IMG.format("fail")},
        "B-1": {
            "entity_code": "QN-HTX-B",
            "entity_name": "HTX B",
            "district": "Cô Tô",
            "image_urls": IMG.format("b"),
        },
    }
    for sku, change in changes.items():
        base[sku] = {**base.get(sku, A), **change}
    return [product(sku, **values) for sku, values in base.items()]


@pytest.fixture
def scenario(engine: Engine, tmp_path: Path):
    sandbox = build_sandbox(["voso"])
    shop = ConnectionSettings(
        name="qn-voso",
        platform="voso",
        base_url=sandbox["voso"].base_url(ROOT),
        entity="QN-HTX-A",
        credentials=sandbox["voso"].credentials(),
        options={**sandbox["voso"].connection_options(ROOT), "rate_limit_per_s": 0},
    )
    settings = Settings(database_url=str(engine.url), connections=(shop,))
    transport = RefuseCreatesOf(sandbox.transport(), "A-FAIL", "A-REJ")

    def sync() -> None:
        harness = Harness(transport=transport, retry_wait_scale=0, max_attempts=2)
        asyncio.run(run(engine, settings, SyncRequest(today=TODAY), harness))

    def load(catalog_rows) -> None:
        import_catalog(engine, write_catalog(tmp_path / f"c{len(catalog_rows)}.csv", catalog_rows))

    load(rows())
    sync()
    expired = (TODAY - timedelta(days=1)).isoformat()
    load(
        rows(
            **{
                "A-EXP": {"expires_on": expired},
                "A-DISC": {"status": "discontinued"},
                "A-NEW": {"image_urls": IMG.format("new")},
            }
        )
    )
    sync()
    # A-LATE joins the catalog after the last sync: covered, eligible, never tried.
    load(
        rows(
            **{
                "A-EXP": {"expires_on": expired},
                "A-DISC": {"status": "discontinued"},
                "A-NEW": {"image_urls": IMG.format("new")},
                "A-LATE": {"image_urls": IMG.format("late")},
            }
        )
    )
    return engine, settings, sandbox


def test_every_reason_from_a_real_sync(scenario) -> None:
    engine, settings, sandbox = scenario
    doc = gaps.gap_report(engine, settings, "voso", today=TODAY)
    reasons = {r["sku"]: (r["reason"], r["detail"]) for r in doc["rows"]}
    assert {sku: reason for sku, (reason, _d) in reasons.items()} == {
        "A-REJ": "rejected",
        "A-BLK": "blocked",
        "A-IMG": "blocked",
        "A-EXP": "unlisted",
        "A-DISC": "unlisted",
        "A-ZERO": "out_of_stock",
        "A-FAIL": "failed",
        "A-LATE": "not_synced",
        "B-1": "no_shop",
    }
    assert "the review does not allow" in reasons["A-REJ"][1]
    assert "VALIDATION_ERROR" in reasons["A-REJ"][1]  # the platform's own code
    assert "no weight" in reasons["A-BLK"][1]
    # checked against the platform's limits before sending: never refused, never sent
    assert "10 images, voso takes at most 9 per listing" in reasons["A-IMG"][1]
    assert (
        f"certificate expired on {(TODAY - timedelta(days=1)).isoformat()}" in reasons["A-EXP"][1]
    )
    assert reasons["A-DISC"][1] == "qn-voso: discontinued"
    assert "HTTP 503" in reasons["A-FAIL"][1]
    assert "no enabled voso connection covers producer QN-HTX-B" in reasons["B-1"][1]
    assert doc["by_reason"] == {
        "no_shop": 1,
        "blocked": 2,
        "rejected": 1,
        "unlisted": 2,
        "out_of_stock": 1,
        "not_synced": 1,
        "failed": 1,
    }
    row = next(r for r in doc["rows"] if r["sku"] == "A-REJ")
    assert (row["entity_code"], row["entity_name"], row["district"]) == (
        "QN-HTX-A",
        "HTX Nấm Đông Triều",
        "Đông Triều",
    )
    live = sandbox["voso"].snapshot()
    assert {"A-OK", "A-NEW", "A-ZERO"} <= set(live)
    assert "A-REJ" not in live and "A-IMG" not in live
    # The gap rows of eligible products are exactly what coverage counts as not listed.
    [cov] = coverage.aggregate(coverage.cells(engine, settings, today=TODAY), "platform")
    missing = [r for r in doc["rows"] if r["reason"] not in ("unlisted", "out_of_stock")]
    assert cov["eligible"] - cov["listed"] == len(missing)
    narrowed = gaps.gap_report(engine, settings, "voso", today=TODAY, district="dong trieu")
    assert "B-1" not in {r["sku"] for r in narrowed["rows"]}
    assert (
        gaps.gap_report(engine, settings, "voso", today=TODAY, entity="QN-HTX-B")["rows"][0]["sku"]
        == "B-1"
    )
