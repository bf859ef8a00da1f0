"""Oversell rules, each alone and combined with the buffer: units offered and the rule."""

from __future__ import annotations

import pytest

from ocopsync.oversell import StockRules, listed_stock
from tests.test_cli_e2e import setup  # noqa: F401  (the served portal sandbox fixture)

R = StockRules


@pytest.mark.parametrize(
    ("master", "rules", "connection", "offered", "rule"),
    [
        (10, R(), "shopee", 10, "master stock"),
        (10, R(stock_buffer=2), "shopee", 8, "buffer 2"),
        (1, R(stock_buffer=2), "shopee", 0, "buffer 2"),
        (-3, R(), "shopee", 0, "master stock"),  # oversold: nothing to offer
        # stock_max: never more than N
        (100, R(stock_max=20), "shopee", 20, "max 20"),
        (15, R(stock_max=20), "shopee", 15, "master stock"),
        (100, R(stock_buffer=2, stock_max=20), "shopee", 20, "max 20"),
        (21, R(stock_buffer=2, stock_max=20), "shopee", 19, "buffer 2"),
        # stock_share_pct: a share of the master, rounded down
        (9, R(stock_share_pct=50), "shopee", 4, "share 50%"),
        (10, R(stock_share_pct=100), "shopee", 10, "master stock"),
        (10, R(stock_buffer=7, stock_share_pct=50), "shopee", 3, "buffer 7"),
        (10, R(stock_buffer=2, stock_share_pct=50), "shopee", 5, "share 50%"),
        (100, R(stock_share_pct=50, stock_max=20), "shopee", 20, "max 20"),
        # stock_zero_at: the last units go to one channel, or to none
        (3, R(stock_zero_at=3), "shopee", 0, "zero at 3"),
        (4, R(stock_zero_at=3), "shopee", 4, "master stock"),
        (
            3,
            R(stock_zero_at=3, stock_last_units_to="portal"),
            "shopee",
            0,
            "zero at 3 (they go to portal)",
        ),
        (
            3,
            R(stock_zero_at=3, stock_last_units_to="portal"),
            "portal",
            3,
            "last 3 units go to portal",
        ),
        (
            3,
            R(stock_zero_at=3, stock_last_units_to="portal", stock_share_pct=50),
            "portal",
            3,
            "last 3 units go to portal",
        ),
        (
            3,
            R(stock_zero_at=3, stock_last_units_to="portal", stock_buffer=1),
            "portal",
            2,
            "last 3 units go to portal",
        ),
        (0, R(stock_zero_at=3), "shopee", 0, "master stock"),
    ],
)
def test_listed_stock(master, rules, connection, offered, rule) -> None:
    assert listed_stock(master, rules, connection) == (offered, rule)


def test_a_products_rules_override_the_connections() -> None:
    connection = R(stock_buffer=2, stock_max=20)
    product = R(stock_max=5, stock_zero_at=1)
    combined = connection.overridden_by(product)
    assert combined == R(stock_buffer=2, stock_max=5, stock_zero_at=1)
    assert listed_stock(30, combined, "x") == (5, "max 5")


@pytest.mark.parametrize(
    "bad",
    [
        {"stock_buffer": -1},
        {"stock_zero_at": -1},
        {"stock_max": -1},
        {"stock_share_pct": 0},
        {"stock_share_pct": 101},
    ],
)
def test_nonsense_rules_are_refused(bad) -> None:
    with pytest.raises(ValueError):
        StockRules(**bad)


def test_the_plan_says_which_rule_set_each_stock(tmp_path) -> None:
    """Rules from [connections.policy] reach the plan: the last units go to one channel."""
    from ocopsync.config import parse_settings
    from ocopsync.reconcile import CatalogItem, plan_connection
    from ocopsync.records import ListingDraft, ListingStatus, RemoteListing

    settings = parse_settings(
        {
            "connections": [
                {
                    "name": name,
                    "platform": "portal",
                    "base_url": "http://127.0.0.1:1/portal",
                    "credentials": {"api_key": "${K}"},
                    "policy": {"stock_zero_at": 3, "stock_last_units_to": "qn-portal"},
                }
                for name in ("qn-portal", "qn-other")
            ]
        },
        env={"K": "k"},
    )
    draft = ListingDraft("A", "A", "", 45_000, 3, "food", 4, "E", "Quảng Ninh")
    for conn, expected in (("qn-portal", 3), ("qn-other", 0)):
        policy = settings.connection(conn).policy
        plan = plan_connection(
            connection=conn,
            platform="portal",
            policy=policy,
            items=[CatalogItem(draft)],
            known={},
            remote=[RemoteListing("r", "A", "A", policy.price(45_000), 5, ListingStatus.LIVE)],
            master_stock={"A": 3},
            catalog_skus={"A"},
        )
        [op] = plan.operations
        assert op.desired["stock"] == expected
        assert "qn-portal" in op.desired["stock_rule"]


def test_a_products_catalog_columns_override_its_connection(setup, tmp_path) -> None:  # noqa: F811
    """stock_max and stock_zero_at in the cooperative's file beat the connection's policy."""
    from tests.conftest import product, write_catalog
    from tests.test_cli_e2e import cli

    rows = [
        product("QN-001", stock="40", stock_max="5"),
        product("QN-002", stock="4", stock_zero_at="4"),
        product("QN-003", stock="40"),
    ]
    assert cli("catalog", "import", str(write_catalog(tmp_path / "r.csv", rows)))[0] == 0
    code, doc, _ = cli("plan", "--format", "json")
    assert code == 0
    created = {o["sku"]: o["to"] for o in doc["operations"] if o["action"] == "create"}
    rules = {o["sku"]: o["stock_rule"] for o in doc["operations"]}
    assert rules == {"QN-001": "max 5", "QN-002": "zero at 4", "QN-003": "buffer 2"}
    # the e2e connection has stock_buffer = 2 and 10% markup
    assert created == {
        "QN-001": "50000 VND x 5",
        "QN-002": "50000 VND x 0",
        "QN-003": "50000 VND x 38",
    }
