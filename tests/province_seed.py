"""A province as its OCOP office reports it (issue 8's figures), synced against the sandbox.

Quảng Ninh: 393 products meeting the standard, from 23 producers in 13 districts, plus
rows that must not count (expired certificates, discontinued products, community tourism
services). Three shops: the provincial portal sells everything; a Voso pavilion sells the
products of 8 producers (160 products), a Postmart pavilion those of 5 (108 products,
four producers shared with Voso). After a sync: portal 393/393, Voso 160/393 = 40.7%,
Postmart 108/393 = 27.5%, and Voso's gap list is the 233 others, each ``no_shop``.

Everything runs in-process (``Sandbox.transport()``), so the whole province syncs in a
few seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import Session

from ocopsync.catalog import import_catalog
from ocopsync.config import ConnectionSettings, Settings
from ocopsync.models import CoverageSnapshot, make_engine
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sync import Harness, SyncRequest, SyncResult, run
from tests.conftest import product, write_catalog

ROOT = "http://sandbox"
VIETNAM = timezone(timedelta(hours=7))
PROVINCE = "Quảng Ninh"
IMAGE = "https://images.example.vn/ocop/{sku}.jpg"


@dataclass(frozen=True)
class Producer:
    code: str
    name: str
    district: str
    products: int
    group: str


# 8 producers x 20 = 160 on the Voso pavilion; 4 of them + QN-HTX-DAMHA (28) = 108 on Postmart.
VOSO = [
    Producer("QN-HTX-BACHE", "HTX Trà hoa vàng Ba Chẽ", "Ba Chẽ", 20, "beverage"),
    Producer("QN-HTX-BINHLIEU", "HTX Miến dong Bình Liêu", "Bình Liêu", 20, "food"),
    Producer("QN-CTY-HALONG", "Công ty CP Chả mực Hạ Long", "Hạ Long", 20, "food"),
    Producer("QN-HTX-VANDON", "HTX Sá sùng Vân Đồn", "Vân Đồn", 20, "food"),
    Producer("QN-HTX-TIENYEN", "HTX Gà Tiên Yên", "Tiên Yên", 20, "food"),
    Producer("QN-HKD-DONGTRIEU", "Hộ kinh doanh Gốm Đông Triều", "Đông Triều", 20, "handicraft"),
    Producer("QN-HTX-QUANGYEN", "HTX Rượu Quảng Yên", "Quảng Yên", 20, "beverage"),
    Producer("QN-HTX-HAIHA", "HTX Dược liệu Hải Hà", "Hải Hà", 20, "herbal"),
]
POSTMART_ONLY = Producer("QN-HTX-DAMHA", "HTX Nông sản Đầm Hà", "Đầm Hà", 28, "food")
OTHERS = (
    [POSTMART_ONLY]
    + [
        Producer(f"QN-HKD-{i:02d}", f"Hộ kinh doanh OCOP số {i}", district, 15, group)
        for i, (district, group) in enumerate(
            [
                ("Móng Cái", "food"),
                ("Móng Cái", "textile"),
                ("Cẩm Phả", "food"),
                ("Cẩm Phả", "herbal"),
                ("Uông Bí", "beverage"),
                ("Uông Bí", "food"),
                ("Cô Tô", "food"),
                ("Hạ Long", "handicraft"),
                ("Hạ Long", "beverage"),
                ("Đông Triều", "food"),
                ("Quảng Yên", "food"),
                ("Ba Chẽ", "herbal"),
                ("Bình Liêu", "textile"),
            ],
            start=1,
        )
    ]
    + [Producer("QN-HKD-14", "Hộ kinh doanh OCOP số 14", "Tiên Yên", 10, "food")]
)
PRODUCERS = VOSO + OTHERS
VOSO_CODES = frozenset(p.code for p in VOSO)
POSTMART_CODES = frozenset(p.code for p in VOSO[:4]) | {POSTMART_ONLY.code}


@dataclass(frozen=True)
class Pavilion(ConnectionSettings):
    """A shop selling several producers' products (issue 8 item 1: ``entity`` as a list).

    ``entity`` holds the codes joined by commas, the form the config keeps a list in, and
    ``covers`` answers from the set, so this works whichever form config.py has.
    """

    producers: frozenset[str] = field(default_factory=frozenset)

    def covers(self, entity_code: str) -> bool:
        return entity_code in self.producers


def catalog_rows(today: date) -> list[dict[str, str]]:
    rows = []
    stars = ("3", "3", "4", "3", "5", "4", "3")
    for producer in PRODUCERS:
        for i in range(1, producer.products + 1):
            sku = f"{producer.code}-{i:02d}"
            rows.append(
                product(
                    sku,
                    name=f"Sản phẩm {i:02d} của {producer.name}",
                    entity_code=producer.code,
                    entity_name=producer.name,
                    entity_kind="cooperative" if "HTX" in producer.code else "household",
                    district=producer.district,
                    group=producer.group,
                    stars=stars[i % len(stars)],
                    expires_on=_expiry(today, i),
                    certified_on="2024-01-10",
                    stock=str(5 + i * 3),
                    image_urls=IMAGE.format(sku=sku),
                )
            )
    # Rows that must not count: on Voso producers and elsewhere.
    for code, district in (("QN-HTX-BACHE", "Ba Chẽ"), ("QN-HKD-03", "Cẩm Phả")):
        base = {"entity_code": code, "district": district, "image_urls": IMAGE.format(sku=code)}
        expired = (today - timedelta(days=40)).isoformat()
        rows += [
            product(f"{code}-X1", **base, expires_on=expired, certified_on="2022-01-01"),
            product(f"{code}-X2", **base, expires_on="2025-06-30", certified_on="2022-06-30"),
            product(f"{code}-D1", **base, status="discontinued"),
            product(f"{code}-T1", **base, group="tourism", name="Du lịch cộng đồng"),
        ]
    return rows


def _expiry(today: date, i: int) -> str:
    """Most certificates run for years; a few expire within 90 days (the certificates list)."""
    if i in (3, 17):
        return (today + timedelta(days=10 * i)).isoformat()
    return "2028-12-31"


def shops(sandbox: Sandbox, database_url: str) -> Settings:
    def conn(name: str, platform: str, producers: frozenset[str] | None) -> ConnectionSettings:
        common = {
            "name": name,
            "platform": platform,
            "base_url": sandbox[platform].base_url(ROOT),
            "credentials": sandbox[platform].credentials(),
            "options": {**sandbox[platform].connection_options(ROOT), "rate_limit_per_s": 0},
        }
        if producers is None:
            return ConnectionSettings(entity="*", **common)  # type: ignore[arg-type]
        return Pavilion(entity=",".join(sorted(producers)), producers=producers, **common)  # type: ignore[arg-type]

    return Settings(
        database_url=database_url,
        connections=(
            conn("qn-portal", "portal", None),
            conn("qn-voso-pavilion", "voso", VOSO_CODES),
            conn("qn-postmart-pavilion", "postmart", POSTMART_CODES),
        ),
    )


@dataclass
class World:
    engine: Engine
    settings: Settings
    sandbox: Sandbox
    today: date
    results: list[SyncResult]


def vietnam_today() -> date:
    return datetime.now(VIETNAM).date()


def sync(world: World, platform: str | None = None) -> SyncResult:
    harness = Harness(transport=world.sandbox.transport(), retry_wait_scale=0)
    request = SyncRequest(today=world.today, platform=platform)
    result = asyncio.run(run(world.engine, world.settings, request, harness))
    world.results.append(result)
    return result


def redate_snapshot(engine: Engine, run_id: int | None, day: date) -> None:
    """Make a run's snapshot look taken on ``day`` (noon in Vietnam), as if synced then."""
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=VIETNAM).astimezone(UTC)
    with Session(engine) as session:
        session.execute(
            update(CoverageSnapshot)
            .where(CoverageSnapshot.run_id == run_id)  # type: ignore[arg-type]
            .values(taken_at=noon)
        )
        session.commit()


def build(folder: Path, *, history: bool = True) -> World:
    """The province imported and synced; with ``history``, three syncs a week apart:
    the portal two weeks ago, Postmart a week ago, everything today."""
    today = vietnam_today()
    engine = make_engine(f"sqlite:///{folder / 'province.db'}")
    import_catalog(engine, write_catalog(folder / "quang-ninh.csv", catalog_rows(today)))
    sandbox = build_sandbox(["portal", "voso", "postmart"])
    world = World(engine, shops(sandbox, str(engine.url)), sandbox, today, [])
    if history:
        redate_snapshot(engine, sync(world, "portal").run_id, today - timedelta(days=14))
        redate_snapshot(engine, sync(world, "postmart").run_id, today - timedelta(days=7))
    sync(world)
    return world


def with_targets(
    settings: Settings,
    targets: dict[str, float],
    by_province: dict[str, dict[str, float]] | None = None,
) -> Settings:
    """A copy of ``settings`` with ``[coverage.targets]``, whichever form config.py has."""
    values = {"coverage_targets": targets, "coverage_targets_by_province": by_province or {}}
    if set(values) <= {f.name for f in dataclasses.fields(settings)}:
        return dataclasses.replace(settings, **values)  # type: ignore[arg-type]
    copy = dataclasses.replace(settings)
    for key, value in values.items():
        object.__setattr__(copy, key, value)
    return copy
