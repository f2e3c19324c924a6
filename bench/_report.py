"""Render bench/results/*.json into BENCHMARKS.md: each figure beside its target. Run by `make bench`."""

import json
import platform
from pathlib import Path
from typing import Any

from _results import RESULTS

OUT = RESULTS.parent.parent / "BENCHMARKS.md"
Row = tuple[str, str, str, str]  # what, figure, target, met


def _met(value: float, target: float) -> str:
    return "yes" if value <= target else "no"


def _graph_traversal(d: dict[str, Any]) -> list[Row]:
    rows = []
    for name, f in d["backends"].items():
        rows.append((f"closure depth {f['depth']} (~{f['closure_mean_nodes']:.0f} nodes), {name}",
                     f"p50 {f['closure_p50_ms']} ms, p95 {f['closure_p95_ms']} ms (load {f['load_s']} s)",
                     f"p95 ≤ {f['target_p95_ms']:.0f} ms", _met(f["closure_p95_ms"], f["target_p95_ms"])))
    return rows


def _lineage_queries(d: dict[str, Any]) -> list[Row]:
    rows = []
    for name, b in d["backends"].items():
        for query, f in b["queries"].items():
            rows.append((f"{query} (~{f['mean_items']:.0f} items), {name}", f"p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms",
                         f"p95 ≤ {b['target_p95_ms']:.0f} ms", _met(f["p95_ms"], b["target_p95_ms"])))
    return rows


def _ingest_dbt(d: dict[str, Any]) -> list[Row]:
    t = d["targets_s"]
    return [
        (f"first ingest, {d['models']} models", f"{d['first_ingest_s']} s", f"≤ {t['first']:.0f} s",
         _met(d["first_ingest_s"], t["first"])),
        ("unchanged re-ingest (same artifacts)", f"{d['unchanged_reingest_s']} s", f"≤ {t['unchanged']:.0f} s",
         _met(d["unchanged_reingest_s"], t["unchanged"])),
        ("re-ingest, same SQL, new dbt invocation", f"{d['same_sql_new_invocation_s']} s", f"≤ {t['unchanged']:.0f} s",
         _met(d["same_sql_new_invocation_s"], t["unchanged"])),
    ]


def _resolve(d: dict[str, Any]) -> list[Row]:
    return [
        (f"resolve_metric top-1 accuracy ({d['questions']} questions)", f"{d['top1_accuracy']:.1%}",
         f"≥ {d['target_accuracy']:.0%}", "yes" if d["top1_accuracy"] >= d["target_accuracy"] else "no"),
        ("resolve_metric through the governed call", f"p50 {d['tool_call_ms']['p50']} ms, p95 {d['tool_call_ms']['p95']} ms",
         f"p95 ≤ {d['target_p95_ms']:.0f} ms", _met(d["tool_call_ms"]["p95"], d["target_p95_ms"])),
    ]


def _mcp_roundtrip(d: dict[str, Any]) -> list[Row]:
    targets = {"stdio": 5.0, "http": 10.0}
    return [
        (f"small tool call over {name} ({d['audit_backend']} audit)", f"p50 {f['ok_p50_ms']} ms, p95 {f['ok_p95_ms']} ms",
         f"p50 ≤ {targets.get(name, 10):.0f} ms", _met(f["ok_p50_ms"], targets.get(name, 10.0)))
        for name, f in d["transports"].items()
    ]


def _sql_lineage(d: dict[str, Any]) -> list[Row]:
    w = d["with_schema"]
    return [(f"column lineage of a {d['sql_lines']}-line model, {d['output_columns']} columns",
             f"median {w['median_ms']} ms, p90 {w['p90_ms']} ms", "one walk per query", "")]


def _load(d: dict[str, Any]) -> list[Row]:
    rss, audit = d["server_rss_mb"], d["audit"]
    load = (f"{d['clients']} clients × {d['calls_per_client']} calls over HTTP, "
            f"{d['ingests_during_load']} ingests meanwhile")
    return [
        (f"{load}: errors", str(d["errors"]), "0 errors", "yes" if d["errors"] == 0 else "no"),
        (f"{load}: latency", f"p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms, p99 {d['p99_ms']} ms "
         f"({d['calls_per_s']} calls/s)", "reported", ""),
        ("audit chain after the load", f"{audit['entries']} entries, {'verifies' if audit['chain_ok'] else 'broken'}",
         f"{audit['expected']} entries, verifies",
         "yes" if audit["chain_ok"] and audit["entries"] == audit["expected"] else "no"),
        ("server RSS under the load", f"{rss['before']} MB at rest, {rss['peak']} MB peak",
         f"peak ≤ rest + {d['rss_headroom_mb']} MB", _met(rss["peak"], rss["before"] + d["rss_headroom_mb"])),
    ]


RENDERERS = {
    "graph_traversal": _graph_traversal,
    "lineage_queries": _lineage_queries,
    "ingest_dbt": _ingest_dbt,
    "resolve": _resolve,
    "mcp_roundtrip": _mcp_roundtrip,
    "sql_lineage": _sql_lineage,
    "load": _load,
}


def main() -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` from bench/results/*.json. Figures come from the machine each benchmark last",
        f"ran on (this report was written on {platform.platform()}, {platform.python_version()}); a shared",
        "2-core machine under other load gives slower and noisier figures.",
        "",
        "| benchmark | what | figure | target | met |",
        "|---|---|---|---|---|",
    ]
    for name, render in RENDERERS.items():
        path = RESULTS / f"{name}.json"
        if not path.exists():
            lines.append(f"| {name} | not run yet | | | |")
            continue
        for what, figure, target, met in render(json.loads(path.read_text(encoding="utf-8"))):
            lines.append(f"| {name} | {what} | {figure} | {target} | {met} |")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT.name}")


if __name__ == "__main__":
    main()
