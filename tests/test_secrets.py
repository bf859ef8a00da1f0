"""No secret in any output or database row; tokens encrypted at rest; messages printed as text.

The echoing platform (a tiny ASGI app on loopback) puts what it was sent (Shopee's query
string with ``access_token=...`` and ``sign=...``, the portal's ``Authorization`` header,
Sendo's login body with both keys) into its error code *and* message, as real gateways
do; every command's stdout and stderr, and every table of the database, must show none of it.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from typer.testing import CliRunner

from ocopsync.cli import app as cli_app
from ocopsync.connectors.base import Tokens
from ocopsync.errors import ConfigError, ConnectorError, RejectedError
from ocopsync.models import Credential, make_engine
from ocopsync.secrets import KEY_ENV, KEY_FILE_ENV, ensure_secret_key, init_secret_key
from ocopsync.serve import serve_in_thread
from ocopsync.store import DbTokenStore
from tests.conftest import product, write_catalog

ACCESS = "shp-access-9f8e7d6c5b4a"
REFRESH = "shp-refresh-1a2b3c4d5e6f"
PARTNER_KEY = "shopee-partner-key-5566"
API_KEY = "portal-api-key-7788"
SHOP_KEY = "sendo-shop-key-9911"
SENDO_SECRET = "sendo-secret-key-2233"
SECRETS = (ACCESS, REFRESH, PARTNER_KEY, API_KEY, SHOP_KEY, SENDO_SECRET)
FAR = datetime(2099, 1, 1, tzinfo=UTC)

runner = CliRunner()


@pytest.fixture(autouse=True)
def key_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here starts from the default key location (next to the database)."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli_app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# -- the echoing platform -------------------------------------------------------------------
async def shopee_echo(request: Request) -> Response:
    """Shopee's envelope, with what we sent as its error code and message (HTTP 200)."""
    sent = request.url.query
    return JSONResponse({"request_id": "r1", "error": sent, "message": f"bad request: {sent}"})


async def portal_echo(request: Request) -> Response:
    sent = request.headers.get("authorization", "")
    body = {"error": {"code": f"refused {sent}", "message": f"key not accepted: {sent}"}}
    return JSONResponse(body, status_code=401)


async def sendo_echo(request: Request) -> Response:
    sent = (await request.body()).decode()
    error = {"message": f"login refused for {sent}", "error_details": [{"code": sent}]}
    return JSONResponse(
        {"result": None, "success": False, "error": error, "status_code": 401}, status_code=401
    )


async def shopee_sign(request: Request) -> Response:
    return JSONResponse({"request_id": "r2", "error": "error_sign", "message": "Wrong sign."})


ECHO = Starlette(
    routes=[
        Route("/shopee/{path:path}", shopee_echo, methods=["GET", "POST"]),
        Route("/portal/{path:path}", portal_echo, methods=["GET", "POST", "PATCH"]),
        Route("/sendo/{path:path}", sendo_echo, methods=["GET", "POST", "PUT"]),
        Route("/shopee-sign/{path:path}", shopee_sign, methods=["GET", "POST"]),
    ]
)


def config(tmp_path: Path, root: str) -> Path:
    path = tmp_path / "ocopsync.toml"
    path.write_text(
        f"""
[database]
url = "sqlite:///{tmp_path / "echo.db"}"

[[connections]]
name = "echo-shopee"
platform = "shopee"
base_url = "{root}/shopee"
[connections.credentials]
partner_id = "100001"
partner_key = "${{SHOPEE_PARTNER_KEY}}"
shop_id = "200001"

[[connections]]
name = "echo-portal"
platform = "portal"
base_url = "{root}/portal"
[connections.credentials]
api_key = "${{PORTAL_API_KEY}}"

[[connections]]
name = "echo-sendo"
platform = "sendo"
base_url = "{root}/sendo"
[connections.credentials]
shop_key = "${{SENDO_SHOP_KEY}}"
secret_key = "${{SENDO_SECRET_KEY}}"

[[connections]]
name = "sign-shopee"
platform = "shopee"
base_url = "{root}/shopee-sign"
[connections.credentials]
partner_id = "100001"
partner_key = "${{SHOPEE_PARTNER_KEY}}"
shop_id = "200001"
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def echo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SHOPEE_PARTNER_KEY", PARTNER_KEY)
    monkeypatch.setenv("PORTAL_API_KEY", API_KEY)
    monkeypatch.setenv("SENDO_SHOP_KEY", SHOP_KEY)
    monkeypatch.setenv("SENDO_SECRET_KEY", SENDO_SECRET)
    with serve_in_thread(ECHO) as root:
        monkeypatch.setenv("OCOPSYNC_CONFIG", str(config(tmp_path, root)))
        engine = make_engine(f"sqlite:///{tmp_path / 'echo.db'}")
        store = DbTokenStore(engine)
        for name in ("echo-shopee", "sign-shopee"):
            store.save(name, "shopee", Tokens(ACCESS, REFRESH, FAR, FAR, {"shop_id": "200001"}))
        engine.dispose()
        catalog = write_catalog(tmp_path / "c.csv", [product("QN-1")])
        assert cli("catalog", "import", str(catalog))[0] == 0
        yield tmp_path


def database_text(folder: Path) -> str:
    """Every row of every table, and the raw bytes of the database files."""
    with sqlite3.connect(folder / "echo.db") as db:
        rows = "\n".join(db.iterdump())
    raw = b"".join(p.read_bytes() for p in folder.glob("echo.db*") if not p.name.endswith(".key"))
    return rows + raw.decode("latin-1")


def test_no_secret_the_platform_echoes_reaches_any_output_or_row(echo: Path) -> None:
    shown = []
    for command in (
        ("plan",),
        ("plan", "--format", "json"),
        ("sync",),
        ("sync", "--format", "table"),
        ("sync", "--format", "json"),
        ("connections", "check"),
        ("connections", "check", "--format", "json"),
        ("runs", "list", "--format", "json"),
        ("runs", "show", "1", "--format", "json"),
    ):
        _code, out, err = cli(*command)
        assert "Traceback" not in out + err, command
        shown.append(out + err)
    everything = "\n".join(shown) + database_text(echo)
    for secret in SECRETS:
        assert secret not in everything, secret
    # the echo really went through codes and messages, masked:
    assert "access_token=***" in everything and "sign=***" in everything
    assert "Bearer ***" in everything and '"secret_key":"***"' in everything
    _code, out, _err = cli("sync", "--format", "json")
    errors = {c["connection"]: c["error"] for c in json.loads(out)["connections"]}
    assert "[partner_id=100001" in errors["echo-shopee"], "the code is kept, masked"


def test_an_error_code_is_masked_like_the_message() -> None:
    error = RejectedError("m", platform="shopee", code="x&access_token=never-registered-42&y=1")
    assert "never-registered-42" not in error.code + str(error)
    assert error.code == "x&access_token=***&y=1"
    bare = ConnectorError("echoed tok", code="Authorization: Bearer never-registered-43")
    assert "never-registered-43" not in str(bare)


def test_square_brackets_are_printed_as_they_are(echo: Path) -> None:
    code, _out, err = cli("sync", "--connection", "sign-shopee", "--format", "table")
    assert code == 1
    assert "sign-shopee: could not read listings: shopee: Wrong sign. [error_sign]" in err
    code, _out, err = cli("plan", "--connection", "sign-shopee")
    assert code == 1 and "shopee: Wrong sign. [error_sign]" in err
    code, _out, err = cli("connections", "authorize", "echo-portal")
    assert code == 1 and "their keys in [connections.credentials] are enough" in err


# -- tokens at rest -------------------------------------------------------------------------
def raw_bytes(engine: Engine) -> bytes:
    with engine.connect() as db:
        db.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    folder = Path(str(engine.url.database)).parent
    return b"".join(p.read_bytes() for p in folder.glob("test.db*") if not p.name.endswith(".key"))


def test_tokens_are_encrypted_at_rest(engine: Engine) -> None:
    store = DbTokenStore(engine)
    store.save("c", "lazada", Tokens(ACCESS, REFRESH, FAR, FAR, {"seller_id": "42"}))
    data = raw_bytes(engine)
    assert ACCESS.encode() not in data and REFRESH.encode() not in data
    with Session(engine) as session:
        row = session.get(Credential, "c")
        assert row is not None and row.access_token.startswith("fernet:")
    assert DbTokenStore(engine).load("c") == Tokens(ACCESS, REFRESH, FAR, FAR, {"seller_id": "42"})
    key_file = Path(str(engine.url.database) + ".key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_database_copied_without_its_key_reveals_no_token(engine: Engine, tmp_path: Path) -> None:
    DbTokenStore(engine).save("c", "shopee", Tokens(ACCESS, REFRESH, FAR, FAR))
    raw_bytes(engine)
    copy = tmp_path / "elsewhere" / "copy.db"
    copy.parent.mkdir()
    copy.write_bytes((tmp_path / "test.db").read_bytes())
    stolen = make_engine(f"sqlite:///{copy}")
    with pytest.raises(ConfigError, match="encrypted with another key"):
        DbTokenStore(stolen).load("c")  # a new key was made for the copy: it opens nothing


def test_a_plain_token_of_release_0_1_0_is_read_once_and_encrypted(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(
            Credential(connection="old", platform="sendo", access_token=ACCESS, refresh_token="")
        )
        session.commit()
    assert DbTokenStore(engine).load("old") == Tokens(ACCESS, "", None, None)
    with Session(engine) as session:
        row = session.get(Credential, "old")
        assert row is not None and row.access_token.startswith("fernet:")
        assert row.refresh_token == ""
    assert ACCESS.encode() not in raw_bytes(engine), "no copy of the old bytes is left"
    assert DbTokenStore(engine).load("old") == Tokens(ACCESS, "", None, None)


def test_the_key_may_come_from_the_environment(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_ENV, key)
    DbTokenStore(engine).save("c", "shopee", Tokens(ACCESS))
    assert not Path(str(engine.url.database) + ".key").exists()
    assert DbTokenStore(engine).load("c") == Tokens(ACCESS)
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    with pytest.raises(ConfigError) as caught:
        DbTokenStore(engine).load("c")
    assert "encrypted with another key" in str(caught.value) and key not in str(caught.value)
    monkeypatch.setenv(KEY_ENV, "not-a-key")
    with pytest.raises(ConfigError, match="is not a Fernet key"):
        DbTokenStore(engine).load("c")


def test_the_key_file_may_be_put_elsewhere(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "keys" / "ocopsync.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(elsewhere))
    DbTokenStore(engine).save("c", "shopee", Tokens(ACCESS))
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o600
    assert not Path(str(engine.url.database) + ".key").exists()
    assert DbTokenStore(engine).load("c") == Tokens(ACCESS)


def test_init_makes_the_key_once_and_keeps_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ocopsync.db'}"
    said = init_secret_key(url, environ={})
    key_file = tmp_path / "ocopsync.db.key"
    assert str(key_file) in said and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_bytes()
    assert ensure_secret_key(key_file) == key_file and key_file.read_bytes() == first
    assert KEY_ENV in init_secret_key(url, environ={KEY_ENV: "x"})
    assert [p.name for p in tmp_path.iterdir()] == ["ocopsync.db.key"], "no temporary left"


def test_a_wrong_key_through_the_cli_is_one_clear_line(echo: Path) -> None:
    (echo / "echo.db.key").write_bytes(Fernet.generate_key())
    code, out, err = cli("plan", "--connection", "echo-shopee")
    assert code == 1 and "Traceback" not in out + err
    assert "encrypted with another key" in err
