"""A dropped connection is a socket closed with no answer, before or after the handler.

Over loopback (uvicorn, as the end-to-end tests and ``sandbox serve`` run it) and
in-process (``SandboxTransport``), a drop must reach the client as a network error,
never an HTTP status; a drop before leaves the platform untouched, a drop after
leaves the change made with only its answer lost.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from ocopsync.sandbox import Sandbox, build_sandbox
from ocopsync.sandbox.faults import Faults
from ocopsync.serve import free_port, serve_in_thread

NETWORK_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError)
PRODUCTS = "/portal/api/v1/products"


def new_product(sku: str) -> dict[str, object]:
    """A create the portal accepts (201) when no fault is drawn."""
    return {
        "sku": sku,
        "name": f"Trà hoa vàng {sku}",
        "group": "beverage",
        "price": 45000,
        "stock": 7,
    }


def auth(sandbox: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sandbox['portal'].credentials()['api_key']}"}


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = build_sandbox(["portal"])
    with serve_in_thread(sandbox.app) as root:
        yield sandbox, root


def test_faults_validate_the_drop_split() -> None:
    with pytest.raises(ValueError, match="drop_after_share"):
        Faults(drop_after_share=1.5)
    assert Faults.from_mapping({"drop_rate": 0.2, "drop_after_share": 0.0}).drop_after_share == 0


def test_the_split_is_seeded_and_keeps_both_kinds() -> None:
    """Half and half by default, on the same requests in every run with the same seed."""

    async def outcomes() -> list[str]:
        sandbox = build_sandbox(["portal"], faults=Faults(drop_rate=0.5, seed=4))
        portal = sandbox["portal"]
        seen = []
        async with httpx.AsyncClient(
            transport=sandbox.transport(), base_url="http://sandbox"
        ) as client:
            for n in range(40):
                sku = f"S{n}"
                try:
                    created = await client.post(
                        PRODUCTS, json=new_product(sku), headers=auth(sandbox)
                    )
                    assert created.status_code == 201, created.text
                    seen.append("answered")
                except httpx.RemoteProtocolError:
                    seen.append("after" if portal.shop.by_sku(sku) else "before")
        assert portal.faults.dropped_after == seen.count("after")
        assert portal.faults.injected["drop"] == seen.count("after") + seen.count("before")
        return seen

    first = asyncio.run(outcomes())
    assert first == asyncio.run(outcomes())
    assert {"answered", "before", "after"} <= set(first)


@pytest.mark.parametrize("after", [False, True], ids=["drop-before", "drop-after"])
def test_loopback_drop_is_a_network_error(served: tuple[Sandbox, str], after: bool) -> None:
    sandbox, root = served
    portal = sandbox["portal"]
    portal.faults.set(Faults(drop_rate=1.0, drop_after_share=1.0 if after else 0.0))
    with httpx.Client(base_url=root, timeout=5) as client:
        with pytest.raises(NETWORK_ERRORS):
            client.post(PRODUCTS, json=new_product("QN-1"), headers=auth(sandbox))
        assert (portal.shop.by_sku("QN-1") is not None) is after
        assert portal.faults.injected["drop"] == 1
        portal.faults.set(Faults())
        # The client's pool recovers: the next request gets a fresh connection.
        listed = client.get(PRODUCTS, params={"sku": "QN-1"}, headers=auth(sandbox))
    assert listed.status_code == 200
    assert listed.json()["total"] == (1 if after else 0)


@pytest.mark.parametrize("share", [0.0, 1.0], ids=["drop-before", "drop-after"])
def test_loopback_drop_sends_not_one_byte(served: tuple[Sandbox, str], share: float) -> None:
    """Below httpx: the socket closes with nothing written, not even a status line."""
    sandbox, root = served
    sandbox["portal"].faults.set(Faults(drop_rate=1.0, drop_after_share=share))
    host, port = root.removeprefix("http://").split(":")
    key = sandbox["portal"].credentials()["api_key"]
    request = f"GET {PRODUCTS} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request.encode())
        received = b""
        try:
            while chunk := sock.recv(4096):
                received += chunk
        except ConnectionResetError:
            pass
    assert received == b""
    assert sandbox["portal"].faults.injected["drop"] == 1


def test_loopback_drop_after_writes_the_stock(served: tuple[Sandbox, str]) -> None:
    """Not only creates: an update dropped after is applied even though no answer came."""
    sandbox, root = served
    portal = sandbox["portal"]
    remote_id = portal.seed("QN-2", "Mật ong", 90000, 5)
    portal.faults.set(Faults(drop_rate=1.0, drop_after_share=1.0))
    with httpx.Client(base_url=root, timeout=5) as client, pytest.raises(NETWORK_ERRORS):
        client.patch(f"{PRODUCTS}/{remote_id}", json={"stock": 42}, headers=auth(sandbox))
    assert portal.snapshot()["QN-2"]["stock"] == 42


@pytest.mark.parametrize("after", [False, True], ids=["drop-before", "drop-after"])
def test_in_process_drop_is_the_same_network_error(after: bool) -> None:
    sandbox = build_sandbox(["portal"])
    portal = sandbox["portal"]
    portal.faults.set(Faults(drop_rate=1.0, drop_after_share=1.0 if after else 0.0))

    async def create() -> None:
        async with httpx.AsyncClient(
            transport=sandbox.transport(), base_url="http://sandbox"
        ) as client:
            await client.post(PRODUCTS, json=new_product("QN-3"), headers=auth(sandbox))

    with pytest.raises(httpx.RemoteProtocolError):
        asyncio.run(create())
    assert (portal.shop.by_sku("QN-3") is not None) is after


def test_sandbox_serve_drops_instead_of_answering_500() -> None:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocopsync",
            "sandbox",
            "serve",
            "--port",
            str(port),
            "--faults",
            json.dumps({"drop_rate": 1.0}),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        wait_for_port(port, proc)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            with pytest.raises(NETWORK_ERRORS):
                client.get(PRODUCTS, headers={"Authorization": "Bearer sandbox-portal-key"})
            # The control endpoints draw no fault: set a drop after, and see it land.
            faults = {"drop_rate": 1.0, "drop_after_share": 1.0}
            assert client.post("/portal/_sandbox/faults", json=faults).status_code == 200
            with pytest.raises(NETWORK_ERRORS):
                client.post(
                    PRODUCTS,
                    json=new_product("QN-4"),
                    headers={"Authorization": "Bearer sandbox-portal-key"},
                )
            assert "QN-4" in client.get("/portal/_sandbox/items").json()
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert b"Internal Server Error" not in stderr
    assert b"Exception in ASGI application" not in stderr


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """Poll until the server accepts connections (bounded, short interval)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"sandbox serve exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"sandbox serve did not open port {port} in {timeout_s}s")
