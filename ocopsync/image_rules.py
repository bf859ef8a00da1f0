"""What a platform accepts as listing images, checked before anything is downloaded.

Pure: the plan calls :func:`image_problems` with the URLs of a product and the
platform's :class:`~ocopsync.records.ItemLimits`, and a create whose images break a rule
is ``blocked`` with the reason, never sent. What only the bytes can tell (the size, the
real format) is checked by :mod:`ocopsync.connectors.images` when the connector
downloads them, and refused there with the same words.

Platform rules (from the public docs, see each connector): Shopee JPG/PNG at most 10 MB,
at most 9 images per item; Lazada JPG/PNG at most 1 MB for ``/image/migrate``; Sendo
picture URLs must be public (http or https, fetched by Sendo itself).
"""

from __future__ import annotations

import posixpath
import urllib.parse
from collections.abc import Sequence

from ocopsync.i18n import _

KNOWN_SUFFIXES = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
    ".webp": "webp",
    ".gif": "gif",
    ".bmp": "bmp",
}
"""File name endings whose format we can name from the URL alone; any other ending
(or none, as in many CDN URLs) is left to the check on the downloaded bytes."""


def host_allowed(url: str, hosts: Sequence[str] | None) -> bool:
    """True when ``url`` is http(s) and, with ``hosts`` set, on one of them (or a subdomain)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if not hosts:
        return True
    host = parts.hostname.lower()
    return any(host == h.lower() or host.endswith("." + h.lower()) for h in hosts)


def format_from_url(url: str) -> str | None:
    """``jpeg``, ``png``... from the URL's path ending; None when the URL does not say."""
    suffix = posixpath.splitext(urllib.parse.urlsplit(url).path)[1].lower()
    return KNOWN_SUFFIXES.get(suffix)


def image_problems(
    urls: Sequence[str],
    *,
    max_count: int,
    formats: Sequence[str],
    hosts: Sequence[str] | None = None,
    platform: str = "",
) -> list[str]:
    """Why these images cannot go on a listing as they are (empty: nothing found).

    ``formats`` are the accepted formats (``jpeg``, ``png``); ``max_count`` the most
    images one listing takes (0: no limit); ``hosts`` the connection's ``image_hosts``.
    """
    problems: list[str] = []
    accepted = {"jpeg" if f.lower() in ("jpg", "jpeg") else f.lower() for f in formats}
    if max_count and len(urls) > max_count:
        problems.append(
            _("{count} images, {platform} takes at most {most} per listing").format(
                count=len(urls), platform=platform, most=max_count
            )
        )
    for url in urls:
        if not host_allowed(url, hosts):
            problems.append(
                _("image {url} is not an http(s) address on options.image_hosts").format(url=url)
            )
            continue
        found = format_from_url(url)
        if found is not None and found not in accepted:
            problems.append(
                _("image {url} is {found}; {platform} takes {accepted}").format(
                    url=url,
                    found=found.upper(),
                    platform=platform,
                    accepted="/".join(sorted(f.upper() for f in accepted)),
                )
            )
    return problems
