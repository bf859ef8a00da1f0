"""What every part of the Lazada emulator reads payloads with, and answers errors with.

Payloads come as the platform takes them, XML or JSON (§1 of
``shared/platforms/lazada.md``); repeated XML tags become lists, so one reader serves
both. Errors are the envelope ``{type, code, message, detail?, request_id}`` (§4).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree


class LazadaError(Exception):
    """An error envelope to answer (``{type, code, message, detail?}``, §4)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        kind: str = "ISV",
        detail: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind
        self.detail = detail

    def body(self, request_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.kind, "code": self.code, "message": self.message}
        if self.detail is not None:
            body["detail"] = self.detail
        body["request_id"] = request_id
        return body


# -- payloads ------------------------------------------------------------------------


def parse_payload(text: str) -> dict[str, Any]:
    """An XML or JSON ``payload`` as nested dicts; repeated XML tags become lists."""
    text = text.strip()
    if not text:
        raise LazadaError("30", "Empty Request")
    if text.startswith("<"):
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError as exc:
            raise LazadaError("5", f"Invalid Request Format: {exc}") from exc
        return {root.tag: _element(root)}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise LazadaError("5", "Invalid Request Format: payload is neither XML nor JSON") from exc
    if not isinstance(value, dict):
        raise LazadaError("5", "Invalid Request Format: payload must be an object")
    return value


def _element(element: ElementTree.Element) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        value = _element(child)
        if child.tag not in out:
            out[child.tag] = value
        elif isinstance(out[child.tag], list):  # _element never returns a list itself
            out[child.tag].append(value)
        else:
            out[child.tag] = [out[child.tag], value]
    return out


def dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def whole(value: Any) -> int | None:
    n = number(value)
    return int(n) if n is not None and math.isfinite(n) and n == int(n) else None


def parse_date(value: str) -> float:
    """Epoch seconds of an ISO 8601 filter date (``2018-01-01T00:00:00+0800``)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise LazadaError("17", f'"{value}" Invalid Date Format') from exc
    if moment.tzinfo is None:
        raise LazadaError("17", f'"{value}" Invalid Date Format: no time zone')
    return moment.timestamp()


def hosted_by_lazada(url: str) -> bool:
    return (urlsplit(url).hostname or "").endswith(".slatic.net")


def image_kind(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None
