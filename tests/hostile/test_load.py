"""Load: 50 concurrent MCP clients over streamable HTTP on loopback, a mix of the read tools, against one
`datagraph serve` while `datagraph ingest dbt` commits new snapshots of the graph under it.

Zero errors, every call in one verified audit chain, and the server's memory bounded. CI makes the full
50 clients × 200 calls (DATAGRAPH_LOAD_CALLS=200 in .ci/run); on a 2-core machine those 10,000 calls take
about eight minutes, so a local `make test` makes 50 × 40 unless told otherwise. `bench/load.py` makes the
full run too and reports its figures (BENCHMARKS.md). Latency is printed here, never asserted.
"""

import json
import os
from pathlib import Path

import pytest

from tests.hostile.conftest import HostileTally
from tests.hostile.deploy import ShopVersions, shop_versions
from tests.hostile.load import RSS_HEADROOM_KB, client_name, run_load

__all__ = ["shop_versions"]  # the session fixture, imported so pytest finds it

pytestmark = pytest.mark.timeout(1800)

CLIENTS = 50
CALLS_PER_CLIENT = int(os.environ.get("DATAGRAPH_LOAD_CALLS", "40"))
INGEST_PAUSE_S = 5.0


def test_fifty_clients_while_an_ingest_commits(
    shop_versions: ShopVersions, tmp_path: Path, hostile: HostileTally
) -> None:
    run = run_load(shop_versions, tmp_path, CLIENTS, CALLS_PER_CLIENT, INGEST_PAUSE_S)
    figures = run.figures()
    print("load:", json.dumps(figures))
    hostile.tried("load", run.result.calls)

    assert run.result.errors == [], f"{len(run.result.errors)} errors, e.g. {run.result.errors[:3]}"
    assert run.result.calls == CLIENTS * CALLS_PER_CLIENT
    failed = [stderr for _, code, stderr in run.ingests if code != 0]
    assert failed == [], f"an ingest during the load failed: {failed[0]}"
    assert figures["ingests_during_load"] >= 1, "no ingest committed while the clients ran"

    assert run.audit_ok, run.audit_problem
    assert run.audit_entries == CLIENTS * CALLS_PER_CLIENT + run.warm_up_calls
    expected = {client_name(i): CALLS_PER_CLIENT for i in range(CLIENTS)}
    expected[client_name(0)] += run.warm_up_calls
    assert run.entries_by_principal == expected

    assert run.rss_peak_kb <= run.rss_before_kb + RSS_HEADROOM_KB, (
        f"server RSS went from {run.rss_before_kb // 1024} MB to {run.rss_peak_kb // 1024} MB"
    )
