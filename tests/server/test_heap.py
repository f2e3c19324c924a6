"""The server settles its heap before serving: startup objects frozen, the young generation collected rarely."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Run in a child: freezing and thresholds are process-wide and would change how this test run collects.
_PROBE = """
import gc, json
from server.heap import YOUNG_THRESHOLD, settle_heap
from server.tools.registry import TOOL_SPECS  # a server's imports
before = len(gc.get_objects())
settle_heap()
print(json.dumps({"before": before, "after": len(gc.get_objects()), "frozen": gc.get_freeze_count(),
                  "young": gc.get_threshold()[0], "expected_young": YOUNG_THRESHOLD}))
"""


def test_settle_heap_freezes_what_startup_left_and_raises_the_young_threshold() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["before"] > 10_000, "a server's imports leave tens of thousands of tracked objects"
    assert figures["frozen"] >= figures["before"] * 0.9, "startup objects are out of the collector's reach"
    assert figures["after"] < figures["before"] / 10
    assert figures["young"] == figures["expected_young"] > 700
