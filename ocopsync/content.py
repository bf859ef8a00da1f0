"""Fingerprints of a listing's content, to tell when the catalog changed what we sent.

Pure. Each field (name, description, images, attributes) is fingerprinted on its own,
so the plan can say which field changed and a platform's update call is sent only
what differs. A fingerprint is a short hash: the listing row stores what was sent
without copying every description into the database twice.
"""

from __future__ import annotations

import functools
import hashlib

from ocopsync.records import AttributeValue, ListingDraft

CONTENT_FIELDS = ("name", "description", "image_urls", "attributes")


_SEPARATOR = "\x1f"
"""The ASCII unit separator: no catalog text holds it (import refuses control characters)."""


def _digest(*parts: str) -> str:
    text = _SEPARATOR.join(parts)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@functools.lru_cache(maxsize=1 << 16)
def _text_digest(text: str) -> str:
    """Memoised: the same name and description come back once per connection (six times
    a run), and a string keeps its hash, so a repeat costs one dictionary lookup."""
    return _digest(text.strip())


@functools.lru_cache(maxsize=1 << 16)
def _images_digest(urls: tuple[str, ...]) -> str:
    return _digest(*urls)


@functools.lru_cache(maxsize=1 << 14)
def _attributes_digest(attributes: tuple[AttributeValue, ...]) -> str:
    return _digest(*sorted(_SEPARATOR.join((a.key, a.value, a.value_id)) for a in attributes))


def content_of(draft: ListingDraft) -> dict[str, str]:
    """One fingerprint per content field of ``draft`` (cheap: a run takes one per listing)."""
    return {
        "name": _text_digest(draft.name),
        "description": _text_digest(draft.description),
        "image_urls": _images_digest(draft.image_urls),
        "attributes": _attributes_digest(draft.attributes),
    }
