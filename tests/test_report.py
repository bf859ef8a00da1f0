"""The report: numbers in the reader's conventions, the HTML page rendered by a real
headless Chromium (figures, one chart per section, not one request beyond the page
itself), and the workbook opened with openpyxl, its native charts in the package."""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from ocopsync.report import write_report
from ocopsync.report.labels import Labels
from tests import province_seed
from tests.province_seed import World

SECTIONS = ["headline", "districts", "trend", "stars", "groups", "gaps", "certificates"]


@pytest.mark.parametrize(
    ("lang", "share", "percent", "count", "number"),
    [
        ("vi", 0.4071, "40,7%", 1234, "1.234"),
        ("en", 0.4071, "40.7%", 1234, "1,234"),
        ("vi", 1.0, "100,0%", 17316, "17.316"),
        ("en", 0.2748, "27.5%", 1_234_567, "1,234,567"),
        ("vi", 12.345, "1.234,5%", 0, "0"),
        ("en", None, "–", 393, "393"),
    ],
)
def test_numbers_in_the_readers_conventions(lang, share, percent, count, number) -> None:
    t = Labels(lang)
    assert (t.percent(share), t.number(count)) == (percent, number)


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="--lang"):
        Labels("fr")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    world = province_seed.build(tmp_path_factory.mktemp("report-province"))
    targets = {"voso": 0.6, "postmart": 0.3, "portal": 1.0}
    world.settings = province_seed.with_targets(world.settings, targets)
    return world


@pytest.fixture(scope="module")
def html_report(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "bao-cao.html"
    return write_report(world.engine, world.settings, out, today=world.today, lang="vi")


# --- the page as a browser shows it --------------------------------------------------
class _Logged(http.server.SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, format: str, *args: object) -> None:
        self.requested.append(self.path)


@pytest.fixture
def served(html_report: Path) -> Iterator[tuple[str, list[str]]]:
    """The report's folder on a loopback HTTP server that records every request."""
    requested: list[str] = []
    handler = type("Handler", (_Logged,), {"requested": requested})

    def make(*args, **kwargs):
        return handler(*args, directory=str(html_report.parent), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{html_report.name}", requested
    finally:
        server.shutdown()
        server.server_close()


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(browser).exists():
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium)")
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=True)


class _Dom(HTMLParser):
    """What the assertions need from the rendered DOM: sections, charts, cards, text."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.sections: dict[str, dict[str, int]] = {}
        self.section: str | None = None
        self.cards: dict[str, list[str]] = {}
        self.card: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id")
            self.sections[self.section or ""] = {"figure": 0, "svg": 0, "table": 0}
        elif self.section and tag in ("figure", "svg", "table"):
            self.sections[self.section][tag] += 1
        if "card" in (a.get("class") or "").split():
            self.card = a.get("data-platform")
            self.cards[self.card or ""] = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.card is not None and data.strip():
            self.cards[self.card].append(data.strip())
            if len(self.cards[self.card]) == 4:
                self.card = None


def test_the_page_renders_in_a_real_browser_with_no_request_beyond_itself(
    served, html_report: Path, tmp_path: Path
) -> None:
    url, requested = served
    dom_text = chromium(tmp_path, "--dump-dom", url).stdout
    dom = _Dom()
    dom.feed(dom_text)
    assert list(dom.sections) == SECTIONS
    for name, counts in dom.sections.items():
        assert (counts["figure"], counts["svg"]) == (1, 1), name  # one chart per section
        assert counts["table"] == 1, name
    assert dom.cards["portal"][:3] == ["Cổng OCOP tỉnh", "100,0%", "393 / 393"]
    assert dom.cards["voso"][:3] == ["Voso", "40,7%", "160 / 393"]
    assert dom.cards["postmart"][:3] == ["Postmart", "27,5%", "108 / 393"]
    assert dom.cards["voso"][3] == "Chỉ tiêu 60,0% · Cần đưa thêm 76"
    assert dom.cards["postmart"][3] == "Chỉ tiêu 30,0% · Cần đưa thêm 10"
    text = " ".join(dom.text)
    assert "HTX Nông sản Đầm Hà (QN-HTX-DAMHA)" in text  # names beside codes
    assert "chưa có gian hàng" in text  # no_shop, in Vietnamese
    assert "QN-HTX-BACHE-03" in text  # a certificate expiring in 30 days
    assert requested == ["/" + html_report.name], requested


def test_the_page_holds_no_address_a_browser_could_fetch(html_report: Path) -> None:
    page = html_report.read_text(encoding="utf-8")
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.findall(r"url\(\s*['\"]?(?:https?:)?//", page, re.I)
    assert "@import" not in page and "<script" not in page
    assert re.findall(r"<link[^>]*>", page) == [
        '<link rel="icon" href="data:,">'
    ]  # no favicon fetch
    assert page.count("<svg") == len(SECTIONS)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media print" in page


def test_the_page_prints_and_fits_a_phone(html_report: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html_report.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) >= 2
    phone = tmp_path / "phone.png"
    chromium(tmp_path, "--window-size=390,844", f"--screenshot={phone}", html_report.as_uri())
    assert phone.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_english_report_uses_english_words_and_numbers(world: World, tmp_path: Path) -> None:
    out = write_report(
        world.engine, world.settings, tmp_path / "r.html", today=world.today, lang="en"
    )
    page = out.read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Provincial OCOP portal" in page
    assert "40.7%" in page and "40,7%" not in page and "no shop" in page


# --- the workbook --------------------------------------------------------------------
def test_the_workbook_has_the_same_figures_and_native_charts(world: World, tmp_path: Path) -> None:
    out = write_report(
        world.engine, world.settings, tmp_path / "r.xlsx", today=world.today, lang="en"
    )
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "Summary",
        "Districts",
        "Trend",
        "Stars",
        "Groups",
        "Gaps",
        "Certificates",
    ]
    summary = book["Summary"]
    header = next(
        r for r in range(1, summary.max_row + 1) if summary.cell(r, 1).value == "Platform"
    )
    rows = {
        summary.cell(r, 1).value: [summary.cell(r, c).value for c in range(2, 7)]
        for r in range(header + 1, summary.max_row + 1)
    }
    assert rows == {
        "Provincial OCOP portal": [393, 393, 1.0, 1.0, 0],
        "Postmart": [393, 108, 0.2748, 0.3, 10],
        "Voso": [393, 160, 0.4071, 0.6, 76],
    }
    assert summary.cell(header + 1, 4).number_format == "0.0%"
    gaps = book["Gaps"]
    values = [[c.value for c in row] for row in gaps.iter_rows()]
    voso_counts = next(v for v in values if v[0] == "Voso" and isinstance(v[1], int))
    assert voso_counts[1] == 233  # no shop
    certs = [v for v in book["Certificates"].iter_rows(values_only=True) if v and v[2]]
    assert any(v[2] == "QN-HTX-BACHE-03" for v in certs)
    with zipfile.ZipFile(out) as package:
        charts = [n for n in package.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    assert len(charts) == 7  # one native chart per sheet
