"""Downloading a product image for upload: only from allowed hosts, capped, timed out.

The bytes' own header decides the format (a ``.jpg`` URL may serve a WebP), and a body
larger than the platform's cap is refused before it is all read: a catalog's image URL
is the seller's input, and a wrong link must not stall a run or fill its memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from ocopsync.errors import RejectedError, TransientError
from ocopsync.i18n import _
from ocopsync.image_rules import host_allowed

DOWNLOAD_TIMEOUT_S = 20.0
"""Longest one image download may take, whatever the connection's own timeout."""

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)


def image_format(data: bytes) -> str | None:
    """``jpeg``, ``png``, ``gif``, ``webp`` or ``bmp`` from the first bytes; None if unknown."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    return None


async def download_image(
    client: httpx.AsyncClient,
    url: str,
    *,
    platform: str,
    hosts: Sequence[str] | None,
    max_bytes: int,
    formats: Sequence[str] = ("jpeg", "png"),
    timeout_s: float = DOWNLOAD_TIMEOUT_S,
) -> bytes:
    """The image's bytes, or :class:`RejectedError` (code ``image_host``, ``image_size``,
    ``image_format``, ``image_download``) naming what is wrong; a timeout or a 5xx is a
    :class:`TransientError`, which the caller's retry policy may repeat."""
    if not host_allowed(url, hosts):
        raise RejectedError(
            _("image {url} is not an http(s) address on options.image_hosts").format(url=url),
            platform=platform,
            code="image_host",
        )
    try:
        async with client.stream("GET", url, timeout=timeout_s) as response:
            if response.status_code >= 500:
                raise TransientError(
                    f"image download HTTP {response.status_code}", platform=platform
                )
            if not response.is_success:
                raise RejectedError(
                    _("could not download image {url}: HTTP {status}").format(
                        url=url, status=response.status_code
                    ),
                    platform=platform,
                    code="image_download",
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_big(url, max_bytes, platform)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise _too_big(url, max_bytes, platform)
    except httpx.TimeoutException as exc:
        raise TransientError(f"image download timed out: {url}", platform=platform) from exc
    except httpx.TransportError as exc:
        raise TransientError(
            f"image download failed: {type(exc).__name__}", platform=platform
        ) from exc
    found = image_format(bytes(body[:16]))
    accepted = {"jpeg" if f in ("jpg", "jpeg") else f for f in formats}
    if found not in accepted:
        raise RejectedError(
            _("image {url} is {found}; {platform} takes {accepted}").format(
                url=url,
                found=(found or "not an image").upper(),
                platform=platform,
                accepted="/".join(sorted(f.upper() for f in accepted)),
            ),
            platform=platform,
            code="image_format",
        )
    return bytes(body)


def _too_big(url: str, max_bytes: int, platform: str) -> RejectedError:
    return RejectedError(
        _("image {url} is larger than {platform}'s {size}").format(
            url=url, platform=platform, size=_size(max_bytes)
        ),
        platform=platform,
        code="image_size",
    )


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"
