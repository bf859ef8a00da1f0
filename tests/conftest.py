"""Shared fixtures: a database file, a sandbox on loopback, a catalog built in the test."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

# Existing tests assert English messages whatever the machine's locale; set before any
# test module imports ocopsync.cli, which chooses the --help language at import time.
os.environ["OCOPSYNC_LANG"] = "en"

from ocopsync.catalog_files import COLUMNS
from ocopsync.i18n import set_language
from ocopsync.models import make_engine
from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.serve import serve_in_thread

CATALOG_COLUMNS = list(COLUMNS)


@pytest.fixture(autouse=True)
def english_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """English messages in every test unless it sets ``OCOPSYNC_LANG`` or ``--lang``
    itself: the language is process-wide, and a test that chose Vietnamese must not
    leave it behind."""
    monkeypatch.setenv("OCOPSYNC_LANG", "en")
    set_language("en")


def product(sku: str, **overrides: Any) -> dict[str, str]:
    """One catalog row, eligible everywhere unless overridden."""
    row = {
        "sku": sku,
        "name": f"Trà hoa vàng Ba Chẽ {sku}",
        "entity_code": "QN-HTX-BACHE",
        "entity_name": "HTX Trà hoa vàng Ba Chẽ",
        "entity_kind": "cooperative",
        "province": "Quảng Ninh",
        "district": "Ba Chẽ",
        "group": "beverage",
        "stars": "4",
        "certified_on": "2025-01-15",
        "expires_on": "2099-01-14",
        "price_vnd": "45000",
        "stock": "100",
        "weight_g": "250",
        "barcode": "",
        "description": "Trà hoa vàng",
        "image_urls": "",
        "status": "active",
        "stock_zero_at": "",
        "stock_last_units_to": "",
        "stock_max": "",
        "stock_share_pct": "",
        "attributes": "",
        "brand": "",
        "parent_sku": "",
        "variant": "",
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def write_catalog(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CATALOG_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'test.db'}")


@pytest.fixture
def served_sandbox() -> Iterator[tuple[Sandbox, str]]:
    """Every sandbox platform served by uvicorn on a free 127.0.0.1 port."""
    sandbox = build_sandbox()
    with serve_in_thread(sandbox.app) as root:
        yield sandbox, root


@pytest.fixture(autouse=True)
def _private_secret_key_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PostgreSQL database's token key file goes under $XDG_CONFIG_HOME: never the
    developer's own ~/.config during tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
