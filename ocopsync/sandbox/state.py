"""A sandbox kept in a file, so that a restarted sandbox is the same sandbox.

``ocopsync sandbox serve --state FILE`` loads FILE at start when it exists, writes it
shortly after every request (writes are coalesced, at most one per ``delay_s``, and
skipped when nothing changed) and once more at shutdown. A sandbox stopped by Ctrl-C,
SIGTERM or even SIGKILL (after the last write) comes back with the same shops, items,
orders and issued tokens; the tokens ocopsync keeps in its database stay valid, so the
shops it authorized stay authorized. That is what lets the demo's closing hint work
after the demo has exited.

What a platform keeps is its own business (:meth:`SandboxPlatform.dump_state`, extended
by platforms with more state); this module only puts the platforms together in one
JSON document, ``{"format": "ocopsync-sandbox-state", "version": 1, "platforms":
{name: state}}``, written atomically (a temporary file renamed over the old one), so a
crash in the middle of a write leaves the previous state whole.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any

from starlette.types import Receive, Scope, Send

from ocopsync.sandbox import Sandbox

FORMAT = "ocopsync-sandbox-state"
VERSION = 1

logger = logging.getLogger(__name__)


class StateFileError(ValueError):
    """A state file that cannot be read back (not ours, another version, damaged)."""


def dump(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "platforms": {name: p.dump_state() for name, p in sandbox.platforms.items()},
    }


def restore(sandbox: Sandbox, document: Any, source: str = "state") -> None:
    """Put a dumped state back; a platform the document lacks starts empty."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateFileError(f"{source}: not an ocopsync sandbox state file")
    if document.get("version") != VERSION:
        raise StateFileError(
            f"{source}: state version {document.get('version')!r}, this sandbox reads {VERSION}"
        )
    platforms = document.get("platforms")
    if not isinstance(platforms, dict):
        raise StateFileError(f"{source}: no platforms in the state file")
    for name, state in platforms.items():
        if name not in sandbox.platforms:
            continue
        try:
            sandbox[name].load_state(state)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateFileError(f"{source}: the state of {name} is damaged ({exc!r})") from exc


def encode(sandbox: Sandbox) -> str:
    return json.dumps(dump(sandbox), ensure_ascii=False, separators=(",", ":"))


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def save(sandbox: Sandbox, path: Path) -> None:
    write_atomically(path, encode(sandbox))


def load(sandbox: Sandbox, path: Path) -> bool:
    """Restore ``sandbox`` from ``path``; False when there is no such file yet."""
    if not path.exists():
        return False
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StateFileError(f"{path}: cannot be read as JSON ({exc})") from exc
    restore(sandbox, document, str(path))
    return True


class StateKeeper:
    """The sandbox's app, writing the state file soon after every request it serves.

    The write runs on the server's event loop, between requests, so it always sees a
    consistent state; a request that changes nothing costs one serialisation and no
    write. :meth:`save` is called once more when the server has stopped.
    """

    def __init__(self, sandbox: Sandbox, path: Path, *, delay_s: float = 0.2) -> None:
        self.sandbox = sandbox
        self.path = path
        self.delay_s = delay_s
        self._pending: asyncio.TimerHandle | None = None
        self._written: str | None = None

    def load(self) -> bool:
        loaded = load(self.sandbox, self.path)
        if loaded:
            self._written = encode(self.sandbox)
        return loaded

    def save(self) -> None:
        text = encode(self.sandbox)
        if text == self._written:
            return
        try:
            write_atomically(self.path, text)
        except OSError as exc:  # keep serving; the next write may succeed
            logger.warning("could not write the sandbox state to %s: %s", self.path, exc)
            return
        self._written = text

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.sandbox.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and self._pending is None:
                loop = asyncio.get_running_loop()
                self._pending = loop.call_later(self.delay_s, self._flush)

    def _flush(self) -> None:
        self._pending = None
        self.save()
