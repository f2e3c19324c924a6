"""From draft to approved patch, end to end on the real shop project in a git repository.

An agent (the SDK's client, talking to `datagraph serve` over stdio) proposes dropping a column and is told
what breaks; its invalid SQL, unknown ref and contract violation are refused precisely and leave nothing
behind; it cannot approve its own proposal. A reviewer approves from the CLI, the CLI exports the change as a
new branch (not before approval), and `dbt build` on that branch fails exactly where the impact said it would.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import CallToolResult, TextContent

from graph_schema.config import Settings
from server.governance.audit import open_audit_log
from tests.cli.serve_process import cli_command, cli_env
from tests.proposals.conftest import REVIEW_POLICY
from tests.proposals.gitrepo import git, make_repo, state
from tests.proposals.sql_edits import edit, without_shipping_amount
from datagraph.estate.build import SHOP_PROJECT

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


def text_of(result: CallToolResult) -> str:
    assert result.is_error, result.structured_content
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


def datagraph(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)


def dbt_build(project: Path) -> dict[str, str]:
    """`dbt build` (seeds are in the database already) as the fixture build runs it; status per node name."""
    (project / "profiles.yml").write_text(
        "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{(project / SHOP_PROJECT.database_file).as_posix()}'\n      schema: main\n      threads: 2\n"
    )
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        "DO_NOT_TRACK": "1",
        "DBT_PROFILES_DIR": str(project),
        "DBT_PROJECT_DIR": str(project),
        "DBT_LOG_PATH": str(project / "logs"),
        "DBT_TARGET_PATH": str(project / "target"),
    }
    command = [sys.executable, "-c", "from dbt.cli.main import cli; cli()", "build", "--exclude-resource-type",
               "seed", "--no-use-colors"]
    subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=400, check=False)
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results}


def test_a_proposed_column_drop_goes_from_draft_to_a_branch_dbt_builds(
    tmp_path: Path, shop_project: Path
) -> None:
    repo = tmp_path / "repo"
    project = make_repo(repo, project=shop_project, subfolder="shop")
    home = tmp_path / "home"
    policy = tmp_path / "policy.yaml"
    policy.write_text(REVIEW_POLICY, encoding="utf-8")
    env = cli_env(DATAGRAPH_POLICY=str(policy))
    ingested = datagraph("ingest", "dbt", str(project), "--home", str(home), env=env, cwd=tmp_path)
    assert ingested.returncode == 0, ingested.stderr

    params = StdioServerParameters(
        command=cli_command()[0],
        args=[*cli_command()[1:], "serve", "--transport", "stdio", "--home", str(home), "--principal", "agent"],
        env=env,
        cwd=tmp_path,
    )
    answers: dict[str, Any] = {}

    async def agent_session() -> None:
        async with Client(params) as client:
            async def propose(ref: str, sql: str) -> CallToolResult:
                return await client.call_tool("propose_change", {
                    "ref": ref, "new_sql": sql, "title": "Drop shipping_amount from stg_orders",
                    "rationale": "Shipping is reported from the carrier feed now.",
                })

            proposed = await propose("stg_orders", without_shipping_amount())
            assert not proposed.is_error, proposed.content
            answers["proposal"] = proposed.structured_content

            bad_sql = await propose("stg_orders",
                                    edit("stg_orders", "order_date as ordered_at,", "order_date as ordered at,"))
            answers["bad_sql"] = text_of(bad_sql)
            bad_ref = await propose("int_orders_enriched",
                                    edit("int_orders_enriched", "ref('stg_orders')", "ref('stg_order')"))
            answers["bad_ref"] = text_of(bad_ref)
            breach = await propose("dim_customers", edit("dim_customers", "    customers.email,\n", ""))
            answers["breach"] = text_of(breach)

            own = await client.call_tool("review_proposal", {
                "proposal_id": answers["proposal"]["proposal_id"], "decision": "approve", "comment": "LGTM",
            })
            answers["self_review"] = text_of(own)

    anyio.run(agent_session)

    proposal = answers["proposal"]
    proposal_id = proposal["proposal_id"]
    assert proposal["status"] == "pending_review"
    assert proposal["validation"]["parses"] is True
    assert proposal["validation"]["columns_removed"] == ["shipping_amount"]
    impacted = proposal["impact"]["impacted"]
    breaking = {i["name"] for i in impacted if i["severity"] == "breaking" and i["kind"] == "model"}
    assert breaking == {"int_orders_enriched", "fct_orders"}
    assert "finance-data@shop.example" in proposal["impact"]["notify"]
    assert answers["bad_sql"].startswith("[invalid_sql] line 10, column 28: SQL does not parse as duckdb")
    assert answers["bad_ref"].startswith(
        "[unknown_ref] line 3, column 22: ref('stg_order') names no model, seed or snapshot in the graph; "
        "closest: ref('stg_orders')"
    )
    assert answers["breach"] == (
        "[contract_violation] the new SQL breaks the enforced contract of dim_customers: column email is in the "
        "enforced contract of dim_customers but the new SQL does not produce it"
    )
    assert answers["self_review"] == (
        f"[permission_denied] agent proposed {proposal_id} and may not review it; another reviewer must"
    )

    listed = datagraph("proposals", "list", "--json", "--home", str(home), env=env, cwd=tmp_path)
    assert [p["proposal_id"] for p in json.loads(listed.stdout)] == [proposal_id]  # the refused ones left nothing

    untouched = state(repo)
    early = datagraph("proposals", "export", proposal_id, "--git", str(project), "--principal", "bob",
                      "--home", str(home), env=env, cwd=tmp_path)
    assert early.returncode == 2
    assert early.stderr.strip() == (
        f"error: [not_approved] {proposal_id} is pending_review: only an approved proposal can be exported"
    )
    assert state(repo) == untouched

    approved = datagraph("proposals", "approve", proposal_id, "-m", "finance agreed", "--principal", "bob",
                         "--home", str(home), env=env, cwd=tmp_path)
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.strip() == f"{proposal_id} approved by bob"

    exported = datagraph("proposals", "export", proposal_id, "--git", str(project), "--principal", "bob",
                         "--home", str(home), env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    branch = f"datagraph/{proposal_id}"
    assert exported.stdout.startswith(f"{proposal_id} exported to branch {branch} (")
    assert state(repo)[:3] == untouched[:3]  # still on main, same commit, same working tree
    assert git(repo, "diff", "--name-only", "main", branch).split() == ["shop/models/staging/stg_orders.sql"]

    git(repo, "checkout", "-q", branch)
    statuses = dbt_build(project)
    failed = {uid.split(".")[-1] for uid, status in statuses.items() if status in ("error", "fail")}
    assert failed == {"int_orders_enriched"}
    assert failed <= breaking  # dbt fails exactly where the impact said the change breaks
    assert statuses["model.shop.stg_orders"] == "success"
    assert statuses["model.shop.fct_orders"] == "skipped"

    log = open_audit_log(Settings(home=home))
    entries = [(e.principal, e.transport, e.tool, e.outcome) for e in log.entries()]
    assert log.verify().ok
    log.close()
    assert entries == [
        ("agent", "stdio", "propose_change", "ok"),
        ("agent", "stdio", "propose_change", "error"),
        ("agent", "stdio", "propose_change", "error"),
        ("agent", "stdio", "propose_change", "error"),
        ("agent", "stdio", "review_proposal", "denied"),
        ("bob", "cli", "export_proposal", "error"),
        ("bob", "cli", "review_proposal", "ok"),
        ("bob", "cli", "export_proposal", "ok"),
    ]
