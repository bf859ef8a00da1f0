"""One exception tree for ocopsync, split by what the caller should do.

::

    OcopsyncError
     ├── ConfigError            the user fixes settings (ocopsync.toml, env vars)      exit 1
     ├── CatalogError           the user fixes data (catalog file, unknown SKU)        exit 1
     │    └── ImportRejected    an import had bad rows; carries every RowError
     ├── LockedError            another run holds this connection                      exit 1
     └── ConnectorError         something a platform said or did; carries platform + code
          ├── TransientError    retry with backoff (timeouts, 5xx, "system busy")
          │    ├── RateLimitedError   wait the hinted delay, then retry
          │    └── UnexpectedAnswerError  an answer we cannot read (HTML, empty, a field
          │                          missing or mistyped): retried, then this connection's error
          ├── AuthExpiredError  refresh the access token, retry once
          ├── RejectedError     the platform refuses this item: record why, move on
          └── FatalConfigError  stop this connection (bad key, bad signature, no permission)

Platform error codes are mapped onto this tree in one table per connector, at the
boundary; nothing above the connectors knows a platform's own codes. Messages and codes
never carry secrets: :class:`ConnectorError` passes both through :func:`redact` when it is
built, and :func:`register_secret` adds the exact values a connector holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ocopsync.i18n import _


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
        return _("row {row}, column {column}, value {value}: {reason}").format(
            row=self.row, column=repr(self.column), value=repr(self.value), reason=self.reason
        )


class ImportRejected(CatalogError):
    """An import refused at least one row, so nothing was changed."""

    def __init__(self, source: str, errors: Iterable[RowError]) -> None:
        self.source = source
        self.errors = list(errors)
        lines = "\n".join(f"  {e}" for e in self.errors)
        head = _("{source}: {count} problem(s), nothing was imported:").format(
            source=source, count=len(self.errors)
        )
        super().__init__(f"{head}\n{lines}")


class LockedError(OcopsyncError):
    """Another run holds the lock of a connection."""


class ConnectorError(OcopsyncError):
    """A platform refused or failed a call. ``code`` is the platform's own code.

    Both ``message`` and ``code`` are redacted at construction: platforms echo request
    parameters (``access_token=...``) into either, and both reach logs, the journal and
    ``--format json``.
    """

    def __init__(self, message: str, *, platform: str = "", code: str = "") -> None:
        self.platform = platform
        self.code = redact(code)
        self.message = redact(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        prefix = f"{self.platform}: " if self.platform else ""
        suffix = f" [{self.code}]" if self.code else ""
        return f"{prefix}{self.message}{suffix}"


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


class UnexpectedAnswerError(TransientError):
    """A platform answered something we cannot read: not JSON, empty, a field missing or of
    the wrong type. Code ``bad_answer``.

    Retried like a failed call, because the usual causes pass (a proxy's error page, a
    body cut short, a platform mid-deploy); after the last attempt it fails this
    connection only. Built by :mod:`ocopsync.connectors.answers`, the one place that
    reads platform answers.
    """

    CODE = "bad_answer"

    def __init__(self, detail: str, *, platform: str = "", call: str = "") -> None:
        self.detail = redact(detail)
        self.call = call
        """``METHOD /path`` of the request answered (never its query: it may hold tokens)."""
        where = f"{call}: " if call else ""
        message = _("unexpected answer from {platform}: {where}{detail}").format(
            platform=platform or "the platform", where=where, detail=self.detail
        )
        super().__init__(message, platform=platform, code=self.CODE)

    def __str__(self) -> str:
        # The message names the platform already, and the code adds nothing to it.
        return self.message

    def at(self, call: str) -> UnexpectedAnswerError:
        """The same error, naming the request it answered (when the reader did not know it)."""
        return UnexpectedAnswerError(self.detail, platform=self.platform, call=call)


class AuthExpiredError(ConnectorError):
    """The access token expired or was revoked: refresh it, then retry once."""


class RejectedError(ConnectorError):
    """The platform refuses this one item (validation, duplicate, not found)."""


class FatalConfigError(ConnectorError):
    """This connection cannot work until its settings change (key, signature, scope)."""


_SEPARATOR = r"[\"']?\s*(?:[:=]|%3[dD])\s*[\"']?"
_SECRET_PATTERNS = [
    re.compile(
        r"(?i)((?:access_token|refresh_token|token|secret_key|secret|partner_key|client_secret|"
        r"app_secret|api_key|shop_key|password|sign|authorization)"
        + _SEPARATOR
        + r"(?:bearer\s+)?)"
        r"([^\s\"'&,}]+)"
    ),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{6,})"),
]
MASK = "***"
MIN_SECRET_LENGTH = 6
"""Shorter values are not masked by value: masking "1" would garble every number."""
_known_secrets: set[str] = set()
_longest_first: tuple[str, ...] = ()


def register_secret(value: str) -> None:
    """Mask ``value`` wherever it appears in any later message, whatever surrounds it.

    The patterns below only catch ``key=value`` shapes; a platform that echoes a bare
    token ("token abc123 expired") is caught here, since every connector registers its
    credentials and each token it loads or receives. Process-wide on purpose: a secret
    known to this process must not be printed by any part of it.
    """
    global _longest_first
    if len(value) >= MIN_SECRET_LENGTH and value not in _known_secrets:
        _known_secrets.add(value)
        _longest_first = tuple(sorted(_known_secrets, key=len, reverse=True))


def redact(text: str) -> str:
    """Mask anything that looks like a credential in ``text``, and every registered secret.

    Platforms echo parameters back in error messages and codes; text that reaches a
    log, the journal or ``--format json`` must never carry a key or token.
    """
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def unexpected_failure(what: str, exc: BaseException) -> str:
    """One line for an exception nobody planned for (a bug here or in a third-party
    connector), as a connection's error: redacted, since it is printed and stored; the
    traceback is for ``--debug``."""
    return _("{what}: unexpected {kind}: {error} (--debug shows the traceback)").format(
        what=what, kind=type(exc).__name__, error=redact(str(exc))
    )


def run_stopped(exc: BaseException) -> str:
    """What a run summary says stopped the run (redacted: it is stored)."""
    if isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "CancelledError":
        return _("the run was interrupted")
    return _("the run stopped on an unexpected error: {kind}: {error}").format(
        kind=type(exc).__name__, error=redact(str(exc))
    )
