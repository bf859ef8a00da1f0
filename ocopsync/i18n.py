"""Translation hook: every user-facing message goes through ``_()``.

Messages are English for now; routing them through one function means a gettext
catalog can be plugged in later without touching the call sites.
"""

from __future__ import annotations


def _(message: str) -> str:
    return message
