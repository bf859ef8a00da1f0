"""Find connector classes by platform name through the ``ocopsync.connectors`` entry points.

A third party adds a platform by publishing a package with an entry point in that
group; nothing in this repository has to change.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from ocopsync.errors import ConfigError

GROUP = "ocopsync.connectors"


def available_platforms() -> list[str]:
    return sorted({ep.name for ep in entry_points(group=GROUP)})


def connector_class(platform: str) -> Any:
    """The connector class registered for ``platform``; a ConfigError names the known ones."""
    matches = [ep for ep in entry_points(group=GROUP) if ep.name == platform]
    if not matches:
        known = ", ".join(available_platforms()) or "none (is ocopsync installed?)"
        raise ConfigError(f"no connector for platform {platform!r} (available: {known})")
    return matches[0].load()
