"""Image rules: what the plan checks from the URLs, and what a download checks in the bytes."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from ocopsync.connectors.images import download_image, image_format
from ocopsync.errors import RejectedError, TransientError
from ocopsync.image_rules import format_from_url, host_allowed, image_problems

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 64


@pytest.mark.parametrize(
    ("url", "hosts", "allowed"),
    [
        ("https://img.htx.vn/a.jpg", None, True),
        ("https://img.htx.vn/a.jpg", ["htx.vn"], True),
        ("https://cdn.img.htx.vn/a.jpg", ["img.htx.vn"], True),
        ("https://evil.example/a.jpg", ["htx.vn"], False),
        ("https://htx.vn.evil.example/a.jpg", ["htx.vn"], False),
        ("ftp://htx.vn/a.jpg", None, False),
        ("file:///etc/passwd", None, False),
    ],
)
def test_hosts(url: str, hosts: list[str] | None, allowed: bool) -> None:
    assert host_allowed(url, hosts) is allowed


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("https://x.vn/a.JPG", "jpeg"),
        ("https://x.vn/a.jpeg?w=200", "jpeg"),
        ("https://x.vn/a.png", "png"),
        ("https://x.vn/a.webp", "webp"),
        ("https://x.vn/image/123", None),
    ],
)
def test_format_from_the_url(url: str, found: str | None) -> None:
    assert format_from_url(url) == found


def test_plan_time_problems_name_count_and_format() -> None:
    urls = [f"https://x.vn/{i}.jpg" for i in range(9)] + ["https://x.vn/z.webp"]
    problems = image_problems(urls, max_count=9, formats=("jpg", "png"), platform="shopee")
    assert problems[0].startswith("10 images, shopee takes at most 9")
    assert "z.webp is WEBP; shopee takes JPEG/PNG" in problems[1]
    assert image_problems(urls[:3], max_count=9, formats=("jpeg", "png")) == []
    assert image_problems(["https://x.vn/cdn/1"], max_count=0, formats=("png",)) == []


@pytest.mark.parametrize(
    ("data", "found"), [(PNG, "png"), (JPEG, "jpeg"), (WEBP, "webp"), (b"<html>", None)]
)
def test_format_from_the_bytes(data: bytes, found: str | None) -> None:
    assert image_format(data) == found


def fetch(url: str, **kw: object) -> bytes:
    async def go() -> bytes:
        async with httpx.AsyncClient() as client:
            return await download_image(
                client,
                url,
                platform="lazada",
                hosts=["img.htx.vn"],
                max_bytes=1024,
                **kw,  # type: ignore[arg-type]
            )

    return asyncio.run(go())


@respx.mock
def test_a_good_image_downloads() -> None:
    respx.get("https://img.htx.vn/a.png").respond(200, content=PNG)
    assert fetch("https://img.htx.vn/a.png") == PNG


@respx.mock
@pytest.mark.parametrize(
    ("response", "code"),
    [
        (httpx.Response(200, content=PNG + b"\x00" * 2000), "image_size"),
        (httpx.Response(200, content=PNG, headers={"Content-Length": "999999"}), "image_size"),
        (httpx.Response(200, content=WEBP), "image_format"),
        (httpx.Response(200, content=b"<html>not found</html>"), "image_format"),
        (httpx.Response(404), "image_download"),
    ],
)
def test_a_bad_image_is_refused_with_what_is_wrong(response: httpx.Response, code: str) -> None:
    respx.get("https://img.htx.vn/a.jpg").mock(return_value=response)
    with pytest.raises(RejectedError) as caught:
        fetch("https://img.htx.vn/a.jpg")
    assert caught.value.code == code


@respx.mock
def test_a_host_not_allowed_is_never_requested() -> None:
    route = respx.get("https://evil.example/a.jpg").respond(200, content=PNG)
    with pytest.raises(RejectedError) as caught:
        fetch("https://evil.example/a.jpg")
    assert caught.value.code == "image_host" and not route.called


@respx.mock
def test_a_timeout_or_5xx_is_transient() -> None:
    respx.get("https://img.htx.vn/slow.jpg").mock(side_effect=httpx.ReadTimeout("slow"))
    respx.get("https://img.htx.vn/down.jpg").respond(503)
    for url in ("https://img.htx.vn/slow.jpg", "https://img.htx.vn/down.jpg"):
        with pytest.raises(TransientError):
            fetch(url)
