"""Benchmark: governed MCP tool calls through the real SDK client, over stdio and streamable HTTP.

Each call goes the whole way: client -> transport -> principal -> rate limit -> policy -> handler ->
token budget -> one hash-chained audit entry -> answer. The tool is `audit_log` (it needs no graph, and
reads the log it writes), called by a governance principal; a denied call is timed too.

    python bench/mcp_roundtrip.py [--calls 300] [--transport stdio http] [--audit-url postgresql://...]

Prints p50/p95 per transport and writes bench/results/mcp_roundtrip.json (mcp_roundtrip_postgresql.json
with --audit-url). Target: p95 <= 50 ms for a
call that does no graph work (the cost of governance and transport alone), and an unbroken chain after.
"""

import argparse
import hashlib
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import anyio  # noqa: E402
import httpx2  # noqa: E402
import uvicorn  # noqa: E402
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402

from graph_schema.config import Settings  # noqa: E402
from server.governance.audit import open_audit_log  # noqa: E402
from server.runtime import build_runtime  # noqa: E402
from server.transport import build_http_app  # noqa: E402

TARGET_P95_MS = 50.0
STDIO_SERVER = (
    "import anyio; from graph_schema.config import load_settings; from server.runtime import build_runtime; "
    "from server.transport import run_stdio; anyio.run(run_stdio, build_runtime(load_settings()))"
)


def write_policy(home: Path, token: str) -> Path:
    digest = hashlib.sha256(token.encode()).hexdigest()
    path = home / "policy.yaml"
    path.write_text(
        "roles:\n"
        "  local: {tools: [search_assets]}\n"
        "  governance: {tools: [audit_log]}\n"
        f"principals:\n  - {{name: bench, role: governance, token_sha256: {digest}}}\n"
        "local:\n  principals: {bench: governance}\n"
        "rate_limit: {requests_per_minute: 1000000}\n",
        encoding="utf-8",
    )
    return path


async def time_calls(client: Client, calls: int) -> dict[str, float]:
    ok: list[float] = []
    denied: list[float] = []
    for _ in range(5):  # warm-up
        await client.call_tool("audit_log", {"limit": 10})
    for _ in range(calls):
        started = time.perf_counter()
        result = await client.call_tool("audit_log", {"limit": 10})
        ok.append((time.perf_counter() - started) * 1000)
        if result.is_error:
            raise RuntimeError(f"audit_log failed: {result.content}")
        started = time.perf_counter()
        await client.call_tool("review_proposal", {"proposal_id": "p", "decision": "approve", "comment": "c"})
        denied.append((time.perf_counter() - started) * 1000)
    return figures(ok, "ok") | figures(denied, "denied")


def figures(samples: list[float], label: str) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        f"{label}_p50_ms": round(statistics.median(ordered), 2),
        f"{label}_p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        f"{label}_mean_ms": round(statistics.fmean(ordered), 2),
    }


def run_stdio(home: Path, env: dict[str, str], calls: int) -> dict[str, float]:
    params = StdioServerParameters(
        command=sys.executable, args=["-c", STDIO_SERVER], env=env | {"DATAGRAPH_PRINCIPAL": "bench"}, cwd=REPO
    )

    async def session() -> dict[str, float]:
        async with Client(params) as client:
            return await time_calls(client, calls)

    return anyio.run(session)


def run_http(settings: Settings, token: str, calls: int) -> dict[str, float]:
    runtime = build_runtime(settings)
    app = build_http_app(runtime, host="127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/mcp"

    async def session() -> dict[str, float]:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            async with Client(streamable_http_client(url, http_client=http)) as client:
                return await time_calls(client, calls)

    try:
        return anyio.run(session)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--transport", nargs="+", choices=["stdio", "http"], default=["stdio", "http"])
    parser.add_argument("--audit-url", default=None, help="PostgreSQL audit log (default: SQLite in a temp home)")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="datagraph-bench-"))
    token = secrets.token_urlsafe(24)
    policy = write_policy(home, token)
    env = {"DATAGRAPH_HOME": str(home), "DATAGRAPH_POLICY": str(policy), "PYTHONPATH": str(REPO)}
    if args.audit_url:
        env["DATAGRAPH_AUDIT_URL"] = args.audit_url
    settings = Settings(home=home, policy=policy, audit_url=args.audit_url)

    results: dict = {
        "benchmark": "mcp_roundtrip",
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()},
        "calls": args.calls,
        "audit_backend": "postgresql" if args.audit_url else "sqlite",
        "transports": {},
    }
    for transport in args.transport:
        started = time.perf_counter()
        numbers = run_stdio(home, env, args.calls) if transport == "stdio" else run_http(settings, token, args.calls)
        numbers["wall_s"] = round(time.perf_counter() - started, 2)
        numbers["target_p95_ms"] = TARGET_P95_MS
        numbers["meets_target"] = numbers["ok_p95_ms"] <= TARGET_P95_MS
        results["transports"][transport] = numbers
        print(
            f"{transport:>5}: ok p50 {numbers['ok_p50_ms']} ms, p95 {numbers['ok_p95_ms']} ms; "
            f"denied p50 {numbers['denied_p50_ms']} ms"
        )

    log = open_audit_log(settings)
    report = log.verify()
    log.close()
    results["audit"] = {"entries": report.checked, "chain_ok": report.ok}
    print(f"audit: {report.checked} entries, chain {'ok' if report.ok else 'BROKEN: ' + str(report.problem)}")

    out = REPO / "bench" / "results" / ("mcp_roundtrip_postgresql.json" if args.audit_url else "mcp_roundtrip.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
