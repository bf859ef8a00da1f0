"""Config parsing: every documented key, and a clear error for each mistake.

Changed by issue 7 (pydantic validation): errors now name the TOML path of the key
(``connections[1]: 'name' is required``), and the policy's unknown keys are reported as
every other unknown key. The full table of mistakes is in test_config_validation.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocopsync.config import load_settings, parse_settings
from ocopsync.errors import ConfigError

GOOD = """
[database]
url = "sqlite:///x.db"

[[connections]]
name = "qn-portal"
platform = "portal"
base_url = "http://127.0.0.1:8700/portal/"
entity = "*"
[connections.credentials]
api_key = "${PORTAL_API_KEY}"
[connections.policy]
price_markup_pct = 5
price_rounding = 500
stock_buffer = 2
min_stars = 4
[connections.options]
rate_limit_per_s = 3
"""


def test_example_config_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCOPSYNC_DATABASE_URL", raising=False)
    example = Path(__file__).resolve().parent.parent / "config" / "ocopsync.example.toml"
    settings = load_settings(example)
    assert {c.platform for c in settings.connections} == {
        "portal",
        "voso",
        "postmart",
        "shopee",
        "lazada",
        "sendo",
    }


def test_good_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCOPSYNC_DATABASE_URL", raising=False)
    path = tmp_path / "ocopsync.toml"
    path.write_text(GOOD, encoding="utf-8")
    settings = load_settings(path)
    conn = settings.connection("qn-portal")
    assert settings.database_url == "sqlite:///x.db"
    assert conn.base_url == "http://127.0.0.1:8700/portal"
    assert (
        conn.policy.price_markup_pct,
        conn.policy.price_rounding,
        conn.policy.stock_buffer,
        conn.policy.min_stars,
    ) == (5, 500, 2, 4)
    assert conn.options == {"rate_limit_per_s": 3}
    assert conn.resolved_credentials({"PORTAL_API_KEY": "k"}) == {"api_key": "k"}


def test_missing_env_var_names_it_not_a_value(tmp_path: Path) -> None:
    settings = parse_settings(
        {
            "connections": [
                {
                    "name": "a",
                    "platform": "portal",
                    "base_url": "http://x",
                    "credentials": {"api_key": "${NOPE_KEY}"},
                }
            ]
        }
    )
    with pytest.raises(ConfigError, match="NOPE_KEY"):
        settings.connections[0].resolved_credentials({})


def test_database_url_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCOPSYNC_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1/test")
    assert parse_settings({}).database_url.startswith("postgresql")


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        ({"platform": "portal", "base_url": "http://x"}, r"connections\[1\]: 'name' is required"),
        ({"name": "a b", "platform": "portal", "base_url": "http://x"}, "may hold only"),
        ({"name": "a", "platform": "portal", "base_url": "ftp://x"}, "base_url: must be an http"),
        ({"name": "a", "platform": "portal", "base_url": "http://x", "colour": 1}, "unknown key"),
        (
            {"name": "a", "platform": "portal", "base_url": "http://x", "policy": {"min_stars": 6}},
            "min_stars",
        ),
        (
            {
                "name": "a",
                "platform": "portal",
                "base_url": "http://x",
                "policy": {"price_rounding": 0},
            },
            "price_rounding",
        ),
        (
            {"name": "a", "platform": "portal", "base_url": "http://x", "policy": {"markup": 3}},
            r"policy\.markup: unknown key",
        ),
    ],
)
def test_config_mistakes_are_named(connection: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings({"connections": [connection]})


def test_duplicate_connection_names(tmp_path: Path) -> None:
    conn = {"name": "a", "platform": "portal", "base_url": "http://x"}
    with pytest.raises(ConfigError, match="used twice"):
        parse_settings({"connections": [conn, conn]})


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[[connections]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
