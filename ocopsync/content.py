"""Fingerprints of a listing's content, to tell when the catalog changed what we sent.

Pure. Each field (name, description, images, attributes) is fingerprinted on its own,
so the plan can say which field changed and a platform's update call is sent only
what differs. A fingerprint is a short hash: the listing row stores what was sent
without copying every description into the database twice.
"""

from __future__ import annotations

import hashlib

from ocopsync.records import ListingDraft

CONTENT_FIELDS = ("name", "description", "image_urls", "attributes")


_SEPARATOR = "\x1f"
"""The ASCII unit separator: no catalog text holds it (import refuses control characters)."""


def _digest(*parts: str) -> str:
    text = _SEPARATOR.join(parts)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def content_of(draft: ListingDraft) -> dict[str, str]:
    """One fingerprint per content field of ``draft`` (cheap: a run takes one per listing)."""
    return {
        "name": _digest(draft.name.strip()),
        "description": _digest(draft.description.strip()),
        "image_urls": _digest(*draft.image_urls),
        "attributes": _digest(
            *sorted(_SEPARATOR.join((a.key, a.value, a.value_id)) for a in draft.attributes)
        ),
    }
