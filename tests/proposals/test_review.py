"""review_proposal through the governed call path: reviewer roles only, never the proposer, decided once, the
optional owner rule of the policy, and every step in the audit log."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp_types import CallToolResult, TextContent

from server.errors import PolicyError
from server.governance.policy import Policy, load_policy
from server.governance.policy_defaults import builtin_policy
from server.governed import governed
from server.runtime import Runtime
from server.tools.names import ToolName
from server.tools.registry import TOOL_SPECS
from tests.proposals.conftest import REVIEW_POLICY
from tests.proposals.sql_edits import edit, without_shipping_amount

OWNER_RULE = REVIEW_POLICY + """
proposals:
  require_owner_approval: true
"""
MULTI_OWNER_RULE = OWNER_RULE.replace(
    "    growth-analytics@shop.example: reviewer\n",
    "    growth-analytics@shop.example: reviewer\n    customer-insights@shop.example: reviewer\n",
)


def call(runtime: Runtime, who: str, tool: ToolName, arguments: dict[str, Any]) -> dict[str, Any] | str:
    """A governed call as local principal `who`: its JSON answer, or the error text."""
    spec = next(s for s in TOOL_SPECS if s.name is tool)
    principal = runtime.policy.local_principal(who)
    result = anyio.run(governed(spec, runtime, "stdio", lambda: principal), arguments)
    if isinstance(result, CallToolResult):
        first = result.content[0]
        assert isinstance(first, TextContent)
        return first.text
    return result.model_dump(mode="json")


def propose(runtime: Runtime, who: str, ref: str, sql: str) -> str:
    answer = call(runtime, who, ToolName.PROPOSE_CHANGE, {"ref": ref, "new_sql": sql, "title": "t", "rationale": "r"})
    assert isinstance(answer, dict), answer
    assert answer["status"] == "pending_review"
    return str(answer["proposal_id"])


def review(runtime: Runtime, who: str, proposal_id: str, decision: str = "approve") -> dict[str, Any] | str:
    return call(runtime, who, ToolName.REVIEW_PROPOSAL,
                {"proposal_id": proposal_id, "decision": decision, "comment": f"{decision} by {who}"})


@pytest.fixture
def policy_runtime(runtime_for: Callable[..., Runtime], tmp_path: Path) -> Callable[[str], Runtime]:
    def make(text: str) -> Runtime:
        path = tmp_path / "policy.yaml"
        path.write_text(text, encoding="utf-8")
        return runtime_for(load_policy(path))

    return make


def test_only_a_reviewer_who_did_not_propose_decides_and_only_once(policy_runtime: Callable[[str], Runtime]) -> None:
    runtime = policy_runtime(REVIEW_POLICY)
    proposal_id = propose(runtime, "agent", "stg_orders", without_shipping_amount())

    assert review(runtime, "agent", proposal_id) == (
        f"[permission_denied] agent proposed {proposal_id} and may not review it; another reviewer must"
    )
    assert review(runtime, "agent", proposal_id, "reject").startswith("[permission_denied] agent proposed")
    assert review(runtime, "carol", proposal_id) == "[permission_denied] role 'analyst' may not call 'review_proposal'"

    approved = review(runtime, "bob", proposal_id)
    assert isinstance(approved, dict)
    assert (approved["status"], approved["reviewed_by"], approved["review_comment"]) == (
        "approved", "bob", "approve by bob"
    )
    assert approved["validation"]["columns_removed"] == ["shipping_amount"]
    assert [(r["decision"], r["reviewer"], r["role"]) for r in approved["reviews"]] == [("approve", "bob", "reviewer")]
    assert review(runtime, "finance-data@shop.example", proposal_id, "reject") == (
        f"[invalid_review] {proposal_id} was approved by bob already"
    )
    assert review(runtime, "bob", "prop-missing") == (
        "[not_found] no proposal 'prop-missing'; list them with `datagraph proposals list`"
    )

    entries = [(e.principal, e.tool, e.decision, e.outcome) for e in runtime.audit.entries()]
    assert entries == [
        ("agent", "propose_change", "allowed", "ok"),
        ("agent", "review_proposal", "denied", "denied"),
        ("agent", "review_proposal", "denied", "denied"),
        ("carol", "review_proposal", "denied", "denied"),
        ("bob", "review_proposal", "allowed", "ok"),
        ("finance-data@shop.example", "review_proposal", "allowed", "error"),
        ("bob", "review_proposal", "allowed", "error"),
    ]
    assert runtime.audit.verify().ok


def test_a_rejection_is_final(policy_runtime: Callable[[str], Runtime]) -> None:
    runtime = policy_runtime(REVIEW_POLICY)
    proposal_id = propose(runtime, "agent", "stg_orders", without_shipping_amount())
    rejected = review(runtime, "bob", proposal_id, "reject")
    assert isinstance(rejected, dict) and rejected["status"] == "rejected" and rejected["reviewed_by"] == "bob"
    assert review(runtime, "finance-data@shop.example", proposal_id) == (
        f"[invalid_review] {proposal_id} was rejected by bob already"
    )


def test_the_owner_rule_wants_an_owner_of_each_broken_asset(policy_runtime: Callable[[str], Runtime]) -> None:
    runtime = policy_runtime(OWNER_RULE)
    proposal_id = propose(runtime, "agent", "stg_orders", without_shipping_amount())

    refused = review(runtime, "bob", proposal_id)
    assert isinstance(refused, str)
    assert refused.startswith(
        f"[permission_denied] {proposal_id} needs an approval from an owner of each asset it breaks; bob owns none of "
        "those still waiting: finance-data@shop.example (for "
    )
    approved = review(runtime, "finance-data@shop.example", proposal_id)
    assert isinstance(approved, dict) and approved["status"] == "approved"
    assert approved["approvals_missing"] == []


def test_with_several_owner_groups_the_proposal_waits_for_each(policy_runtime: Callable[[str], Runtime]) -> None:
    runtime = policy_runtime(MULTI_OWNER_RULE)
    sql = edit("stg_customers", "        upper(country_code) as country_code,\n", "")
    proposal_id = propose(runtime, "agent", "stg_customers", sql)

    first = review(runtime, "growth-analytics@shop.example", proposal_id)
    assert isinstance(first, dict) and first["status"] == "pending_review"
    assert [g["owners"] for g in first["approvals_missing"]] == [
        ["analytics-engineering@shop.example", "customer-insights@shop.example"],
        ["finance-data@shop.example"],
    ]
    assert review(runtime, "growth-analytics@shop.example", proposal_id).startswith(  # type: ignore[union-attr]
        f"[invalid_review] growth-analytics@shop.example approved {proposal_id} already; it waits for "
    )
    second = review(runtime, "finance-data@shop.example", proposal_id)
    assert isinstance(second, dict) and second["status"] == "pending_review"
    last = review(runtime, "customer-insights@shop.example", proposal_id)
    assert isinstance(last, dict) and last["status"] == "approved" and last["reviewed_by"] == (
        "customer-insights@shop.example"
    )
    assert [r["reviewer"] for r in last["reviews"]] == [
        "growth-analytics@shop.example", "finance-data@shop.example", "customer-insights@shop.example"
    ]


def test_without_the_owner_rule_any_reviewer_approves(policy_runtime: Callable[[str], Runtime]) -> None:
    assert builtin_policy().proposals.require_owner_approval is False
    runtime = policy_runtime(REVIEW_POLICY)
    proposal_id = propose(runtime, "agent", "stg_orders", without_shipping_amount())
    approved = review(runtime, "bob", proposal_id)
    assert isinstance(approved, dict) and approved["status"] == "approved"


def test_the_owner_rule_is_an_optional_policy_flag(write_policy: Callable[[str], Policy]) -> None:
    assert write_policy(REVIEW_POLICY).spec.proposals.require_owner_approval is False
    assert write_policy(OWNER_RULE).spec.proposals.require_owner_approval is True
    with pytest.raises(PolicyError, match=r"proposals\.require_owners: Extra inputs are not permitted"):
        write_policy(REVIEW_POLICY + "proposals:\n  require_owners: true\n")
