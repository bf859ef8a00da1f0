"""``ocopsync status``: what needs a person, as rule tables over rows and through the CLI.

The rules run on a fixed ``now``; the CLI fixtures are laid out relative to the real
clock (the command reads it once), so nothing waits for time to pass.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from ocopsync.cli import app
from ocopsync.models import Credential, Entity, Listing, Operation, Product, SyncRun, make_engine
from ocopsync.status import (
    CertificateRow,
    ConnectionRef,
    CredentialRow,
    HeldRow,
    OperationRow,
    RunRow,
    StatusRows,
    assess,
    assess_certificates,
    assess_connection,
    read_rows,
)

NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 03:00 on Saturday 28 November in Vietnam
runner = CliRunner()


def conn(name: str, status: str = "succeeded", error: str = "", failed: int = 0) -> dict[str, Any]:
    return {
        "connection": name,
        "platform": "portal",
        "status": status,
        "applied": 0,
        "failed": failed,
        "skipped": 0,
        "error": error,
    }


def run(
    run_id: int, hours_ago: float, *connections: dict[str, Any], status: str = "succeeded", **extra
) -> RunRow:
    finished = NOW - timedelta(hours=hours_ago)
    summary = {"connections": list(connections), **extra}
    return RunRow(run_id, status, finished - timedelta(minutes=5), finished, summary)


PORTAL = ConnectionRef("p", "portal")


# -- runs ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("runs", "expected", "says"),
    [
        # Newest first. Healthy: last run succeeded 5 hours ago.
        ([run(2, 5, conn("p")), run(1, 29, conn("p"))], (2, "succeeded", 5.0, 0), []),
        # Failing three nights in a row, with the reason of the last.
        (
            [
                run(4, 5, conn("p", "failed", "bad signature"), status="failed"),
                run(3, 29, conn("p", "failed", "bad signature"), status="failed"),
                run(2, 53, conn("p", "failed", "timeout"), status="failed"),
                run(1, 77, conn("p")),
            ],
            (4, "failed", 77.0, 3),
            ["p: failed 3 run(s) in a row; last, run 4: bad signature"],
        ),
        # A run that died (only names recorded) counts as a failed night.
        (
            [run(2, 5, status="interrupted", connections=["p"]), run(1, 29, conn("p"))],
            (2, "interrupted", 29.0, 1),
            ["p: failed 1 run(s) in a row; last, run 2: interrupted"],
        ),
        # A run that stopped before recording its connections counts against every one.
        (
            [RunRow(2, "failed", NOW, NOW, {"error": "unexpected"}), run(1, 29, conn("p"))],
            (2, "failed", 29.0, 1),
            ["p: failed 1 run(s) in a row; last, run 2: unexpected"],
        ),
        # Runs of other connections are not this one's.
        (
            [run(3, 1, conn("q"), status="failed"), run(2, 5, conn("p"))],
            (2, "succeeded", 5.0, 0),
            [],
        ),
        # Partial: synced (the clock restarts) but some operations failed.
        (
            [run(2, 5, conn("p", "partial", failed=2), status="partial")],
            (2, "partial", 5.0, 0),
            ["p: run 2 was partial, 2 operation(s) failed (ocopsync runs show 2 --status failed)"],
        ),
        # The schedule stopped: the last run succeeded, but 40 hours ago.
        (
            [run(1, 40, conn("p"))],
            (1, "succeeded", 40.0, 0),
            ["p: no successful sync for more than 36 hours: is the schedule running?"],
        ),
        # Never run.
        (
            [],
            (None, None, None, 0),
            ["p: no sync has run for it yet (ocopsync sync --connection p)"],
        ),
    ],
)
def test_runs_of_a_connection(
    runs: list[RunRow], expected: tuple[Any, ...], says: list[str]
) -> None:
    entry, attention = assess_connection(PORTAL, StatusRows(runs=runs), NOW)
    got = (
        entry["last_run_id"],
        entry["last_status"],
        entry["hours_since_success"],
        entry["failed_runs_in_a_row"],
    )
    assert got == expected
    assert attention == says


def test_last_success_at_is_when_that_run_finished() -> None:
    entry, _ = assess_connection(PORTAL, StatusRows(runs=[run(1, 5, conn("p"))]), NOW)
    assert entry["last_success_at"] == "2026-11-27T15:00:00+00:00"


# -- tokens and authorizations -------------------------------------------------------------
def cred(
    access_h: float | None, refresh_d: float | None, has_refresh: bool = True
) -> CredentialRow:
    return CredentialRow(
        NOW + timedelta(hours=access_h) if access_h is not None else None,
        NOW + timedelta(days=refresh_d) if refresh_d is not None else None,
        has_refresh,
    )


@pytest.mark.parametrize(
    ("seller", "credential", "token_days", "auth_days", "says"),
    [
        # Shopee: 4 h access token, refresh token 20 days away: fine.
        (True, cred(4, 20), 0.2, 20.0, None),
        (True, cred(4, 7.1), 0.2, 7.1, None),
        # Within 7 days (Haravan's warning), and past it.
        (True, cred(4, 7), 0.2, 7.0, "expires in 7 day(s)"),
        (True, cred(4, 3), 0.2, 3.0, "expires in 3 day(s)"),
        (True, cred(-1, -2), 0.0, -2.0, "expired 2 day(s) ago"),
        # No refresh token: the access token is the authorization.
        (True, cred(24 * 5, None, has_refresh=False), 5.0, 5.0, "expires in 5 day(s)"),
        # Never authorized.
        (True, None, None, None, "not authorized yet"),
        # Sendo/Postmart: tokens renewed from the keys, nothing a person must do.
        (False, cred(2, None, has_refresh=False), 0.1, None, None),
        (False, None, None, None, None),
    ],
)
def test_token_and_authorization_expiry(
    seller: bool,
    credential: CredentialRow | None,
    token_days: float | None,
    auth_days: float | None,
    says: str | None,
) -> None:
    ref = ConnectionRef("shop", "shopee" if seller else "sendo", seller_authorized=seller)
    rows = StatusRows(
        runs=[run(1, 5, {**conn("shop"), "platform": ref.platform})],
        credentials={"shop": credential} if credential else {},
    )
    entry, attention = assess_connection(ref, rows, NOW)
    assert (entry["token_expires_in_days"], entry["authorization_expires_in_days"]) == (
        token_days,
        auth_days,
    )
    if says is None:
        assert attention == []
    else:
        [line] = attention
        assert line.startswith("shop: ") and says in line
        assert "ocopsync connections authorize shop" in line


# -- open problems ---------------------------------------------------------------------------
def test_open_problems_are_the_last_runs_and_what_is_still_held() -> None:
    settlements = [
        {"sku": "QN-3", "unexplained": {"p": 4, "q": 1}},
        {"sku": "QN-4", "unexplained": {}},
    ]
    rows = StatusRows(
        runs=[run(2, 5, conn("p"), stock_settlements=settlements), run(1, 29, conn("p"))],
        operations=[
            OperationRow(2, "p", "QN-1", "update_stock", "not_applied", "platform shows 7"),
            OperationRow(2, "p", "QN-2", "update_price", "stale", "price changed"),
            OperationRow(2, "q", "QN-1", "update_stock", "not_applied", "another shop"),
            OperationRow(1, "p", "QN-9", "update_stock", "not_applied", "retried by run 2"),
        ],
        held=[HeldRow("p", "QN-5", 3, "stock write 10 -> 7 lost"), HeldRow("q", "QN-6", 1, "")],
    )
    entry, attention = assess_connection(PORTAL, rows, NOW)
    assert entry["open_problems"] == [
        {
            "kind": "not_applied",
            "sku": "QN-1",
            "action": "update_stock",
            "run_id": 2,
            "units": None,
            "detail": "platform shows 7",
        },
        {
            "kind": "stale",
            "sku": "QN-2",
            "action": "update_price",
            "run_id": 2,
            "units": None,
            "detail": "price changed",
        },
        {
            "kind": "unexplained",
            "sku": "QN-3",
            "action": None,
            "run_id": 2,
            "units": 4,
            "detail": "stock fell by 4 with no order to explain it",
        },
        {
            "kind": "held",
            "sku": "QN-5",
            "action": None,
            "run_id": None,
            "units": 3,
            "detail": "stock write 10 -> 7 lost",
        },
    ]
    assert attention == [
        "p: 1 operation(s) not_applied in run 2 (QN-1) (ocopsync runs show 2 --status not_applied)",
        "p: 1 operation(s) stale in run 2 (QN-2) (ocopsync runs show 2 --status stale)",
        "p: stock fell with no order to explain it (QN-3): explain with "
        "ocopsync stock confirm SKU --connection p --lost|--restore",
        "p: 3 unit(s) held back after lost writes (QN-5): decide with "
        "ocopsync stock resolve SKU --connection p --sold|--kept",
    ]


# -- certificates ----------------------------------------------------------------------------
def cert(sku: str, entity: str, expires_on: date) -> CertificateRow:
    return CertificateRow(sku, f"Sản phẩm {sku}", entity, f"HTX {entity}", expires_on)


def test_certificates_expiring_within_30_days_by_producer() -> None:
    today = date(2026, 11, 28)  # NOW in Vietnam
    rows = StatusRows(
        certificates=[
            cert("A-1", "A", today + timedelta(days=10)),
            cert("A-2", "A", today),  # still valid today
            cert("B-1", "B", today + timedelta(days=30)),
            cert("B-2", "B", today + timedelta(days=31)),  # not yet
            cert("C-1", "C", today - timedelta(days=1)),  # expired: already unlisted
        ]
    )
    entries, attention = assess_certificates(rows, NOW)
    assert entries == [
        {
            "entity_code": "A",
            "entity_name": "HTX A",
            "products": [
                {"sku": "A-2", "name": "Sản phẩm A-2", "expires_on": "2026-11-28", "days_left": 0},
                {"sku": "A-1", "name": "Sản phẩm A-1", "expires_on": "2026-12-08", "days_left": 10},
            ],
        },
        {
            "entity_code": "B",
            "entity_name": "HTX B",
            "products": [
                {"sku": "B-1", "name": "Sản phẩm B-1", "expires_on": "2026-12-28", "days_left": 30}
            ],
        },
    ]
    assert attention == [
        "HTX A (A): 2 OCOP certificate(s) expire within 30 days, the first A-2 on 2026-11-28",
        "HTX B (B): 1 OCOP certificate(s) expire within 30 days, the first B-1 on 2026-12-28",
    ]


def test_the_document_has_exactly_the_documented_keys() -> None:
    doc = assess([PORTAL], StatusRows(runs=[run(1, 5, conn("p"))]), NOW)
    assert set(doc) == {"connections", "certificates_expiring", "attention"}
    assert set(doc["connections"][0]) == {
        "connection",
        "platform",
        "last_run_id",
        "last_status",
        "last_success_at",
        "hours_since_success",
        "failed_runs_in_a_row",
        "token_expires_in_days",
        "authorization_expires_in_days",
        "open_problems",
    }
    assert doc["attention"] == []


# -- through the database and the CLI --------------------------------------------------------
def write_config(tmp_path: Path, connections: list[tuple[str, str]]) -> Path:
    blocks = "".join(
        f"""
[[connections]]
name = "{name}"
platform = "{platform}"
base_url = "http://127.0.0.1:9/{platform}"
"""
        for name, platform in connections
    )
    path = tmp_path / "ocopsync.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "status.db"}"\n{blocks}', encoding="utf-8"
    )
    return path


def add_run(
    session: Session, at: datetime, status: str, entries: list[dict[str, Any]], **extra: Any
) -> SyncRun:
    row = SyncRun(
        kind="sync",
        trigger="schedule",
        status=status,
        started_at=at - timedelta(minutes=3),
        finished_at=at,
        summary={"connections": entries, **extra},
    )
    session.add(row)
    session.flush()
    return row


def entry(name: str, platform: str, status: str = "succeeded", error: str = "") -> dict[str, Any]:
    return {**conn(name, status, error), "platform": platform}


def add_product(session: Session, sku: str, expires_on: date) -> None:
    session.add(
        Product(
            sku=sku,
            name=f"Trà hoa vàng {sku}",
            entity_code="QN-HTX-BACHE",
            province="Quảng Ninh",
            group="beverage",
            stars=4,
            expires_on=expires_on,
            price_vnd=45_000,
            stock=10,
        )
    )


def healthy(session: Session, now: datetime) -> None:
    session.add(Entity(code="QN-HTX-BACHE", name="HTX Trà hoa vàng Ba Chẽ"))
    add_product(session, "QN-001", date(2099, 1, 1))
    add_run(session, now - timedelta(hours=26), "succeeded", [entry("qn-portal", "portal")])
    add_run(session, now - timedelta(hours=2), "succeeded", [entry("qn-portal", "portal")])


def status_json(config: Path) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["--config", str(config), "status", "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


def test_a_healthy_deployment_exits_0(tmp_path: Path, now: datetime) -> None:
    config = write_config(tmp_path, [("qn-portal", "portal")])
    engine = make_engine(f"sqlite:///{tmp_path / 'status.db'}")
    with Session(engine) as session:
        healthy(session, now)
        session.commit()
    code, doc = status_json(config)
    assert code == 0, doc
    assert doc["attention"] == [] and doc["certificates_expiring"] == []
    [portal] = doc["connections"]
    assert (portal["last_run_id"], portal["last_status"], portal["failed_runs_in_a_row"]) == (
        2,
        "succeeded",
        0,
    )
    assert 1.9 < portal["hours_since_success"] < 2.5
    table = runner.invoke(app, ["--config", str(config), "status"])
    assert table.exit_code == 0 and "Nothing needs attention." in table.stdout


def trouble(engine: Engine, now: datetime) -> None:
    """An expiring Lazada authorization, a Shopee shop failing three nights in a row, a
    certificate expiring in 10 days, and units held on the portal."""
    today = (now + timedelta(hours=7)).date()
    with Session(engine) as session:
        healthy(session, now - timedelta(days=3))
        add_product(session, "QN-SOON", today + timedelta(days=10))
        good = [entry("qn-portal", "portal"), entry("lz", "lazada")]
        bad = entry("sp", "shopee", "failed", "shopee error_sign: Wrong sign.")
        add_run(session, now - timedelta(hours=74), "succeeded", [*good, entry("sp", "shopee")])
        for hours in (50, 26, 2):
            add_run(session, now - timedelta(hours=hours), "partial", [*good, bad])
        for name, access_days, refresh_days in (("lz", 6.5, 3.2), ("sp", 0.1, 25)):
            session.add(
                Credential(
                    connection=name,
                    platform="lazada" if name == "lz" else "shopee",
                    access_token="secret-access",
                    refresh_token="secret-refresh",
                    access_expires_at=now + timedelta(days=access_days),
                    refresh_expires_at=now + timedelta(days=refresh_days),
                )
            )
        session.add(
            Listing(
                connection="qn-portal",
                platform="portal",
                sku="QN-001",
                remote_id="r1",
                seller_sku="QN-001",
                uncertain_units=2,
                uncertain_detail="stock write 9 -> 7 lost",
            )
        )
        session.commit()


def test_trouble_exits_3_and_names_each_thing(tmp_path: Path, now: datetime) -> None:
    config = write_config(tmp_path, [("qn-portal", "portal"), ("lz", "lazada"), ("sp", "shopee")])
    engine = make_engine(f"sqlite:///{tmp_path / 'status.db'}")
    trouble(engine, now)
    code, doc = status_json(config)
    assert code == 3
    by_name = {c["connection"]: c for c in doc["connections"]}
    assert by_name["sp"]["failed_runs_in_a_row"] == 3
    assert by_name["sp"]["last_status"] == "failed"
    assert 73 < by_name["sp"]["hours_since_success"] < 75
    assert by_name["lz"]["authorization_expires_in_days"] == 3.2
    assert by_name["lz"]["token_expires_in_days"] == 6.5
    assert by_name["sp"]["authorization_expires_in_days"] == 25.0
    assert by_name["qn-portal"]["authorization_expires_in_days"] is None
    assert [p["kind"] for p in by_name["qn-portal"]["open_problems"]] == ["held"]
    [producer] = doc["certificates_expiring"]
    assert producer["entity_name"] == "HTX Trà hoa vàng Ba Chẽ"
    assert [(p["sku"], p["days_left"]) for p in producer["products"]] == [("QN-SOON", 10)]
    text = "\n".join(doc["attention"])
    assert "sp: failed 3 run(s) in a row; last, run 6: shopee error_sign: Wrong sign." in text
    assert "lz: the shop authorization expires in 3.2 day(s)" in text
    assert "qn-portal: 2 unit(s) held back after lost writes (QN-001)" in text
    assert "HTX Trà hoa vàng Ba Chẽ (QN-HTX-BACHE): 1 OCOP certificate(s) expire" in text
    assert "QN-SOON" in text
    assert len(doc["attention"]) == 4, doc["attention"]
    assert "secret" not in json.dumps(doc)

    table = runner.invoke(app, ["--config", str(config), "status"])
    assert table.exit_code == 3
    assert "Needs attention:" in table.stdout and "QN-SOON" in table.stdout


def test_read_rows_reads_open_operations_and_only_finished_runs(
    tmp_path: Path, now: datetime
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    with Session(engine) as session:
        done = add_run(session, now, "partial", [entry("p", "portal", "partial")])
        session.add(SyncRun(kind="sync", status="running", owner="", started_at=now))
        run_id = done.id
        assert run_id is not None
        for sku, status in (("QN-1", "not_applied"), ("QN-2", "succeeded"), ("QN-3", "stale")):
            session.add(
                Operation(
                    run_id=run_id,
                    connection="p",
                    platform="portal",
                    sku=sku,
                    action="update_stock",
                    status=status,
                    error="why",
                )
            )
        session.commit()
    rows = read_rows(engine, now)
    assert [r.id for r in rows.runs] == [run_id]
    assert sorted((o.sku, o.status) for o in rows.operations) == [
        ("QN-1", "not_applied"),
        ("QN-3", "stale"),
    ]
