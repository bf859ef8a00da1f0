"""Messages in Vietnamese or English: chosen by --lang, OCOPSYNC_LANG or the locale.

Cooperatives read Vietnamese first; programs read JSON, whose keys never change with
the language. The catalog itself is checked too: a message without a Vietnamese
translation, a translation that drops a placeholder, or a .mo older than its .po fails.
"""

from __future__ import annotations

import json
import os
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from typer.testing import CliRunner

from ocopsync import i18n
from ocopsync.cli import app
from ocopsync.i18n import _, format_number, format_percent, language_from_argv, resolve_language
from ocopsync.sandbox import build_sandbox
from ocopsync.serve import serve_in_thread
from tests.conftest import product, write_catalog
from tests.test_cli_e2e import portal_config
from tests.test_vietnamese_workbook import ROWS, build_workbook

runner = CliRunner()
LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "ocopsync.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n', "utf-8")
    monkeypatch.setenv("OCOPSYNC_CONFIG", str(config))
    monkeypatch.delenv("OCOPSYNC_DATABASE_URL", raising=False)
    return config


def bad_workbook(tmp_path: Path) -> Path:
    rows = [list(r) for r in ROWS]
    rows[1][12] = "miễn phí"  # Giá bán: not a number
    rows[3][9] = "6 sao"
    return build_workbook(tmp_path / "Sản phẩm.xlsx", rows=rows)


# --- choosing the language ---------------------------------------------------------------


def test_lang_vi_gives_vietnamese_import_errors(database: Path, tmp_path: Path) -> None:
    code, _out, err = invoke("--lang", "vi", "catalog", "import", str(bad_workbook(tmp_path)))
    message = " ".join(err.split())
    assert code == 1
    assert "không phải số; hãy viết số đồng là số nguyên" in message
    assert "phải là 3, 4 hoặc 5 (hạng sao OCOP)" in message
    assert "is not a number" not in message


def test_lang_en_gives_english(database: Path, tmp_path: Path) -> None:
    code, _out, err = invoke("--lang", "en", "catalog", "import", str(bad_workbook(tmp_path)))
    assert code == 1
    assert "is not a number; write a whole number of dong" in " ".join(err.split())


def test_lang_vi_gives_vietnamese_config_errors(tmp_path: Path) -> None:
    missing = tmp_path / "không-có.toml"
    code, _out, err = invoke("--lang", "vi", "--config", str(missing), "connections", "list")
    assert code == 1
    assert f"tệp cấu hình {missing} không tồn tại" in " ".join(err.split())

    bad = tmp_path / "ocopsync.toml"
    bad.write_text('corn = "0 2 * * *"\n[database]\nurl = "sqlite:///x.db"\n', "utf-8")
    code, _out, err = invoke("--lang", "vi", "--config", str(bad), "connections", "list")
    assert code == 1 and "khóa không hợp lệ" in err


def test_the_locale_decides_without_lang(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OCOPSYNC_LANG")
    for var in LOCALE_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    code, _out, err = invoke("catalog", "import", str(bad_workbook(tmp_path)))
    assert code == 1 and "không phải số" in err
    monkeypatch.setenv("LANG", "C.UTF-8")
    code, _out, err = invoke("catalog", "import", str(bad_workbook(tmp_path)))
    assert code == 1 and "is not a number" in err


def test_ocopsync_lang_beats_the_locale_and_lang_beats_both(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("OCOPSYNC_LANG", "vi")
    assert "không phải số" in invoke("catalog", "import", str(bad_workbook(tmp_path)))[2]
    err = invoke("--lang", "en", "catalog", "import", str(bad_workbook(tmp_path)))[2]
    assert "is not a number" in err


@pytest.mark.parametrize(
    ("option", "env", "expected"),
    [
        (None, {}, "en"),
        (None, {"LANG": "vi_VN.UTF-8"}, "vi"),
        (None, {"LANG": "en_US.UTF-8"}, "en"),
        (None, {"LC_ALL": "vi_VN.UTF-8", "LANG": "en_US.UTF-8"}, "vi"),
        (None, {"LANGUAGE": "en:vi", "LANG": "vi_VN.UTF-8"}, "en"),
        (None, {"OCOPSYNC_LANG": "vi", "LANG": "en_US.UTF-8"}, "vi"),
        (None, {"OCOPSYNC_LANG": "EN", "LANG": "vi_VN.UTF-8"}, "en"),
        ("vi", {"OCOPSYNC_LANG": "en"}, "vi"),
    ],
)
def test_resolve_language(option: str | None, env: dict[str, str], expected: str) -> None:
    assert resolve_language(option, env) == expected


def test_an_unknown_language_is_refused(database: Path) -> None:
    code, _out, err = invoke("--lang", "fr", "catalog", "list")
    assert code == 2 and "--lang" in err
    with pytest.raises(ValueError, match="OCOPSYNC_LANG"):
        resolve_language(None, {"OCOPSYNC_LANG": "vn"})


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--lang", "vi", "plan"], "vi"),
        (["--lang=vi", "--help"], "vi"),
        (["--config", "x.toml", "--lang", "vi", "plan"], "vi"),
        (["report", "--lang", "vi", "--out", "r.html"], "en"),  # the report's own option
        (["--lang", "xx", "plan"], "en"),  # Typer refuses it later, with a message
    ],
)
def test_language_from_argv(argv: list[str], expected: str) -> None:
    assert language_from_argv(argv) == expected


def test_help_in_vietnamese() -> None:
    """Typer reads help texts at import time: the language is set before the import."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}
    for args, extra in (
        (["--lang", "vi", "--help"], {"OCOPSYNC_LANG": "en"}),
        (["catalog", "--help"], {"OCOPSYNC_LANG": "vi"}),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "ocopsync", *args],
            env={**env, **extra, "COLUMNS": "200"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "sản phẩm" in done.stdout, done.stdout
    assert "Keep one master catalog" in invoke("--help")[1]


# --- JSON stays the same --------------------------------------------------------------------


def keys(doc: Any, path: str = "") -> Iterator[str]:
    """Every key path of a JSON document (list items share their path)."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield f"{path}.{key}"
            yield from keys(value, f"{path}.{key}")
    elif isinstance(doc, list):
        for item in doc:
            yield from keys(item, f"{path}[]")


def test_json_keys_are_the_same_in_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = build_sandbox(["portal"])
    with serve_in_thread(sandbox.app) as root:
        monkeypatch.setenv("PORTAL_API_KEY", "sandbox-portal-key")
        monkeypatch.setenv("OCOPSYNC_CONFIG", str(portal_config(tmp_path, root)))
        rows = [product(f"QN-{i:03d}") for i in range(1, 4)]
        rows.append(product("QN-OLD", expires_on="2020-01-01", certified_on="2017-01-01"))
        catalog = write_catalog(tmp_path / "catalog.csv", rows)
        docs: dict[str, list[Any]] = {}
        for lang in ("en", "vi"):
            docs[lang] = []
            for args in (
                ("catalog", "import", str(catalog), "--dry-run", "--format", "json"),
                ("plan", "--format", "json"),
                ("coverage", "--format", "json"),
            ):
                code, out, err = invoke("--lang", lang, *args)
                assert code == 0, err
                docs[lang].append(json.loads(out))
    assert docs["en"][0]["added"] == 4
    for en, vi in zip(docs["en"], docs["vi"], strict=True):
        assert list(keys(en)) == list(keys(vi))
    assert docs["en"][1]["connections"] and docs["en"][1] == docs["vi"][1]


# --- the catalog ------------------------------------------------------------------------------


def fields(text: str) -> list[tuple[str, str | None]]:
    return sorted((f, spec) for _lit, f, spec, _conv in string.Formatter().parse(text) if f)


def test_every_message_has_a_vietnamese_translation() -> None:
    """A new ``_()`` message without a translation fails here: run
    ``python -m ocopsync.i18n extract``, translate, ``python -m ocopsync.i18n compile``."""
    translated = {m.id: m.string for m in i18n.read_po() if m.id}
    found = {m.id for m in i18n.extract() if m.id}
    missing = sorted(str(m) for m in found if not translated.get(m))
    assert not missing, f"{len(missing)} message(s) without a Vietnamese translation: {missing}"


def test_translations_keep_every_placeholder() -> None:
    for message in i18n.read_po():
        if message.id and message.string:
            assert fields(str(message.id)) == fields(str(message.string)), message.id


def test_the_shipped_mo_is_compiled_from_the_po(tmp_path: Path) -> None:
    fresh = i18n.compile_mo(tmp_path / "fresh.mo")
    with fresh.open("rb") as a, i18n.MO_FILE.open("rb") as b:
        expected = {m.id: m.string for m in read_mo(a) if m.id}
        shipped = {m.id: m.string for m in read_mo(b) if m.id}
    assert shipped == expected, "run: python -m ocopsync.i18n compile"


def test_lookup_happens_at_call_time() -> None:
    i18n.set_language("vi")
    assert _("interrupted") == "đã bị ngắt"
    i18n.set_language("en")
    assert _("interrupted") == "interrupted"


@pytest.mark.parametrize(
    ("lang", "number", "percent"), [("vi", "1.234.567", "40,7%"), ("en", "1,234,567", "40.7%")]
)
def test_numbers_follow_the_language(lang: str, number: str, percent: str) -> None:
    assert format_number(1_234_567, lang) == number
    assert format_percent(0.4071, lang=lang) == percent
