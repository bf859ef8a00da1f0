"""Benchmark: N products synced to all six sandboxes, with the floors of the same run.

Why this shape: a figure is only worth something next to what it could at best be. So
every scenario is printed as ratios first (to a floor measured in the same run, on the
same machine), then seconds:

- the sandbox runs in its own process on loopback, so CPU and RSS are ocopsync's own
  (``--in-process`` keeps the old single-process mode, through httpx.ASGITransport: the
  scenarios then run in this process, their CPU and RSS include the emulators, and the
  sandbox's own CPU column reads 0);
- each scenario runs ``ocopsync.sync.run`` in a fresh worker process, so its CPU
  (user+sys of the run) and peak RSS are the sync's alone, not the orchestrator's;
- every answer is delayed by ``--latency-ms`` (default 20 ms, a realistic round trip to a
  marketplace), since a real no-op is bound by round trips, not by loopback;
- the raw page-download floor replays exactly the requests the no-op sent (recorded by
  the worker), connection by connection at the same concurrency (``--fetch-concurrency``
  lanes where the platform pages by number or offset, one elsewhere), with httpx and a
  JSON decode only: no-op wall / floor wall is what ocopsync adds to the network;
- the throttled scenarios set every shop's quota (sandbox) and rate (client) to
  ``--quota`` requests/s, and compare each connection's time with the minimum-call bound
  at that quota (the platform's page and batch sizes make those calls unavoidable);
- the naive baseline (``benchmarks/naive_sync.py``: one GET by SKU per product, one
  write per change) runs in the same process tree against the same sandbox, on a 10%
  drift of its own, so ``naive / ocopsync`` is measured, not guessed.

Run:

    python benchmarks/bench_sync.py --products 3000           # about 4 minutes on 2 cores
    python benchmarks/bench_sync.py --products 17316 --json   # the national catalog
    python benchmarks/bench_sync.py --products 120 --latency-ms 0 --no-naive --json

A figure-printing script, not a test (tests/test_demo_and_bench.py runs it small).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
ROOT_DIR = BENCH_DIR.parent
for _path in (BENCH_DIR, ROOT_DIR):  # run as a script from anywhere: this tree's ocopsync
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

NATIONAL_COUNT = 17_316
IN_PROCESS_ROOT = "http://bench"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the sandbox, in its own process or in this one ------------------------------------


def place_orders(sandbox: Any, seed: int) -> int:
    """Buyers order 2% of each shop's live listings, one unit each, between two runs."""
    rng = random.Random(seed)
    placed = 0
    for emulator in sandbox.platforms.values():
        items = [i for i in emulator.shop.visible() if i.status == "live" and i.stock > 0]
        for item in rng.sample(items, k=max(1, len(items) // 50)):
            emulator.place_order([(item.sku, 1)])
            placed += 1
    return placed


def control(sandbox: Any, command: str, body: dict[str, Any], root: str) -> Any:
    """The benchmark's own commands to the sandbox (not a platform API): one place for
    both modes, so the in-process and the served sandbox are driven the same way."""
    from ocopsync.sandbox.faults import Faults

    if command == "describe":
        return sandbox.describe(root)
    if command == "listed":
        return {n: len(p.shop.visible()) for n, p in sandbox.platforms.items()}
    if command == "quota":
        for p in sandbox.platforms.values():
            p.quota.rate = float(body["rate"])
            p.quota.burst = int(body.get("burst") or max(1, int(body["rate"])))
            p.quota._buckets.clear()
        return {"ok": True}
    if command == "faults":
        sandbox.set_faults(Faults.from_mapping(body))
        return {"ok": True}
    if command == "orders":
        return {"placed": place_orders(sandbox, int(body.get("seed", 5)))}
    if command == "usage":
        return {"cpu_s": cpu_s(), "peak_rss_mib": peak_rss_mib()}
    raise ValueError(command)


def serve_sandbox(port: int) -> None:
    """The sandbox process: every platform plus ``/_bench/{command}`` for the driver."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Mount, Route

    from ocopsync.sandbox import PLATFORM_MODULES, build_sandbox
    from ocopsync.serve import serve_foreground

    sandbox = build_sandbox(list(PLATFORM_MODULES))
    root = f"http://127.0.0.1:{port}"

    async def command(request: Request) -> Response:
        body = await request.json() if request.method == "POST" else {}
        return JSONResponse(control(sandbox, request.path_params["command"], body, root))

    app = Starlette(
        routes=[
            Route("/_bench/{command}", command, methods=["GET", "POST"]),
            Mount("/", app=sandbox.app),
        ]
    )
    serve_foreground(app, "127.0.0.1", port, access_log=False)


class SandboxHandle:
    """The driver's side of the sandbox: served in a child process, or in-process."""

    def __init__(self, in_process: bool) -> None:
        self.in_process = in_process
        self.proc: subprocess.Popen[bytes] | None = None
        self.sandbox: Any = None
        if in_process:
            from ocopsync.sandbox import PLATFORM_MODULES, build_sandbox

            self.sandbox = build_sandbox(list(PLATFORM_MODULES))
            self.root = IN_PROCESS_ROOT
            return
        from ocopsync.serve import free_port

        port = free_port()
        self.root = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-sandbox", str(port)], stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.root}/_bench/listed", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.1)

    def __call__(self, command: str, body: dict[str, Any] | None = None) -> Any:
        if self.sandbox is not None:
            return control(self.sandbox, command, body or {}, self.root)
        answer = httpx.post(f"{self.root}/_bench/{command}", json=body or {}, timeout=600)
        answer.raise_for_status()
        return answer.json()

    def transport(self) -> httpx.AsyncBaseTransport | None:
        return self.sandbox.transport() if self.sandbox is not None else None

    def close(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- what a worker records ---------------------------------------------------------------


@dataclass
class Recorded:
    """One request as sent, enough to send it again, and what came back when."""

    connection: str
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: str
    status: int
    sent_at: float
    done_at: float


@dataclass
class Recorder:
    """Which connection each request belongs to (by the platform's path prefix)."""

    prefixes: dict[str, str]
    started: float = field(default_factory=time.perf_counter)
    requests: list[Recorded] = field(default_factory=list)

    def connection_of(self, path: str) -> str:
        for prefix, name in self.prefixes.items():
            if path.startswith(prefix):
                return name
        return "?"


class RecordingTransport(httpx.AsyncBaseTransport):
    """Wraps the real transport; keeps every request (replayed by the download floor).

    Over loopback, each connection gets a connection pool of its own, as each connector's
    client has in real use: one pool shared by six connections made httpcore scan every
    pooled connection of all six on each request, a cost no real run pays.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport | None, recorder: Recorder) -> None:
        self.inner, self.recorder = inner, recorder
        self.pools: dict[str, httpx.AsyncBaseTransport] = {}

    def _transport_for(self, connection: str) -> httpx.AsyncBaseTransport:
        if self.inner is not None:
            return self.inner
        if connection not in self.pools:
            self.pools[connection] = httpx.AsyncHTTPTransport()
        return self.pools[connection]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.perf_counter()
        body = request.content if request.stream is not None else b""
        connection = self.recorder.connection_of(request.url.path)
        response = await self._transport_for(connection).handle_async_request(request)
        self.recorder.requests.append(
            Recorded(
                connection,
                request.method,
                str(request.url),
                [(k, v) for k, v in request.headers.items() if k.lower() != "content-length"],
                body.decode("latin-1"),
                response.status_code,
                sent - self.recorder.started,
                time.perf_counter() - self.recorder.started,
            )
        )
        return response

    async def aclose(self) -> None:
        for transport in [*self.pools.values(), *([self.inner] if self.inner else [])]:
            await transport.aclose()


def settings_from(job: dict[str, Any]) -> Any:
    from ocopsync.config import ConnectionSettings, Settings

    return Settings(
        database_url=job["db"],
        connections=tuple(ConnectionSettings(**c) for c in job["connections"]),
    )


def prefixes_of(job: dict[str, Any]) -> dict[str, str]:
    return {httpx.URL(c["base_url"]).path: c["name"] for c in job["connections"]}


def pages_ahead(platform: str) -> bool:
    """Whether ocopsync reads this platform's listing pages several at once (the
    floor then replays that connection's requests in as many lanes)."""
    from ocopsync.connectors.registry import connector_class

    return connector_class(platform).capabilities.pages_ahead


def worker_transport(
    handle_transport: httpx.AsyncBaseTransport | None, recorder: Recorder
) -> RecordingTransport:
    return RecordingTransport(handle_transport, recorder)


async def worker_sync(
    job: dict[str, Any], transport: httpx.AsyncBaseTransport | None
) -> dict[str, Any]:
    """One ``ocopsync.sync.run``: its CPU, wall, RSS and every request it sent."""
    import ocopsync.apply as apply_module
    from ocopsync.models import make_engine
    from ocopsync.sync import Harness, SyncRequest, run

    settings = settings_from(job)
    recorder = Recorder(prefixes_of(job))
    verify_requests: Counter[str] = Counter()
    original_verify = apply_module.ConnectionApplier._verify

    async def counted_verify(self: Any) -> None:  # read-back's own cost, per connection
        http = getattr(self.connector, "http", None)
        before = getattr(http, "requests_sent", 0)
        try:
            await original_verify(self)
        finally:
            verify_requests[self.plan.connection] += getattr(http, "requests_sent", 0) - before

    apply_module.ConnectionApplier._verify = counted_verify  # type: ignore[method-assign]
    engine = make_engine(job["db"])
    harness = Harness(transport=worker_transport(transport, recorder), retry_wait_scale=0)
    profiler = cProfile.Profile() if job.get("profile") else None
    cpu_before, started = cpu_s(), time.perf_counter()
    recorder.started = started
    try:
        if profiler is not None:
            profiler.enable()
        result = await run(
            engine,
            settings,
            SyncRequest(today=date.fromisoformat(job["today"]), trigger="bench"),
            harness,
        )
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(job["profile"])
        apply_module.ConnectionApplier._verify = original_verify  # type: ignore[method-assign]
    wall = time.perf_counter() - started
    cpu = cpu_s() - cpu_before
    engine.dispose()
    if job.get("record"):
        saved = json.dumps([r.__dict__ for r in recorder.requests])
        Path(job["record"]).write_text(saved, encoding="utf-8")  # noqa: ASYNC240
    actions: dict[str, Counter[str]] = defaultdict(Counter)
    for plan in result.plans:
        for op in plan.operations:
            actions[plan.connection][op.action.value] += 1
    last_done: dict[str, float] = defaultdict(float)
    status_429: Counter[str] = Counter()
    for r in recorder.requests:
        last_done[r.connection] = max(last_done[r.connection], r.done_at)
        if r.status == 429:
            status_429[r.connection] += 1
    return {
        "status": result.status,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": peak_rss_mib(),
        "phases_s": {k: round(v, 2) for k, v in result.phases.items()},
        "applied": result.applied,
        "failed": result.failed,
        "skipped": result.skipped,
        "connections": {
            c["connection"]: {
                "requests": c.get("requests", 0),
                "order_requests": c.get("order_requests", 0),
                "order_lines": c.get("order_lines", 0),
                "orders_read": c.get("sales_from") == "orders" and c.get("order_requests", 0) > 0,
                "verify_requests": verify_requests.get(c["connection"], 0),
                "responses_429": status_429.get(c["connection"], 0),
                "elapsed_s": last_done.get(c["connection"], 0.0),
                "actions": dict(actions.get(c["connection"], {})),
            }
            for c in result.connections
        },
    }


async def worker_floor(
    job: dict[str, Any], transport: httpx.AsyncBaseTransport | None
) -> dict[str, Any]:
    """Send exactly the recorded requests again, connections at once: per connection in
    as many lanes as the no-op had pages in flight (``--fetch-concurrency`` where the
    platform's paging allows it, else one after the other); decode each answer's JSON,
    nothing else."""
    recorded = json.loads(Path(job["replay"]).read_text(encoding="utf-8"))  # noqa: ASYNC240
    by_conn: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in recorded:
        by_conn[r["connection"]].append(r)
    ahead = max(1, int(job.get("concurrency", 1)))
    lanes = {c["name"]: ahead if pages_ahead(c["platform"]) else 1 for c in job["connections"]}

    async def one_connection(requests: list[dict[str, Any]]) -> int:
        concurrency = lanes.get(requests[0]["connection"], 1)
        decoded = 0
        async with httpx.AsyncClient(transport=transport or httpx.AsyncHTTPTransport()) as client:
            queue = list(reversed(requests))

            async def lane() -> None:
                nonlocal decoded
                while queue:
                    r = queue.pop()
                    answer = await client.request(
                        r["method"],
                        r["url"],
                        headers=r["headers"],
                        content=r["body"].encode("latin-1") or None,
                    )
                    if answer.headers.get("content-type", "").startswith("application/json"):
                        json.loads(answer.content)
                        decoded += 1

            await asyncio.gather(*(lane() for _ in range(concurrency)))
        return decoded

    cpu_before, started = cpu_s(), time.perf_counter()
    decoded = await asyncio.gather(*(one_connection(rs) for rs in by_conn.values()))
    return {
        "wall_s": time.perf_counter() - started,
        "cpu_s": cpu_s() - cpu_before,
        "requests": len(recorded),
        "decoded": sum(decoded),
        "peak_rss_mib": peak_rss_mib(),
    }


async def worker_naive(
    job: dict[str, Any], transport: httpx.AsyncBaseTransport | None
) -> dict[str, Any]:
    from naive_sync import naive_sync

    recorder = Recorder(prefixes_of(job))
    cpu_before, started = cpu_s(), time.perf_counter()
    out: dict[str, Any] = await naive_sync(
        settings_from(job), job["db"], worker_transport(transport, recorder)
    )
    out.update(wall_s=time.perf_counter() - started, cpu_s=cpu_s() - cpu_before)
    out["requests"] = len(recorder.requests)
    out["peak_rss_mib"] = peak_rss_mib()
    return out


WORKERS = {"sync": worker_sync, "floor": worker_floor, "naive": worker_naive}


def run_worker(kind: str, job_path: str) -> None:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    print(json.dumps(asyncio.run(WORKERS[kind](job, None))))


# --- the driver -----------------------------------------------------------------------


@dataclass
class Bench:
    args: argparse.Namespace
    handle: SandboxHandle
    tmp: Path
    db: str
    today: date
    connections: list[dict[str, Any]] = field(default_factory=list)
    jobs: int = 0
    profiled: list[str] = field(default_factory=list)

    def configure(self, rate: float) -> None:
        """Connection settings at a client rate (0: unlimited), from the sandbox's own
        description (base URL, credentials, options)."""
        self.connections = [
            {
                "name": f"bench-{d['platform']}",
                "platform": d["platform"],
                "base_url": d["base_url"],
                "credentials": d["credentials"],
                "options": {
                    **d["options"],
                    "rate_limit_per_s": rate,
                    "fetch_in_flight": self.args.fetch_concurrency,
                },
            }
            for d in self.handle("describe")
        ]

    def job(self, kind: str, **extra: Any) -> dict[str, Any]:
        job = {
            "db": self.db,
            "today": self.today.isoformat(),
            "connections": self.connections,
            **extra,
        }
        if self.handle.in_process:
            out: dict[str, Any] = asyncio.run(WORKERS[kind](job, self.handle.transport()))
            return out
        self.jobs += 1
        path = self.tmp / f"job-{self.jobs}.json"
        path.write_text(json.dumps(job), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, __file__, "--worker", kind, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise RuntimeError(f"the {kind} worker failed (exit {done.returncode})")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    def sandbox_cpu(self) -> float:
        """The sandbox process's CPU so far; 0 in-process, where it is the sync's own."""
        if self.handle.in_process:
            return 0.0
        return float(self.handle("usage")["cpu_s"])


def minimum_requests(
    caps: Any, listed: int, actions: dict[str, int], orders_read: bool
) -> dict[str, int]:
    """Requests one connection cannot do without: its listing pages, one per create, the
    price and stock writes in the platform's batch sizes, one orders page when orders
    are read; and, as its own line, one read-back per ``read_batch`` listings written."""
    written = actions.get("update_price", 0) + actions.get("update_stock", 0)
    status = actions.get("unlist", 0) + actions.get("relist", 0)
    pages = max(1, math.ceil(listed / caps.page_size))
    writes = (
        actions.get("create", 0)
        + math.ceil(actions.get("update_price", 0) / caps.price_batch)
        + math.ceil(actions.get("update_stock", 0) / caps.stock_batch)
        + math.ceil(status / max(1, caps.status_batch))
    )
    read_back = math.ceil((written + status) / caps.read_batch) if caps.read_batch else 0
    return {
        "pages": pages,
        "writes": writes,
        "orders": 1 if orders_read else 0,
        "read_back": read_back,
    }


def summarise(
    label: str,
    out: dict[str, Any],
    listed: dict[str, int],
    quota: float,
    sandbox_cpu: float,
    latency_s: float,
) -> dict[str, Any]:
    from ocopsync.connectors.registry import connector_class

    per: dict[str, Any] = {}
    total_min = 0
    bound_s = 0.0
    for name, c in out["connections"].items():
        platform = name.removeprefix("bench-")
        caps = connector_class(platform).capabilities
        floor = minimum_requests(caps, listed.get(platform, 0), c["actions"], c["orders_read"])
        minimum = floor["pages"] + floor["writes"] + floor["orders"]
        total_min += minimum
        # The fastest this connection could go: its unavoidable calls at the quota, and
        # never faster than one round trip each when sent one after the other.
        at_quota = minimum / quota if quota > 0 else 0.0
        bound = max(at_quota, latency_s)
        bound_s = max(bound_s, bound)
        per[name] = {
            **c,
            "minimum": minimum,
            "minimum_read_back": floor["read_back"],
            "bound_s": round(bound, 3),
            "ratio_to_bound": round(c["elapsed_s"] / bound, 2) if quota > 0 and bound else None,
        }
    requests = sum(c["requests"] for c in out["connections"].values())
    return {
        "scenario": label,
        "status": out["status"],
        "applied": out["applied"],
        "failed": out["failed"],
        "skipped": out["skipped"],
        "wall_s": round(out["wall_s"], 2),
        "cpu_s": round(out["cpu_s"], 2),
        "sandbox_cpu_s": round(sandbox_cpu, 2),
        "peak_rss_mib": round(out["peak_rss_mib"], 1),
        "phases_s": out.get("phases_s", {}),
        "requests": requests,
        "minimum_requests": total_min,
        "responses_429": sum(c["responses_429"] for c in out["connections"].values()),
        "order_requests": sum(c["order_requests"] for c in out["connections"].values()),
        "verify_requests": sum(c["verify_requests"] for c in out["connections"].values()),
        "quota_per_s": quota,
        "bound_s": round(bound_s, 3) if quota > 0 else None,
        "ratio_to_bound": round(out["wall_s"] / bound_s, 2) if quota > 0 and bound_s else None,
        "per_connection": per,
    }


def change_ten_percent(db: str, seed: int) -> int:
    """A tenth of the catalog gets a new price and five more units (as an import would)."""
    from sqlmodel import Session, select

    from ocopsync.models import Product, make_engine

    engine = make_engine(db)
    rng = random.Random(seed)
    with Session(engine) as session:
        products = list(session.exec(select(Product)))
        chosen = rng.sample(products, k=max(1, len(products) // 10))
        for p in chosen:
            p.price_vnd += 1000
            p.stock += 5
            session.add(p)
        session.commit()
    engine.dispose()
    return len(chosen)


async def authorize(bench: Bench) -> None:
    """Onboard every OAuth shop with its sandbox's code, as a seller would by hand."""
    from ocopsync.connectors.base import ConnectorContext
    from ocopsync.connectors.registry import connector_class
    from ocopsync.models import make_engine
    from ocopsync.store import DbTokenStore

    engine = make_engine(bench.db)
    codes = {d["platform"]: d["authorization_code"] for d in bench.handle("describe")}
    settings = settings_from({"db": bench.db, "connections": bench.connections})
    for conn in settings.connections:
        if codes.get(conn.platform) is None:
            continue
        ctx = ConnectorContext(
            conn,
            conn.resolved_credentials(),
            token_store=DbTokenStore(engine),
            transport=bench.handle.transport(),
        )
        connector = connector_class(conn.platform)(ctx)
        try:
            await connector.exchange_code(codes[conn.platform])
        finally:
            await connector.aclose()
    engine.dispose()


def measure(bench: Bench, label: str, quota: float = 0.0, **extra: Any) -> dict[str, Any]:
    listed = bench.handle("listed")
    if bench.args.profile:  # one cProfile file per scenario, named after it
        name = "".join(ch if ch.isalnum() else "-" for ch in label).strip("-")
        extra["profile"] = str(Path(bench.args.profile) / f"{len(bench.profiled):02d}-{name}.prof")
        bench.profiled.append(extra["profile"])
    before = bench.sandbox_cpu()
    out = bench.job("sync", **extra)
    return summarise(
        label, out, listed, quota, bench.sandbox_cpu() - before, bench.args.latency_ms / 1000
    )


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    from ocopsync.catalog import import_catalog
    from ocopsync.demo_data import write_sample_catalog
    from ocopsync.models import make_engine

    today = date.today()  # noqa: DTZ011 - the sample catalog is built relative to any day
    with tempfile.TemporaryDirectory(prefix="ocopsync-bench-") as tmp_name:
        tmp = Path(tmp_name)
        catalog = tmp / "catalog.csv"
        write_sample_catalog(catalog, today=today, size=args.products)
        db = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(db)
        import_catalog(engine, catalog)
        engine.dispose()
        handle = SandboxHandle(args.in_process)
        try:
            bench = Bench(args, handle, tmp, db, today)
            faults = json.loads(args.faults) if args.faults else {}
            faults.setdefault("latency_s", args.latency_ms / 1000)
            handle("faults", faults)
            handle("quota", {"rate": 0})  # measure ocopsync first, the quota after
            bench.configure(rate=0)
            asyncio.run(authorize(bench))
            scenarios: list[dict[str, Any]] = []
            scenarios.append(measure(bench, "first sync"))
            record = str(tmp / "noop.json")
            noop = measure(bench, "no-op", record=record)
            floor = bench.job("floor", replay=record, concurrency=args.fetch_concurrency)
            noop["floor_wall_s"] = round(floor["wall_s"], 2)
            noop["floor_cpu_s"] = round(floor["cpu_s"], 2)
            noop["floor_requests"] = floor["requests"]
            noop["ratio_to_floor"] = round(noop["wall_s"] / floor["wall_s"], 2)
            scenarios.append(noop)
            if args.only_noop:
                return document(args, scenarios, None)
            changed = change_ten_percent(db, seed=3)
            scenarios.append(measure(bench, f"10% drift ({changed} products)"))
            placed = handle("orders", {"seed": 5})["placed"]
            scenarios.append(measure(bench, f"orders placed ({placed})"))
            if args.quota > 0:
                handle("quota", {"rate": args.quota})
                bench.configure(rate=args.quota)
                scenarios.append(
                    measure(bench, f"no-op at {args.quota:g}/s per shop", quota=args.quota)
                )
                changed = change_ten_percent(db, seed=11)
                scenarios.append(
                    measure(bench, f"10% drift at {args.quota:g}/s ({changed})", quota=args.quota)
                )
                handle("quota", {"rate": 0})
                bench.configure(rate=0)
            naive: dict[str, Any] | None = None
            if not args.no_naive:
                changed = change_ten_percent(db, seed=17)
                drift = measure(bench, f"10% drift again ({changed})")
                changed = change_ten_percent(db, seed=23)
                before = bench.sandbox_cpu()
                naive = bench.job("naive")
                naive["sandbox_cpu_s"] = round(bench.sandbox_cpu() - before, 2)
                naive["scenario"] = f"naive per-item, 10% drift ({changed})"
                naive["ocopsync_wall_s"] = drift["wall_s"]
                naive["ratio_naive_to_ocopsync"] = round(naive["wall_s"] / drift["wall_s"], 1)
                scenarios.append(drift)
            return document(args, scenarios, naive)
        finally:
            handle.close()


def document(
    args: argparse.Namespace, scenarios: list[dict[str, Any]], naive: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "products": args.products,
        "latency_ms": args.latency_ms,
        "sandbox": "in-process" if args.in_process else "own process",
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "scenarios": scenarios,
        "naive": naive,
    }


def print_table(doc: dict[str, Any]) -> None:
    print(
        f"ocopsync sync benchmark: {doc['products']} products x 6 sandbox platforms, "
        f"sandbox {doc['sandbox']}, {doc['latency_ms']:g} ms per request, {doc['machine']}"
    )
    print("ratios first:")
    for s in doc["scenarios"]:
        parts = [f"requests/minimum {s['requests']}/{s['minimum_requests']}"]
        if "ratio_to_floor" in s:
            parts.insert(0, f"wall/download floor {s['ratio_to_floor']}x")
        if s.get("ratio_to_bound"):
            parts.insert(0, f"wall/bound at quota {s['ratio_to_bound']}x")
            parts.append(f"429s {s['responses_429']}")
        print(f"  {s['scenario']:<34}" + ", ".join(parts))
    naive = doc.get("naive")
    if naive:
        print(
            f"  {'naive per-item / ocopsync (drift)':<34}{naive['ratio_naive_to_ocopsync']}x "
            f"({naive['wall_s']:.1f} s vs {naive['ocopsync_wall_s']:.1f} s; "
            f"{naive['requests']} requests)"
        )
    print(
        f"{'scenario':<34}{'wall s':>8}{'cpu s':>7}{'RSS MiB':>9}{'applied':>9}{'failed':>7}"
        f"{'requests':>9}{'minimum':>8}{'orders':>7}{'readback':>9}{'sandbox cpu':>12}"
    )
    for s in doc["scenarios"]:
        print(
            f"{s['scenario']:<34}{s['wall_s']:>8}{s['cpu_s']:>7}{s['peak_rss_mib']:>9}"
            f"{s['applied']:>9}{s['failed']:>7}{s['requests']:>9}{s['minimum_requests']:>8}"
            f"{s['order_requests']:>7}{s['verify_requests']:>9}{s['sandbox_cpu_s']:>12}"
        )
        if "floor_wall_s" in s:
            print(
                f"{'  raw download floor':<34}{s['floor_wall_s']:>8}{s['floor_cpu_s']:>7}"
                f"{'':>9}{'':>9}{'':>7}{s['floor_requests']:>9}"
            )
    for s in doc["scenarios"]:
        phases = ", ".join(f"{k} {v}" for k, v in s.get("phases_s", {}).items())
        print(f"wall s per step, {s['scenario']}: {phases}")
    for s in doc["scenarios"]:
        if s.get("ratio_to_bound"):
            cells = ", ".join(
                f"{n.removeprefix('bench-')} {c['ratio_to_bound']}x"
                for n, c in s["per_connection"].items()
            )
            print(f"per connection, {s['scenario']}: {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=NATIONAL_COUNT)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="delay of every answer")
    parser.add_argument("--quota", type=float, default=50.0, help="requests/s per shop (0: skip)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    parser.add_argument(
        "--in-process", action="store_true", help="sandbox in this process (ASGI transport)"
    )
    parser.add_argument(
        "--fetch-concurrency",
        type=int,
        default=4,
        help="listing pages in flight per shop where paging allows it (options.fetch_in_flight"
        "; the download floor replays those connections in as many lanes)",
    )
    parser.add_argument(
        "--faults",
        help='sandbox fault injection for every scenario, e.g. \'{"error_rate": 0.05, '
        '"rate_limit_rate": 0.02, "drop_rate": 0.01, "seed": 1}\' (retries count as requests)',
    )
    parser.add_argument(
        "--only-noop", action="store_true", help="stop after the first sync and the no-op"
    )
    parser.add_argument(
        "--profile", metavar="DIR", help="write a cProfile file per scenario into DIR"
    )
    parser.add_argument("--serve-sandbox", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "JOB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sandbox:
        serve_sandbox(args.serve_sandbox)
        return
    if args.worker:
        run_worker(*args.worker)
        return
    doc = run_bench(args)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print_table(doc)
    if any(s["failed"] for s in doc["scenarios"]):
        sys.exit(3)


if __name__ == "__main__":
    main()
