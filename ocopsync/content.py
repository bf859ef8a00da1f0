"""Fingerprints of a listing's content, to tell when the catalog changed what we sent.

Pure. Each field (name, description, images, attributes) is fingerprinted on its own,
so the plan can say which field changed and a platform's update call is sent only
what differs. A fingerprint is a short hash: the listing row stores what was sent
without copying every description into the database twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from typing import Any

from ocopsync.records import AttributeValue, ListingDraft

CONTENT_FIELDS = ("name", "description", "image_urls", "attributes")


_SEPARATOR = "\x1f"
"""The ASCII unit separator: no catalog text holds it (import refuses control characters)."""


def _digest(*parts: str) -> str:
    text = _SEPARATOR.join(parts)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def _text_digest(text: str) -> str:
    return _digest(text.strip())


def _images_digest(urls: tuple[str, ...]) -> str:
    return _digest(*urls)


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


class ContentMemo:
    """:func:`content_of` for one run, remembering each field's fingerprint.

    A run fingerprints every product once per connection, and the connections' drafts of
    one product share its name, description and images (only the attributes differ, by
    category), so five of six digests are repeats. Kept per run, not in a module-wide
    cache: a scheduler process would otherwise hold every description it ever saw.
    """

    def __init__(self) -> None:
        self._seen: dict[object, str] = {}
        """Fingerprint by (field function, value): texts, URL tuples, attribute tuples."""

    def _remembered(self, digest: Callable[[Any], str], value: Hashable) -> str:
        key = (digest, value)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = digest(value)
        return found

    def of(self, draft: ListingDraft) -> dict[str, str]:
        return {
            "name": self._remembered(_text_digest, draft.name),
            "description": self._remembered(_text_digest, draft.description),
            "image_urls": self._remembered(_images_digest, draft.image_urls),
            "attributes": self._remembered(_attributes_digest, draft.attributes),
        }
