"""Where benchmarks write their figures: bench/results/<name>.json, keeping other backends' figures."""

import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count() or 0,
            "load_average_1m": round(load, 2) if load is not None else None}


def write_results(name: str, results: dict[str, Any], *, same_run_keys: tuple[str, ...] = ()) -> Path:
    """Write `results`; a backend not measured this time keeps its earlier figures when the run's
    `same_run_keys` (e.g. the estate's size) are unchanged, so one backend can be re-measured alone."""
    out = RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and "backends" in results:
        previous = json.loads(out.read_text(encoding="utf-8"))
        if all(previous.get(k) == results.get(k) for k in same_run_keys):
            results["backends"] = {**previous.get("backends", {}), **results["backends"]}
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return out
