"""Config validated at load: every mistake refused through the CLI with its TOML path,
all at once; plaintext credentials warned about by key, never by value; the .env file;
entity lists; the catalog and coverage sections other commands read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ocopsync.cli import app
from ocopsync.cli import common as cli_common
from ocopsync.config import ConfigInvalid, load_settings, parse_settings
from ocopsync.errors import ConfigError

runner = CliRunner()

CONN = """
[[connections]]
name = "qn-portal"
platform = "portal"
base_url = "http://127.0.0.1:8700/portal"
[connections.credentials]
api_key = "${PORTAL_API_KEY}"
"""


def with_keys(keys: str) -> str:
    """CONN with more keys of the connection itself (before its credentials table)."""
    return CONN.replace("[connections.credentials]", keys + "[connections.credentials]")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OCOPSYNC_CONFIG", "OCOPSYNC_ENV_FILE", "OCOPSYNC_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(cli_common, "_warned", set())


def run_with(tmp_path: Path, text: str, *args: str):
    config = tmp_path / "ocopsync.toml"
    config.write_text(text, encoding="utf-8")
    return runner.invoke(app, ["--config", str(config), *(args or ("connections", "list"))])


# Each: the file's text, and what stderr must say (path: reason).
MISTAKES = [
    ('[schedule]\ncorn = "0 3 * * *"\n', "schedule.corn: unknown key; did you mean 'cron'?"),
    ('[database]\nuri = "sqlite:///x.db"\n', "database.uri: unknown key; did you mean 'url'?"),
    ('[database]\nurl = "not a url"\n', "database.url: not a database URL"),
    ("colour = 1\n", "colour: unknown key (valid here: database, schedule, catalog"),
    ("[[conections]]\nname = 'a'\n", "conections: unknown key; did you mean 'connections'?"),
    ('[connections]\nname = "a"\n', "connections: must be an array of tables"),
    (with_keys('enabled = "false"\n'), "connections[1].enabled: must be true or false"),
    (
        CONN.replace("8700", "99999"),
        'connections[1].base_url: has a port outside 1..65535 (connection "qn-portal")',
    ),
    (CONN.replace("http://127.0.0.1:8700", "http://"), "connections[1].base_url: must name a host"),
    (CONN.replace("http://", "ftp://"), "connections[1].base_url: must be an http:// or https://"),
    (CONN.replace('"portal"\n', '"shoppe"\n'), "did you mean 'shopee'?"),
    (CONN.replace('name = "qn-portal"', 'name = "qn portal"'), "connections[1].name: may hold"),
    (CONN.replace('name = "qn-portal"\n', ""), "connections[1]: 'name' is required"),
    (with_keys("colour = 1\n"), "connections[1].colour: unknown key (valid here: name, platform"),
    (CONN + "[connections.policy]\nstock_buffer = -1\n", "policy.stock_buffer: must be >= 0"),
    (CONN + "[connections.policy]\nmin_stars = 6\n", "[1].policy.min_stars: must be <= 5"),
    (CONN + '[connections.policy]\nmin_stars = "4"\n', "policy.min_stars: must be a whole number"),
    (CONN + "[connections.policy]\nprice_rounding = 0\n", "policy.price_rounding: must be >= 1"),
    (CONN + "[connections.policy]\nmarkup = 3\n", "connections[1].policy.markup: unknown key"),
    (CONN + "[connections.policy]\nprice_markup_pct = nan\n", "must be a finite number"),
    (CONN + '[connections.options]\nsales_from = "order"\n', "must be 'orders' or 'stock'"),
    (CONN + "[connections.options]\nrate_limit_per_s = true\n", "rate_limit_per_s: must be a num"),
    (CONN + "[connections.options]\npackage_cm = [20, 15]\n", "package_cm: must hold at least 3"),
    (CONN + "[connections.options]\ndefault_weight_g = 0\n", "default_weight_g: must be >= 1"),
    (CONN + '[connections.options]\nauth_url = "auth.lazada.com"\n', "auth_url: must be an http"),
    (CONN + "[connections.options]\ncategory_map = [1]\n", "category_map: must be a table"),
    (CONN.replace("${PORTAL_API_KEY}", "${PORTAL-KEY}"), "credentials.api_key: a reference is"),
    (CONN.replace("${PORTAL_API_KEY}", "$PORTAL_API_KEY"), "api_key: write the reference with"),
    (CONN + "[connections.credentials.more]\nx = 1\n", "credentials.more: must be text"),
    (with_keys("entity = []\n"), 'connections[1].entity: must be an entity_code, "*" or an array'),
    (with_keys('entity = ["*", "QN-1"]\n'), '"*" already means every entity'),
    (with_keys('entity = ["QN-1,QN-2"]\n'), "an entity_code cannot contain a comma"),
    (with_keys("entity = 7\n"), "connections[1].entity: must be an entity_code"),
    (CONN + CONN, 'connections[2].name: "qn-portal" is used twice'),
    ("[coverage.targets]\nvoso = 1.5\n", "coverage.targets.voso: must be <= 1"),
    ('[coverage.targets]\nvoso = "60%"\n', "coverage.targets.voso: must be a number"),
    ("[coverage.targets]\nvosoo = 0.5\n", "coverage.targets.vosoo: no connector for platform"),
    (
        '[coverage.targets."Quảng Ninh"]\nportal = -0.1\n',
        'coverage.targets."Quảng Ninh".portal: must be >= 0',
    ),
    (
        '[coverage.targets."Quảng Ninh"]\nlazadaa = 0.1\n',
        "did you mean 'lazada'?",
    ),
    ("[coverage]\ntarget = {}\n", "coverage.target: unknown key; did you mean 'targets'?"),
    ('[catalog.columns]\n"Mã hàng" = 3\n', 'catalog.columns."Mã hàng": must be text'),
    ('[catalog.columns]\n"Mã hàng" = " "\n', 'catalog.columns."Mã hàng": must not be empty'),
    ("[catalog]\ncolums = {}\n", "catalog.colums: unknown key; did you mean 'columns'?"),
    ("[[connections]\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "expected"), MISTAKES)
def test_each_mistake_is_exit_1_with_its_path(tmp_path: Path, text: str, expected: str) -> None:
    result = run_with(tmp_path, text)
    assert result.exit_code == 1, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        '[schedule]\ncorn = "0 3 * * *"\n'
        + with_keys('enabled = "false"\n').replace("8700", "99999")
        + "[connections.policy]\nstock_buffer = -1\n"
        + CONN.replace('"qn-portal"', '"qn-voso"').replace('"portal"', '"voso"')
        + "[connections.policy]\nmin_stars = 2\n"
    )
    result = run_with(tmp_path, text)
    assert result.exit_code == 1
    for line in (
        "5 problem(s)",
        "schedule.corn: unknown key",
        "connections[1].base_url: has a port outside 1..65535",
        "connections[1].enabled: must be true or false",
        "connections[1].policy.stock_buffer: must be >= 0",
        'connections[2].policy.min_stars: must be >= 3 (connection "qn-voso")',
    ):
        assert line in result.stderr, (line, result.stderr)


def test_problems_are_data_too() -> None:
    with pytest.raises(ConfigInvalid) as caught:
        parse_settings({"schedule": {"cron": 5}, "database": {"url": True}})
    assert caught.value.problems == [
        "database.url: must be text (in quotes)",
        "schedule.cron: must be text (in quotes)",
    ]


def test_plaintext_credential_is_warned_by_key_never_by_value(tmp_path: Path) -> None:
    secret = "s3cr3t-9f8e7d"
    text = CONN.replace("${PORTAL_API_KEY}", secret) + 'shop_id = "${SHOP}"\n'
    result = run_with(tmp_path, text, "connections", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "connections[1].credentials.api_key: written in plain text" in result.stderr
    assert "shop_id" not in result.stderr  # a ${VAR} reference is how it should be
    assert secret not in result.stderr and secret not in result.stdout
    assert json.loads(result.stdout)[0]["name"] == "qn-portal"


def test_a_warning_is_printed_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "ocopsync.toml"
    config.write_text(CONN.replace("${PORTAL_API_KEY}", "plain"), encoding="utf-8")
    monkeypatch.setattr(cli_common.state, "config", str(config))
    cli_common.settings()
    cli_common.settings()
    assert capsys.readouterr().err.count("written in plain text") == 1


def test_env_file_beside_the_config_supplies_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ocopsync.toml"
    config.write_text(CONN, encoding="utf-8")
    env = tmp_path / ".env"
    env.write_text(
        "# sandbox\nexport PORTAL_API_KEY='from-file'\nOTHER=\"x y\"\nBARE=a # note\n",
        encoding="utf-8",
    )
    env.chmod(0o600)
    monkeypatch.delenv("PORTAL_API_KEY", raising=False)
    settings = load_settings(config)
    assert settings.connection("qn-portal").resolved_credentials() == {"api_key": "from-file"}
    assert settings.warnings == ()
    assert "from-file" not in repr(settings)
    monkeypatch.setenv("PORTAL_API_KEY", "from-environment")  # the environment wins
    assert load_settings(config).connections[0].resolved_credentials()["api_key"] == (
        "from-environment"
    )


def test_ocopsync_env_file_names_another_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "ocopsync.toml"
    config.write_text(CONN, encoding="utf-8")
    (tmp_path / ".env").write_text("PORTAL_API_KEY=beside\n", encoding="utf-8")
    elsewhere = tmp_path / "secrets.env"
    elsewhere.write_text("PORTAL_API_KEY=named\n", encoding="utf-8")
    elsewhere.chmod(0o600)
    monkeypatch.delenv("PORTAL_API_KEY", raising=False)
    monkeypatch.setenv("OCOPSYNC_ENV_FILE", str(elsewhere))
    assert load_settings(config).connections[0].resolved_credentials()["api_key"] == "named"
    monkeypatch.setenv("OCOPSYNC_ENV_FILE", str(tmp_path / "missing.env"))
    with pytest.raises(ConfigError, match="OCOPSYNC_ENV_FILE points to"):
        load_settings(config)


def test_env_file_errors_name_the_line_never_its_text(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("GOOD=1\nthis-is-secret-text\n", encoding="utf-8")
    result = run_with(tmp_path, CONN)
    assert result.exit_code == 1
    assert ".env: line 2: expected NAME=value" in result.stderr
    assert "this-is-secret-text" not in result.output


def test_env_file_others_can_read_is_warned(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("PORTAL_API_KEY=k\n", encoding="utf-8")
    env.chmod(0o644)
    result = run_with(tmp_path, CONN)
    assert result.exit_code == 0
    assert "other users can read this file of secrets" in result.stderr


def test_a_missing_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_API_KEY", raising=False)
    result = run_with(tmp_path, CONN, "connections", "check")
    assert result.exit_code == 1
    assert "PORTAL_API_KEY" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("entity", "stored", "covered", "not_covered"),
    [
        ('"*"', "*", ["QN-1", "BT-9"], []),
        ('"QN-1"', "QN-1", ["QN-1"], ["QN-2", "*"]),
        ('" QN-1 "', "QN-1", ["QN-1"], [" QN-1 "]),
        ('["QN-1", "QN-2", "QN-1"]', "QN-1,QN-2", ["QN-1", "QN-2"], ["QN-3", "QN-1,QN-2"]),
        ('["QN-1"]', "QN-1", ["QN-1"], ["QN-2"]),
    ],
)
def test_entity_is_one_code_every_code_or_a_list(
    tmp_path: Path, entity: str, stored: str, covered: list[str], not_covered: list[str]
) -> None:
    config = tmp_path / "ocopsync.toml"
    config.write_text(with_keys(f"entity = {entity}\n"), encoding="utf-8")
    conn = load_settings(config).connections[0]
    assert conn.entity == stored
    assert all(conn.covers(code) for code in covered)
    assert not any(conn.covers(code) for code in not_covered)


def test_a_pavilion_is_listed_with_its_producers(tmp_path: Path) -> None:
    result = run_with(
        tmp_path,
        with_keys('entity = ["QN-HTX-BACHE", "QN-HTX-BINHLIEU"]\n'),
        "connections",
        "list",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["entity"] == "QN-HTX-BACHE,QN-HTX-BINHLIEU"


def test_catalog_columns_and_coverage_targets(tmp_path: Path) -> None:
    text = (
        '[catalog.columns]\n"Mã hàng" = "SKU"\n"Giá lẻ" = "price_vnd"\n'
        "[coverage.targets]\nvoso = 0.6\nportal = 1\n"
        '[coverage.targets."Quảng Ninh"]\nvoso = 0.7\npostmart = 0\n'
    )
    config = tmp_path / "ocopsync.toml"
    config.write_text(text, encoding="utf-8")
    s = load_settings(config)
    assert dict(s.catalog_columns) == {"Mã hàng": "sku", "Giá lẻ": "price_vnd"}
    assert dict(s.coverage_targets) == {"voso": 0.6, "portal": 1.0}
    assert {k: dict(v) for k, v in s.coverage_targets_by_province.items()} == {
        "Quảng Ninh": {"voso": 0.7, "postmart": 0.0}
    }


def test_known_options_are_typed_and_the_rest_pass_through() -> None:
    s = parse_settings(
        {
            "connections": [
                {
                    "name": "p",
                    "platform": "postmart",
                    "base_url": "https://api.example.vn/",
                    "options": {
                        "token_url": "/oauth/token",
                        "sales_from": "stock",
                        "package_cm": [20, 15, 10],
                        "something_of_its_own": {"x": [1, "y"]},
                    },
                }
            ]
        }
    )
    conn = s.connections[0]
    assert conn.base_url == "https://api.example.vn"
    assert conn.options == {
        "token_url": "/oauth/token",
        "sales_from": "stock",
        "package_cm": [20, 15, 10],
        "something_of_its_own": {"x": [1, "y"]},
    }
