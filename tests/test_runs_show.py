"""``runs show``: a connection that failed says so and why; ``--status`` knows its values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ocopsync.cli import app
from ocopsync.runs import connection_outcomes
from ocopsync.sandbox import build_sandbox
from ocopsync.serve import serve_in_thread
from tests.conftest import product, write_catalog

runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def voso(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A catalog and a Voso shop in the sandbox; the test picks the secret key."""
    sandbox = build_sandbox(["voso"])
    with serve_in_thread(sandbox.app) as root:
        good = sandbox["voso"].credentials()
        config = tmp_path / "ocopsync.toml"
        config.write_text(
            f"""
[database]
url = "sqlite:///{tmp_path / "runs.db"}"
[[connections]]
name = "qn-voso"
platform = "voso"
base_url = "{root}/voso"
[connections.credentials]
partner_code = "{good["partner_code"]}"
secret_key = "${{VOSO_SECRET_KEY}}"
shop_id = "{good["shop_id"]}"
[connections.options]
category_map = {{ food = 10452, beverage = 10461 }}
""",
            encoding="utf-8",
        )
        monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
        monkeypatch.setenv("VOSO_SECRET_KEY", good["secret_key"])
        catalog = write_catalog(
            tmp_path / "catalog.csv",
            [product(f"QN-{i:03d}", image_urls="https://img.example/x.jpg") for i in (1, 2, 3)],
        )
        assert cli("catalog", "import", str(catalog))[0] == 0
        yield good


def test_a_connection_that_failed_on_a_wrong_signature_shows_failed_and_why(
    voso: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOSO_SECRET_KEY", "not-the-secret")
    code, _out, _err = cli("sync", "--format", "json")
    assert code == 1

    code, out, _err = cli("runs", "show", "1")
    assert code == 0
    assert "run 1 (cli): failed, 0 applied, 0 failed, 0 skipped" in out
    assert "1 of 1 connection(s) failed" in out
    assert "qn-voso" in out and "INVALID_SIGNATURE" in out.replace("\n", "")
    assert "no operation was journaled" in out
    assert "not-the-secret" not in out

    code, out, _err = cli("runs", "show", "1", "--format", "json")
    doc = json.loads(out)
    assert doc["operations"] == []
    [conn] = doc["connections"]
    assert (conn["connection"], conn["platform"], conn["status"]) == (
        "qn-voso",
        "voso",
        "failed",
    )
    assert "signature" in conn["error"]


def test_a_good_run_lists_its_connection_and_filters_by_known_status(
    voso: dict[str, str],
) -> None:
    assert cli("sync", "--format", "json")[0] == 0
    code, out, _err = cli("runs", "show", "1", "--status", "succeeded", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and len(doc["operations"]) == 3
    assert {o["status"] for o in doc["operations"]} == {"succeeded"}
    assert [(c["connection"], c["status"], c["applied"]) for c in doc["connections"]] == [
        ("qn-voso", "succeeded", 3)
    ]
    code, out, _err = cli("runs", "show", "1", "--status", "FAILED")
    assert code == 0 and "no operation with outcome failed" in out


def test_status_takes_only_known_values(voso: dict[str, str]) -> None:
    assert cli("sync")[0] == 0
    code, _out, err = cli("runs", "show", "1", "--status", "bogus")
    assert code == 2
    assert "bogus" in err and "not_applied" in err and "uncertain" in err


@pytest.mark.parametrize(
    ("summary", "run_status", "expected"),
    [
        # A finished run: one entry per connection, with its error.
        (
            {
                "connections": [
                    {
                        "connection": "a",
                        "platform": "voso",
                        "status": "failed",
                        "applied": 0,
                        "failed": 0,
                        "skipped": 0,
                        "error": "bad signature",
                    }
                ]
            },
            "failed",
            [("a", "voso", "failed", "bad signature")],
        ),
        # A run that died recorded only names: each shares the run's status.
        (
            {"connections": ["a", "b"]},
            "interrupted",
            [("a", "", "interrupted", ""), ("b", "", "interrupted", "")],
        ),
        # One that stopped on an unexpected error recorded no connection at all.
        ({"error": "the run stopped on an unexpected error"}, "failed", []),
    ],
)
def test_connection_outcomes_from_a_summary(
    summary: dict[str, Any], run_status: str, expected: list[tuple[str, str, str, str]]
) -> None:
    got = connection_outcomes(summary, run_status)
    assert [(c["connection"], c["platform"], c["status"], c["error"]) for c in got] == expected
