"""One exception tree for ocopsync, split by what the caller should do.

::

    OcopsyncError
     ├── ConfigError            the user fixes settings (ocopsync.toml, env vars)      exit 1
     ├── CatalogError           the user fixes data (catalog file, unknown SKU)        exit 1
     │    └── ImportRejected    an import had bad rows; carries every RowError
     ├── LockedError            another run holds this connection                      exit 1
     └── ConnectorError         something a platform said or did; carries platform + code
          ├── TransientError    retry with backoff (timeouts, 5xx, "system busy")
          │    └── RateLimitedError   wait the hinted delay, then retry
          ├── AuthExpiredError  refresh the access token, retry once
          ├── RejectedError     the platform refuses this item: record why, move on
          └── FatalConfigError  stop this connection (bad key, bad signature, no permission)

Platform error codes are mapped onto this tree in one table per connector, at the
boundary; nothing above the connectors knows a platform's own codes. Messages never
carry secrets: connectors pass platform text through :func:`redact` before raising.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


class OcopsyncError(Exception):
    """Base of every error ocopsync raises on purpose."""

    exit_code = 1


class ConfigError(OcopsyncError):
    """The configuration is wrong or incomplete: the user must fix settings."""


class CatalogError(OcopsyncError):
    """The catalog data is wrong: the user must fix a file or a SKU."""


@dataclass(frozen=True)
class RowError:
    """One reason one row of an import was refused."""

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}, value {self.value!r}: {self.reason}"


class ImportRejected(CatalogError):
    """An import refused at least one row, so nothing was changed."""

    def __init__(self, source: str, errors: Iterable[RowError]) -> None:
        self.source = source
        self.errors = list(errors)
        lines = "\n".join(f"  {e}" for e in self.errors)
        super().__init__(f"{source}: {len(self.errors)} problem(s), nothing was imported:\n{lines}")


class LockedError(OcopsyncError):
    """Another run holds the lock of a connection."""


class ConnectorError(OcopsyncError):
    """A platform refused or failed a call. ``code`` is the platform's own code."""

    def __init__(self, message: str, *, platform: str = "", code: str = "") -> None:
        self.platform = platform
        self.code = code
        self.message = redact(message)
        prefix = f"{platform}: " if platform else ""
        suffix = f" [{code}]" if code else ""
        super().__init__(f"{prefix}{self.message}{suffix}")


class TransientError(ConnectorError):
    """Worth retrying: the same call may succeed later."""


class RateLimitedError(TransientError):
    """The platform asked us to slow down; ``retry_after`` is its hint in seconds."""

    def __init__(
        self,
        message: str,
        *,
        platform: str = "",
        code: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, platform=platform, code=code)
        self.retry_after = retry_after


class AuthExpiredError(ConnectorError):
    """The access token expired or was revoked: refresh it, then retry once."""


class RejectedError(ConnectorError):
    """The platform refuses this one item (validation, duplicate, not found)."""


class FatalConfigError(ConnectorError):
    """This connection cannot work until its settings change (key, signature, scope)."""


_SECRET_PATTERNS = [
    re.compile(
        r"(?i)((?:access_token|refresh_token|token|secret_key|secret|partner_key|"
        r"app_secret|api_key|shop_key|sign|authorization)[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)"
        r"([^\s\"'&,}]+)"
    ),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{6,})"),
]


def redact(text: str) -> str:
    """Mask anything that looks like a credential in ``text``.

    Platforms echo parameters back in error messages; a message that reaches a log,
    the journal or ``--format json`` must never carry a key or token.
    """
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text
