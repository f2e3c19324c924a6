"""`datagraph proposals list|show|approve|reject|export` as a person runs them (the real command, a child process)."""

import json
import subprocess
from pathlib import Path

import pytest

from server.tools.propose_change import propose_change
from server.tools.schemas import ProposeChangeInput
from tests.cli.serve_process import cli_command, cli_env
from tests.proposals.conftest import REVIEW_POLICY, ContextFactory
from tests.proposals.sql_edits import edit, without_shipping_amount

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(REVIEW_POLICY, encoding="utf-8")
    return subprocess.run(cli_command("proposals", *args, "--home", str(tmp_path / "home")),
                          env=cli_env(DATAGRAPH_POLICY=str(policy)), cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_queue_at_a_terminal(tmp_path: Path, context: ContextFactory) -> None:
    first = propose_change(context("agent"), ProposeChangeInput(
        ref="stg_orders", new_sql=without_shipping_amount(), title="Drop shipping_amount", rationale="r"))
    second = propose_change(context("agent"), ProposeChangeInput(
        ref="stg_orders", new_sql=edit("stg_orders", "from source", "from source\nwhere status <> 'placed'"),
        title="Only placed orders", rationale="r"))

    listed = run(tmp_path, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(p["proposal_id"], p["status"], p["breaking"] > 0) for p in json.loads(listed.stdout)] == [
        (second.proposal_id, "pending_review", False), (first.proposal_id, "pending_review", True)
    ]
    shown = run(tmp_path, "show", first.proposal_id, "--diff")
    assert shown.stdout == first.diff

    rejected = run(tmp_path, "reject", second.proposal_id, "-m", "we still need placed orders", "--principal", "bob")
    assert (rejected.returncode, rejected.stdout.strip()) == (0, f"{second.proposal_id} rejected by bob")
    pending = json.loads(run(tmp_path, "list", "--status", "pending_review", "--json").stdout)
    assert [p["proposal_id"] for p in pending] == [first.proposal_id]

    own = run(tmp_path, "approve", first.proposal_id, "-m", "mine", "--principal", "agent")
    assert own.returncode == 2
    assert own.stderr.strip() == (
        f"error: [permission_denied] agent proposed {first.proposal_id} and may not review it; another reviewer must"
    )
    both = run(tmp_path, "export", first.proposal_id, "--git", str(tmp_path), "--patch", str(tmp_path / "p.patch"))
    assert both.returncode == 2 and "give exactly one of --git DIR (a new branch) or --patch FILE" in both.stderr
