"""Fingerprints of a listing's content, to tell when the catalog changed what we sent.

Pure. Each field (name, description, images, attributes) is fingerprinted on its own,
so the plan can say which field changed and a platform's update call is sent only
what differs. A fingerprint is a short hash: the listing row stores what was sent
without copying every description into the database twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from ocopsync.records import ListingDraft

CONTENT_FIELDS = ("name", "description", "image_urls", "attributes")


def _digest(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def content_of(draft: ListingDraft) -> dict[str, str]:
    """One fingerprint per content field of ``draft``."""
    return {
        "name": _digest(draft.name.strip()),
        "description": _digest(draft.description.strip()),
        "image_urls": _digest(list(draft.image_urls)),
        "attributes": _digest(sorted([a.key, a.value, a.value_id] for a in draft.attributes)),
    }


def changed_fields(sent: Mapping[str, str], draft: ListingDraft) -> tuple[str, ...]:
    """The fields of ``draft`` whose fingerprint differs from ``sent``."""
    wanted = content_of(draft)
    return tuple(f for f in CONTENT_FIELDS if sent.get(f) != wanted[f])
