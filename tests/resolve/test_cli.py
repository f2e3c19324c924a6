"""`datagraph metric` and `datagraph feedback` as a person runs them (child processes): an analyst's
feedback changes the answer only after a steward named by the policy approves it."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.serve_process import cli_command, cli_env
from tests.resolve.conftest import Project

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]

POLICY = """
roles:
  local: {tools: [resolve_metric, search_assets, record_feedback]}
  steward: {tools: [resolve_metric, search_assets, record_feedback, review_proposal]}
local:
  default_role: local
  principals: {sam: steward}
"""


def datagraph(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args, "--home", str(home)),
        env=cli_env(DATAGRAPH_POLICY=str(home.parent / "policy.yaml")),
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_metric_and_the_feedback_loop(shop: Project, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(shop.home, home, ignore=shutil.ignore_patterns("*.lock", ".lock"))
    (tmp_path / "policy.yaml").write_text(POLICY)

    before = json.loads(datagraph(home, "metric", "turnover last month", "--json").stdout)
    assert before["status"] != "resolved"

    submitted = datagraph(home, "feedback", "submit", "synonym", "net_revenue", "--value", "turnover",
                          "--principal", "ana")
    assert submitted.returncode == 0, submitted.stderr
    feedback_id, status = submitted.stdout.split()
    assert status == "pending_review"

    listed = json.loads(datagraph(home, "feedback", "list", "--json").stdout)
    assert [(i["feedback_id"], i["submitted_by"]) for i in listed] == [(feedback_id, "ana")]

    refused = datagraph(home, "feedback", "approve", feedback_id, "--principal", "ana")
    assert refused.returncode == 2 and "may not review feedback" in refused.stderr

    approved = datagraph(home, "feedback", "approve", feedback_id, "--principal", "sam", "--comment", "yes")
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.strip() == f"{feedback_id} approved by sam"

    after = datagraph(home, "metric", "turnover by month")
    assert after.returncode == 0, after.stderr
    assert after.stdout.startswith("resolved") and "metric:dbt.shop.net_revenue" in after.stdout
    assert "SUM(net_amount)" in after.stdout and "per month" in after.stdout

    tail = datagraph(home, "audit", "query", "--tool", "review_feedback", "--json")
    if tail.returncode == 0:  # the audit command is another concern's; when present it shows both reviews
        assert tail.stdout.count("review_feedback") >= 2
