"""End to end in headless Chromium: a proposal made over MCP is approved by a reviewer on the governance page,
the approval shows in the page's audit log, and the store and the audit log agree with what the page said.

The browser is Debian's Chromium driven by playwright-core from npm (tests/ui/browser.py says where they are
found); the page talks to a real HTTP server over the shop project's graph.
"""

import json
import subprocess
import time
from pathlib import Path

import pytest

from graph_schema.config import Settings
from server.proposals.store import proposal_store
from tests.ui.browser import Browser, find_browser
from tests.ui.conftest import STG_ORDERS, Deployment
from tests.ui.png import colour_spread

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]

SCRIPT = Path(__file__).parent / "e2e" / "review_flow.mjs"
TITLE = "Drop shipping_amount from stg_orders"
PAGE_BACKGROUND, PANEL_BACKGROUND = (0xF4, 0xF6, 0xF9), (0xFF, 0xFF, 0xFF)  # --wash and --paper in ui.css


@pytest.fixture
def browser() -> Browser:
    """Asked for before the deployment, so that a missing browser is reported before a server starts."""
    return find_browser()


def test_a_reviewer_approves_on_the_page_and_finds_it_in_the_audit_log(
    browser: Browser, deployment: Deployment, tmp_path: Path
) -> None:
    pid = deployment.propose("pat", TITLE)
    proposal_shot, screenshot, lineage_shot = (tmp_path / f"{name}.png" for name in ("proposal", "audit", "lineage"))
    config = {
        "url": deployment.url,
        "token": deployment.tokens["gina"],
        "proposalId": pid,
        "lineageRef": "stg_orders",
        "proposalShot": str(proposal_shot),
        "screenshot": str(screenshot),
        "lineageShot": str(lineage_shot),
        "chromium": browser.chromium,
        "playwright": str(browser.playwright),
    }
    started = time.perf_counter()
    run = subprocess.run(
        [browser.node, str(SCRIPT), json.dumps(config)], capture_output=True, text=True, timeout=240, check=False
    )
    elapsed = time.perf_counter() - started
    assert run.returncode == 0, f"the browser script failed:\n{run.stderr[-4000:]}"
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"browser run {elapsed:.1f} s, steps (ms from start): {seen['timings']}")

    # What the page showed.
    assert seen["pageErrors"] == [] and seen["consoleErrors"] == []
    assert all(url.startswith(deployment.url) for url in seen["requests"]), seen["requests"]
    assert seen["who"] == "gina (governance)" and seen["tokenStored"] is True
    assert seen["detailTitle"] == TITLE
    assert "-    {{ cents_to_dollars('shipping_cents') }} as shipping_amount\n" in seen["diffLines"]
    assert seen["validation"] == "The new SQL parses." and seen["impactRows"] > 0
    assert seen["reviewResult"] == f"{pid} is now approved." and seen["detailStatus"] == "approved"
    assert seen["chain"].startswith("Chain intact: ")

    # ...is what the store and the audit log hold.
    with proposal_store(Settings(home=deployment.home)) as store:
        stored = store.get(pid)
    assert stored is not None and stored.status == "approved" and stored.reviewed_by == "gina"
    assert stored.review_comment == "Impact checked: the marts are being updated."
    reviews = [e for e in deployment.runtime.audit.entries() if e.tool == "review_proposal"]
    assert [(e.principal, e.transport, e.decision, e.outcome) for e in reviews] == [("gina", "ui", "allowed", "ok")]
    assert reviews[0].arguments["proposal_id"] == pid
    assert seen["auditRows"] == [
        {"seq": reviews[0].seq, "caller": "gina (governance)", "via": "ui", "tool": "review_proposal", "outcome": "ok"}
    ]
    assert deployment.runtime.audit.verify().ok

    # The lineage picture has a box per node of the trace, the root among them.
    trace = deployment.get("/ui/api/lineage", "gina", ref="stg_orders", direction="both", depth=2).json()
    assert sorted(seen["lineageNodes"]) == sorted(n["id"] for n in trace["nodes"])
    assert seen["lineageRoot"] == STG_ORDERS and seen["lineageEdges"] == len(trace["edges"]) > 0

    # The screenshots show a drawn page, not a blank or single-colour one; the commonest colour is the style
    # sheet's page or panel background, so the style sheet applied (and the PNG was decoded right).
    for shot in (proposal_shot, screenshot, lineage_shot):
        colours, commonest, share = colour_spread(shot.read_bytes())
        assert colours > 50 and share < 0.9, (shot.name, colours, share)
        assert commonest in (PAGE_BACKGROUND, PANEL_BACKGROUND), (shot.name, commonest)
