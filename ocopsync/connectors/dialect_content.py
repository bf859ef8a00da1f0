"""Writing attributes and content updates in ocopsync's own dialects (Voso, Postmart, the
provincial portal).

The three dialects are our design and send an attribute the same way, ``{<key>, value,
<option>?}`` with each dialect's own names for the key and the chosen option, and a
content update as one PATCH of ``name``, ``description``, ``images`` and
``attributes``. Each payload module keeps its own ``attributes_body`` naming its fields;
the loop is here once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ocopsync.connectors.base import AttributeValue, ListingDraft

Convert = Callable[[str], int | str]
"""How an id goes on the wire: a dialect with numeric ids sends a number where it can."""
CONTENT_FIELDS = {"name": "name", "description": "description", "image_urls": "images"}
"""Our content field -> its name in the PATCH body (``attributes`` is built apart)."""


def as_sent(text: str) -> int | str:
    """The id unchanged, for a dialect whose ids are text."""
    return text


def attribute_entries(
    attributes: Sequence[AttributeValue],
    key: str,
    option: str,
    *,
    key_as: Convert = as_sent,
    option_as: Convert = as_sent,
) -> list[dict[str, Any]]:
    """One entry per value; the chosen option's id only where the value has one."""
    body = []
    for a in attributes:
        entry: dict[str, Any] = {key: key_as(a.key), "value": a.value}
        if a.value_id:
            entry[option] = option_as(a.value_id)
        body.append(entry)
    return body


def content_body(
    draft: ListingDraft,
    fields: Sequence[str],
    attributes_body: Callable[[Sequence[AttributeValue]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """The PATCH body for ``fields`` of ``draft`` (ValueError for a field we do not know)."""
    body: dict[str, Any] = {}
    for name in fields:
        if name == "attributes":
            body["attributes"] = attributes_body(draft.attributes)
        elif name in CONTENT_FIELDS:
            value = getattr(draft, name)
            body[CONTENT_FIELDS[name]] = list(value) if name == "image_urls" else value
        else:
            raise ValueError(f"no such content field: {name!r}")
    return body
