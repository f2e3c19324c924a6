"""Benchmark: many concurrent MCP clients over streamable HTTP on loopback against one `datagraph serve
--transport http`, while `datagraph ingest dbt` commits a new snapshot of the graph every few seconds.

    python bench/load.py [--clients 50] [--calls 200] [--ingest-pause 5]

The shop dbt project is built with real dbt on DuckDB and ingested with the CLI; each client is the real
MCP SDK client with its own bearer token, calling a mix of the read tools (search_assets, get_asset,
trace_lineage, impact_analysis, resolve_metric, recent_changes) one call after another. Prints latency
percentiles, throughput, the server's resident memory (VmRSS, sampled from /proc) and the audit check, and
writes bench/results/load.json. Targets: 0 errors, an audit chain that verifies with exactly one entry per
call, and a server RSS peak within 1 GiB of its resting size.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _results import machine, write_results  # noqa: E402

from datagraph.estate.build import SHOP_PROJECT, build_project  # noqa: E402
from graph_schema.vector.index import EMBEDDING_CACHE_FILE  # noqa: E402
from tests.hostile.deploy import make_shop_versions  # noqa: E402
from tests.hostile.load import RSS_HEADROOM_KB, run_load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--calls", type=int, default=200, help="calls per client")
    parser.add_argument("--ingest-pause", type=float, default=5.0, help="seconds between the loop's ingests")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="datagraph-bench-load-"))
    try:
        started = time.monotonic()
        built = build_project(SHOP_PROJECT, work / "dbt", cache_dir=work / "dbt-cache")
        shop = make_shop_versions(built, work / "versions", work / EMBEDDING_CACHE_FILE)
        print(f"shop built and both versions embedded in {time.monotonic() - started:.0f} s; "
              f"{args.clients} clients x {args.calls} calls ...", flush=True)
        run = run_load(shop, work, args.clients, args.calls, args.ingest_pause)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures = run.figures()
    rss = figures["server_rss_mb"]
    audit = figures["audit"]
    print(f"{figures['calls']} calls in {figures['wall_s']} s ({figures['calls_per_s']} calls/s), "
          f"{figures['errors']} errors, {figures['ingests_during_load']} ingests committed meanwhile")
    print(f"latency: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms")
    print(f"server RSS: {rss['before']} MB at rest, {rss['peak']} MB peak, {rss['after']} MB after")
    print(f"audit: {audit['entries']} entries (expected {audit['expected']}), "
          f"chain {'verifies' if audit['chain_ok'] else 'BROKEN: ' + str(run.audit_problem)}")
    for error in run.result.errors[:5]:
        print(f"error: {error}")
    meets = (
        figures["errors"] == 0
        and audit["chain_ok"]
        and audit["entries"] == audit["expected"]
        and run.rss_peak_kb <= run.rss_before_kb + RSS_HEADROOM_KB
    )
    out = write_results("load", {"benchmark": "load", "machine": machine(), **figures, "meets_targets": meets})
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
