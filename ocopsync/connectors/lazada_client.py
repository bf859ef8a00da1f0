"""The LazOP client under the Lazada connector: signed calls, tokens and their refresh.

Every call carries ``app_key``, ``timestamp`` (epoch ms), ``sign_method=sha256`` and, for
seller APIs, ``access_token``, signed with HMAC-SHA256 over the API path and the sorted
parameters (§2.3 of ``shared/platforms/lazada.md``). GET sends them in the query, POST
as form fields (§1). Sellers authorize the app on ``auth.lazada.com`` (OAuth code,
§2.1); tokens come from ``/auth/token/create`` and are renewed with
``/auth/token/refresh`` (§2.2). Errors are a 200 body ``{type, code, message}`` mapped
by one table in :mod:`.lazada_payloads`. Kept apart from the contract
(:mod:`.lazada`) so that module reads as what the connector does, not how it signs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import TypeVar

import httpx

from ocopsync.connectors import lazada_payloads as lp
from ocopsync.connectors.answers import Answer, decoded
from ocopsync.connectors.base import ConnectorContext, Tokens
from ocopsync.connectors.http import HttpConnector
from ocopsync.errors import FatalConfigError

PLATFORM = lp.PLATFORM

T = TypeVar("T")
Parse = Callable[[Answer], T]
Files = Mapping[str, tuple[str, bytes, str]]
"""Multipart files: name -> (file name, bytes, content type)."""


def read_body(response: httpx.Response) -> Answer:
    """The JSON envelope of an answer. A 4xx that is not one means a wrong base_url or
    auth_url; a 2xx that is not one (HTML, empty, not an object) is an unexpected answer."""
    if response.status_code >= 400 and not isinstance(decoded(response), dict):
        raise FatalConfigError(
            f"unexpected HTTP {response.status_code}: check base_url and auth_url",
            platform=PLATFORM,
            code=str(response.status_code),
        )
    body = Answer.of(response, PLATFORM)
    body.mapping()
    return body


class LazadaClient(HttpConnector):
    """Credentials, tokens and the three kinds of call: seller, auth server, public."""

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.app_key = ctx.credentials.get("app_key", "")
        self._secret = ctx.credentials.get("app_secret", "")
        if not self.app_key or not self._secret:
            raise FatalConfigError(
                "credentials.app_key and credentials.app_secret are required", platform=PLATFORM
            )
        options = ctx.settings.options
        self.auth_url = str(options.get("auth_url") or lp.DEFAULT_AUTH_URL).rstrip("/")
        self._start_http(ctx)
        self._tokens: Tokens | None = None
        self._refresh_lock = asyncio.Lock()

    # -- tokens ----------------------------------------------------------------------
    def authorization_url(self, redirect_url: str) -> str:
        return lp.authorization_url(self.auth_url, self.app_key, redirect_url)

    async def exchange_code(self, code: str, **extra: str) -> Tokens:
        tokens = await self._auth_call("/auth/token/create", {"code": code}, self._tokens_of)
        return self._save(tokens)

    def _tokens_of(self, body: Answer) -> Tokens:
        return lp.tokens_from_body(body, self.http.now())

    def _stored(self) -> Tokens | None:
        if self._tokens is None:
            self._tokens = self.ctx.token_store.load(self.ctx.settings.name)
        return self._tokens

    def _require_tokens(self) -> Tokens:
        tokens = self._stored()
        if tokens is None:
            raise FatalConfigError(
                f"connection {self.ctx.settings.name!r} is not authorized yet: "
                "send the seller to the authorization URL and exchange the code",
                platform=PLATFORM,
            )
        return tokens

    def _save(self, tokens: Tokens) -> Tokens:
        self._tokens = tokens
        self.ctx.token_store.save(self.ctx.settings.name, PLATFORM, tokens)
        return tokens

    def _expired(self, when: datetime | None) -> bool:
        return when is not None and when.timestamp() <= self.http.now()

    async def _refresh(self, stale: str | None) -> None:
        async with self._refresh_lock:
            tokens = self._require_tokens()
            if stale is not None and tokens.access_token != stale:
                return  # another call refreshed while this one waited
            if not tokens.refresh_token or self._expired(tokens.refresh_expires_at):
                raise FatalConfigError(
                    "the refresh token has expired: the seller must authorize the app again",
                    platform=PLATFORM,
                    code="IllegalRefreshToken",
                )
            renewed = await self._auth_call(
                "/auth/token/refresh", {"refresh_token": tokens.refresh_token}, self._tokens_of
            )
            self._save(
                Tokens(
                    renewed.access_token,
                    renewed.refresh_token,
                    renewed.access_expires_at,
                    renewed.refresh_expires_at,
                    {**tokens.extra, **renewed.extra},
                )
            )

    # -- requests --------------------------------------------------------------------
    def _now_ms(self) -> int:
        return int(self.http.now() * 1000)

    async def _send(
        self,
        method: str,
        url: str,
        params: dict[str, str],
        accept: Collection[str],
        files: Files | None = None,
    ) -> Answer:
        if method == "GET":
            response = await self.http.send("GET", url, params=params)
        elif files:  # multipart: the form fields are signed, the file is not (§2.3)
            response = await self.http.send("POST", url, data=params, files=dict(files))
        else:
            response = await self.http.send("POST", url, data=params)
        body = read_body(response)
        code = body.scalar_text("code")
        if code == "0" or code in accept:
            return body
        raise lp.error_from_body(body)

    async def _auth_call(self, api: str, business: Mapping[str, str], parse: Parse[T]) -> T:
        async def attempt() -> T:
            params = lp.signed_params(
                api,
                business,
                app_key=self.app_key,
                app_secret=self._secret,
                timestamp_ms=self._now_ms(),
            )
            return parse(await self._send("POST", f"{self.auth_url}{api}", params, ()))

        return await self.http.call(attempt)

    async def _call(
        self,
        method: str,
        api: str,
        business: Mapping[str, str],
        parse: Parse[T],
        accept: Collection[str] = (),
        files: Files | None = None,
    ) -> T:
        """A seller API call: signed per attempt, token refreshed once when it expired, and
        its answer parsed inside the attempt, so a malformed answer is retried too."""
        tokens = self._require_tokens()
        if self._expired(tokens.access_expires_at):
            # known to be stale: refresh now rather than spend a request to learn it
            await self._refresh(tokens.access_token)
        used: list[str] = []

        async def attempt() -> T:
            token = self._require_tokens().access_token
            used.append(token)
            params = lp.signed_params(
                api,
                business,
                app_key=self.app_key,
                app_secret=self._secret,
                timestamp_ms=self._now_ms(),
                access_token=token,
            )
            return parse(await self._send(method, api, params, accept, files))

        async def refresh() -> None:
            await self._refresh(used[-1] if used else None)

        return await self.http.call_authed(attempt, refresh)

    async def _public_call(self, api: str, business: Mapping[str, str], parse: Parse[T]) -> T:
        """A seller-gateway GET that needs no access token (GetCategoryTree), retried."""

        async def attempt() -> T:
            params = lp.signed_params(
                api,
                business,
                app_key=self.app_key,
                app_secret=self._secret,
                timestamp_ms=self._now_ms(),
            )
            return parse(await self._send("GET", api, params, ()))

        return await self.http.call(attempt)
