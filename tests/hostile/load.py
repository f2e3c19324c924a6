"""Many concurrent MCP clients against one `datagraph serve --transport http` while `datagraph ingest dbt`
re-ingests in a loop: what tests/hostile/test_load.py asserts on and bench/load.py reports.

Each client is one MCP session of the real SDK client over streamable HTTP with its own bearer token,
calling a mix of the read tools one call after another. The server's resident memory is sampled from
/proc while the clients run.
"""

import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from graph_schema.config import Settings
from server.governance.audit import open_audit_log
from tests.cli.serve_process import cli_env, http_server_process
from tests.hostile.deploy import (
    INGEST_TIMEOUT_S,
    ShopVersions,
    Step,
    ingest,
    ingest_command,
    new_home,
    token_policy,
)
from tests.server.calls import text_of

CLIENT_PREFIX = "client"
# At rest after warm-up the server holds ~1.1 GB (embedding model, graph snapshot, vector index). Under load
# its extra memory should grow with concurrency, not with the number of calls: up to 40 worker threads with
# their own malloc arenas, 50 sessions' buffers, and for a moment a second snapshot and index while an
# ingest's new one replaces the old (measured +0.2 to +0.55 GB on 2 cores). More than 1 GiB over the resting
# footprint, about double it, means memory held per call or per snapshot: a leak.
RSS_HEADROOM_KB = 1024 * 1024
# Arguments that hold in both versions of the shop (they differ in descriptions only).
MIX: tuple[Step, ...] = (
    ("search_assets", {"query": "orders"}),
    ("get_asset", {"ref": "stg_orders"}),
    ("trace_lineage", {"ref": "fct_orders", "direction": "upstream"}),
    ("impact_analysis", {"ref": "stg_orders", "change": {"type": "drop_column", "column": "order_status"}}),
    ("resolve_metric", {"question": "net revenue"}),
    ("get_asset", {"ref": "dim_customers"}),
    ("search_assets", {"query": "customer payments"}),
    ("trace_lineage", {"ref": "stg_orders", "column": "order_id", "direction": "downstream"}),
    ("recent_changes", {"ref": "fct_orders"}),
    ("resolve_metric", {"question": "average order value"}),
    ("impact_analysis", {"ref": "int_orders_enriched", "change": {"type": "modify_logic"}}),
    ("get_asset", {"ref": "fct_daily_revenue"}),
)


def client_name(index: int) -> str:
    return f"{CLIENT_PREFIX}{index:03d}"


@dataclass
class LoadResult:
    clients: int
    calls_per_client: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def calls(self) -> int:
        return len(self.latencies_ms) + len(self.errors)

    def percentile_ms(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return round(ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))], 1)

    def figures(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "calls_per_client": self.calls_per_client,
            "calls": self.calls,
            "errors": len(self.errors),
            "p50_ms": self.percentile_ms(0.50),
            "p95_ms": self.percentile_ms(0.95),
            "p99_ms": self.percentile_ms(0.99),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else None,
            "wall_s": round(self.wall_s, 1),
            "calls_per_s": round(self.calls / self.wall_s, 1) if self.wall_s else None,
        }


async def _client(url: str, token: str, calls: int, offset: int, result: LoadResult) -> None:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=300) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            for number in range(calls):
                name, arguments = MIX[(offset + number) % len(MIX)]
                started = time.perf_counter()
                try:
                    answer = await client.call_tool(name, arguments)
                except Exception as exc:  # noqa: BLE001 - a transport failure is an error of the run, counted
                    result.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if answer.is_error:
                    result.errors.append(f"{name}: {text_of(answer)[:300]}")
                else:
                    result.latencies_ms.append(elapsed)


def run_clients(clients: list[tuple[str, str]], calls_per_client: int) -> LoadResult:
    """One client per (server URL, token), all at once, each making `calls_per_client` calls of the mix
    (each starting at another place in it); their latencies and errors."""
    result = LoadResult(clients=len(clients), calls_per_client=calls_per_client)

    async def all_clients() -> None:
        async with anyio.create_task_group() as group:
            for index, (url, token) in enumerate(clients):
                group.start_soon(_client, url, token, calls_per_client, index, result)

    started = time.perf_counter()
    anyio.run(all_clients)
    result.wall_s = time.perf_counter() - started
    return result


class RssSampler:
    """The resident set size (VmRSS) of a process, sampled from /proc every `every_s` on a thread."""

    def __init__(self, pid: int, every_s: float = 0.2) -> None:
        self.pid = pid
        self.every_s = every_s
        self.samples_kb: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for process {self.pid}")

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.samples_kb.append(self.rss_kb())
            self._stop.wait(self.every_s)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    @property
    def peak_kb(self) -> int:
        return max(self.samples_kb)


class IngestLoop:
    """`datagraph ingest dbt`, v2 then v1 then v2 ..., `pause_s` apart on a thread until stopped."""

    def __init__(self, shop: ShopVersions, home: Path, pause_s: float) -> None:
        self.shop = shop
        self.home = home
        self.pause_s = pause_s
        self.finished: list[tuple[float, int, str]] = []  # (end time, exit code, stderr tail)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        target = self.shop.v2
        while not self._stop.is_set():
            done = subprocess.run(
                ingest_command(target, self.home), env=cli_env(), cwd=self.home.parent, capture_output=True,
                text=True, timeout=INGEST_TIMEOUT_S, check=False,
            )
            self.finished.append((time.monotonic(), done.returncode, done.stderr[-500:]))
            target = self.shop.other(target)
            self._stop.wait(self.pause_s)

    def __enter__(self) -> "IngestLoop":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=INGEST_TIMEOUT_S)


@dataclass
class LoadRun:
    result: LoadResult
    rss_before_kb: int
    rss_peak_kb: int
    rss_after_kb: int
    ingests: list[tuple[float, int, str]]
    load_window: tuple[float, float]
    audit_entries: int
    audit_ok: bool
    audit_problem: str | None
    entries_by_principal: dict[str, int]
    warm_up_calls: int

    def figures(self) -> dict[str, Any]:
        start, end = self.load_window
        return {
            **self.result.figures(),
            "server_rss_mb": {
                "before": round(self.rss_before_kb / 1024, 1),
                "peak": round(self.rss_peak_kb / 1024, 1),
                "after": round(self.rss_after_kb / 1024, 1),
            },
            "ingests_during_load": sum(1 for end_at, _, _ in self.ingests if start <= end_at <= end),
            "ingest_failures": sum(1 for _, code, _ in self.ingests if code != 0),
            "audit": {
                "entries": self.audit_entries,
                "expected": self.result.calls + self.warm_up_calls,
                "chain_ok": self.audit_ok,
            },
            "rss_headroom_mb": RSS_HEADROOM_KB // 1024,
        }


def run_load(shop: ShopVersions, work: Path, clients: int, calls_per_client: int, ingest_pause_s: float) -> LoadRun:
    """The shop v1 ingested into a fresh home, served over HTTP, and the load run against it with an
    ingest loop going; the audit log is read back and verified after the server stopped."""
    home = new_home(work / "home", shop)
    ingest(shop.v1, home, {})
    roles = {client_name(i): "analyst" for i in range(clients)}
    policy, tokens = token_policy(work, roles)
    ordered = [tokens[client_name(i)] for i in range(clients)]
    with http_server_process(home, work / "serve.log", DATAGRAPH_POLICY=str(policy)) as (url, process):
        # One pass over the mix first: the model and indexes load here, not inside the measured run.
        warm_up = run_clients([(url, ordered[0])], len(MIX))
        assert not warm_up.errors, warm_up.errors[:3]
        with RssSampler(process.pid) as rss:
            before = rss.rss_kb()
            with IngestLoop(shop, home, ingest_pause_s) as ingests:
                started = time.monotonic()
                result = run_clients([(url, token) for token in ordered], calls_per_client)
                window = (started, time.monotonic())
            after = rss.rss_kb()
        peak = rss.peak_kb
    log = open_audit_log(Settings(home=home))
    try:
        report = log.verify()
        by_principal: dict[str, int] = {}
        for entry in log.entries():
            by_principal[entry.principal] = by_principal.get(entry.principal, 0) + 1
    finally:
        log.close()
    return LoadRun(
        result=result, rss_before_kb=before, rss_peak_kb=peak, rss_after_kb=after, ingests=ingests.finished,
        load_window=window, audit_entries=report.checked, audit_ok=report.ok,
        audit_problem=str(report.problem) if report.problem else None, entries_by_principal=by_principal,
        warm_up_calls=warm_up.calls,
    )
