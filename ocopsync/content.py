"""Fingerprints of a listing's content, to tell when the catalog changed what we sent.

Pure. Each field (name, description, images, attributes) is fingerprinted on its own,
so the plan can say which field changed and a platform's update call is sent only
what differs. A fingerprint is a short hash: the listing row stores what was sent
without copying every description into the database twice.
"""

from __future__ import annotations

import hashlib

from ocopsync.records import AttributeValue, ListingDraft

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
        "attributes": _attributes_digest(draft.attributes),
    }


def _attributes_digest(attributes: tuple[AttributeValue, ...]) -> str:
    return _digest(*sorted(_SEPARATOR.join((a.key, a.value, a.value_id)) for a in attributes))


class ContentMemo:
    """:func:`content_of` for one run, remembering each field's fingerprint.

    A run fingerprints every product once per connection, and the connections' drafts of
    one product share its name, description and images (only the attributes differ, by
    category), so five of six digests are repeats. Kept per run, not in a module-wide
    cache: a scheduler process would otherwise hold every description it ever saw.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._images: dict[tuple[str, ...], str] = {}
        self._attributes: dict[tuple[AttributeValue, ...], str] = {}

    def _text(self, text: str) -> str:
        found = self._texts.get(text)
        if found is None:
            found = self._texts[text] = _digest(text.strip())
        return found

    def of(self, draft: ListingDraft) -> dict[str, str]:
        images = self._images.get(draft.image_urls)
        if images is None:
            images = self._images[draft.image_urls] = _digest(*draft.image_urls)
        attributes = self._attributes.get(draft.attributes)
        if attributes is None:
            attributes = self._attributes[draft.attributes] = _attributes_digest(draft.attributes)
        return {
            "name": self._text(draft.name),
            "description": self._text(draft.description),
            "image_urls": images,
            "attributes": attributes,
        }
