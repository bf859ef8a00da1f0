"""Sendo's bearer token and the one way a call is made with it.

Sendo has no OAuth and no refresh token (facts §2): ``POST /login`` with the shop's keys
answers a token for 8 hours, saved in the token store so that the next run or cron job
reuses it until :data:`RENEW_BEFORE` its end; a call whose token is refused logs in
again, once, and is retried. Kept apart from :mod:`ocopsync.connectors.sendo` so the
connector only sequences product and order calls; whether a token is still good and
what a login answered are pure functions, tested without HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from ocopsync.connectors.answers import Answer
from ocopsync.connectors.base import ConnectorContext, Tokens
from ocopsync.connectors.http import PlatformHttp
from ocopsync.connectors.sendo_payloads import PLATFORM, parse_expires, unwrap
from ocopsync.i18n import _

LOGIN = "/login"
RENEW_BEFORE = timedelta(minutes=5)
T = TypeVar("T")


def usable(tokens: Tokens | None, now: datetime) -> bool:
    """Whether a token can still be sent: not empty, and not within RENEW_BEFORE of its end."""
    if tokens is None or not tokens.access_token:
        return False
    expires = tokens.access_expires_at
    if expires is None:
        return True
    if expires.tzinfo is None:  # stores such as SQLite hand back naive UTC
        expires = expires.replace(tzinfo=UTC)
    return expires - now > RENEW_BEFORE


def login_tokens(result: Answer, now: datetime) -> Tokens:
    """Our record of a login's ``result``: its token (never empty) and when it expires."""
    token = result.text("token")
    if not token:
        raise result.fail(_("should not be empty"), "token")
    expires = parse_expires(result.get("expires"), now)
    return Tokens(access_token=token, access_expires_at=expires)


class SendoSession:
    """The shop's token, loaded once from the store, renewed by logging in again."""

    def __init__(self, ctx: ConnectorContext, http: PlatformHttp, keys: dict[str, str]) -> None:
        self.ctx = ctx
        self.http = http
        self._keys = keys
        self.tokens: Tokens | None = None
        self._loaded = False
        self._login_lock = asyncio.Lock()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.http.now(), tz=UTC)

    def _current(self) -> str:
        return self.tokens.access_token if self.tokens else ""

    async def _token(self) -> str:
        if not self._loaded:
            self.tokens = self.ctx.token_store.load(self.ctx.settings.name)
            self._loaded = True
        if not usable(self.tokens, self.now()):
            await self.relogin(stale=self._current())
        return self._current()

    async def relogin(self, stale: str | None) -> None:
        """Log in again unless another task already replaced ``stale`` (None: always)."""
        async with self._login_lock:
            if stale is not None and self._current() != stale and usable(self.tokens, self.now()):
                return
            self.tokens = await self._login()
            self.ctx.token_store.save(self.ctx.settings.name, PLATFORM, self.tokens)

    async def _login(self) -> Tokens:
        async def attempt() -> Tokens:
            response = await self.http.send("POST", LOGIN, json=self._keys)
            return login_tokens(unwrap(response, login=True), self.now())

        return await self.http.call(attempt)

    async def request(
        self,
        method: str,
        url: str,
        read: Callable[[Answer], T],
        on_attempt: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> T:
        """``read(result)`` of one call, read inside the attempt so that a malformed
        answer is retried like a failed call."""
        used = await self._token()

        async def attempt() -> T:
            nonlocal used
            used = self._current()
            if on_attempt:
                on_attempt()
            headers = {"Authorization": f"bearer {used}"}
            response = await self.http.send(method, url, headers=headers, **kwargs)
            return read(unwrap(response))

        async def refresh() -> None:
            await self.relogin(stale=used)

        return await self.http.call_authed(attempt, refresh)
