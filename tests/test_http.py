"""The one retry policy and its helpers, with zero-wait retries and no real clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from ocopsync.config import ConnectionSettings
from ocopsync.connectors.base import ConnectorContext, chunked
from ocopsync.connectors.http import PlatformHttp, parse_retry_after
from ocopsync.errors import AuthExpiredError, RejectedError, TransientError, redact


def http(**kw) -> PlatformHttp:
    ctx = ConnectorContext(
        ConnectionSettings("c", "x", "http://x.test"), {}, retry_wait_scale=0, **kw
    )
    return PlatformHttp(ctx, platform="x", rate_limit_per_s=0)


def test_parse_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    now = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("Mon, 23 Nov 2026 12:00:05 GMT", now=now) == 5.0


def test_only_transient_errors_are_retried() -> None:
    calls = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("busy")
        return "ok"

    assert asyncio.run(http().call(flaky)) == "ok" and len(calls) == 3

    calls.clear()

    async def refused() -> str:
        calls.append(1)
        raise RejectedError("no")

    with pytest.raises(RejectedError):
        asyncio.run(http().call(refused))
    assert len(calls) == 1


def test_expired_auth_is_refreshed_once_then_retried() -> None:
    state = {"token": "old", "refreshes": 0}

    async def call() -> str:
        if state["token"] == "old":
            raise AuthExpiredError("expired")
        return state["token"]

    async def refresh() -> None:
        state["refreshes"] += 1
        state["token"] = "new"

    assert asyncio.run(http().call_authed(call, refresh)) == "new"
    assert state["refreshes"] == 1

    async def always_expired() -> str:
        raise AuthExpiredError("still expired")

    with pytest.raises(AuthExpiredError):
        asyncio.run(http().call_authed(always_expired, refresh))
    assert state["refreshes"] == 2, "refresh once per call, never in a loop"


def test_chunked() -> None:
    assert chunked(list(range(5)), 2) == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError):
        chunked([1], 0)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("access_token=abc123def&shop_id=1", "abc123def"),
        ('{"refresh_token": "rt-9f8e7d"}', "rt-9f8e7d"),
        ("Authorization: Bearer eyJhbGciOi.x.y", "eyJhbGciOi"),
        ("partner_key=sandbox-shopee-key", "sandbox-shopee-key"),
    ],
)
def test_redact_masks_credentials(text: str, secret: str) -> None:
    assert secret not in redact(text)
