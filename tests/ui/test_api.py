"""The governance page's JSON API over real HTTP: the same authentication, policy and audit as the MCP tools,
audit filters checked against the log itself, the chain check before and after tampering, and reviews that
change the real proposal store."""

import re
from pathlib import Path

import httpx
import pytest

from graph_schema.config import Settings
from graph_schema.store import GraphStore
from server.governance.audit_models import AuditEntry
from server.governance.audit_sql import TABLE
from server.governance.policy import load_policy
from server.proposals.store import proposal_store
from server.runtime import build_runtime
from server.transport import build_http_app
from tests.server.conftest import RawAudit
from tests.server.http_server import serving
from tests.ui.conftest import ROLES, STG_ORDERS, Deployment

pytestmark = pytest.mark.timeout(300)

READS = ("/ui/api/session", "/ui/api/audit", "/ui/api/audit/verify", "/ui/api/proposals",
         "/ui/api/proposals/prop-000000000000", "/ui/api/lineage?ref=stg_orders")
REVIEW = "/ui/api/proposals/{}/review"


def entries(deployment: Deployment) -> list[AuditEntry]:
    return list(deployment.runtime.audit.entries())


def seqs(answer: dict[str, object]) -> list[int]:
    listed = answer["entries"]
    assert isinstance(listed, list)
    return [e["seq"] for e in listed]


def newest_first(found: list[AuditEntry]) -> list[int]:
    return sorted((e.seq for e in found), reverse=True)


def test_the_page_is_a_static_shell_that_loads_nothing_from_elsewhere(deployment: Deployment) -> None:
    page = deployment.get("/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert set(references) >= {"/ui/ui.js", "/ui/ui.css"}
    assert all(r.startswith(("/ui/", "#", "data:")) for r in references), references
    script, style = deployment.get("/ui/ui.js"), deployment.get("/ui/ui.css")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert "url(" not in style.text and "@import" not in style.text
    # The script only talks to this server's API.
    assert re.findall(r"fetch\(([^,]+),", script.text) == ["API + path"]
    assert entries(deployment) == []  # serving the shell reads nothing and calls nothing


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic YTpi"])
def test_every_api_call_without_a_valid_credential_is_401_and_audited(
    deployment: Deployment, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    answers = [httpx.get(f"{deployment.url}{path}", headers=headers, timeout=60) for path in READS]
    answers.append(httpx.post(f"{deployment.url}{REVIEW.format('prop-000000000000')}", headers=headers,
                              json={"decision": "approve", "comment": "x"}, timeout=60))
    for answer in answers:
        assert answer.status_code == 401, (answer.request.url, answer.text)
        assert answer.json() == {"error": "[unauthenticated] no valid bearer token on this request"}
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.headers["cache-control"] == "no-store"
    logged = entries(deployment)
    assert [(e.principal, e.decision, e.transport) for e in logged] == [("anonymous", "denied", "ui")] * len(answers)
    assert [e.tool for e in logged] == [
        "ui_session", "ui_audit_log", "ui_audit_verify", "ui_proposals", "ui_proposal", "trace_lineage",
        "review_proposal",
    ]


def test_a_role_without_the_permission_gets_403(deployment: Deployment) -> None:
    pid = deployment.propose()
    refused = {
        ("ann", "/ui/api/audit"): "audit_log",
        ("rita", "/ui/api/audit"): "audit_log",
        ("ann", "/ui/api/audit/verify"): "audit_log",
        ("ann", "/ui/api/proposals"): "review_proposal",
        ("ann", f"/ui/api/proposals/{pid}"): "review_proposal",
        ("ann", "/ui/api/lineage?ref=stg_orders"): "trace_lineage",
    }
    for (name, path), permission in refused.items():
        answer = deployment.get(path, name)
        assert answer.status_code == 403, (name, path, answer.text)
        assert answer.json() == {"error": f"[permission_denied] role '{ROLES[name]}' may not call '{permission}'"}
    review = deployment.post(REVIEW.format(pid), "ann", {"decision": "approve", "comment": "fine"})
    assert review.status_code == 403
    assert review.json() == {"error": "[permission_denied] role 'analyst' may not call 'review_proposal'"}
    with proposal_store(Settings(home=deployment.home)) as store:
        proposal = store.get(pid)
    assert proposal is not None and proposal.status == "pending_review"
    denied = [e for e in entries(deployment) if e.decision == "denied"]
    assert len(denied) == len(refused) + 1 and all(e.transport == "ui" for e in denied)



def test_the_session_says_who_signed_in_and_what_their_role_may_do(deployment: Deployment) -> None:
    gina = deployment.get("/ui/api/session", "gina").json()
    assert gina == {
        "principal": "gina",
        "role": "governance",
        "auth": "bearer",
        "may": {"review_proposal": True, "audit_log": True, "trace_lineage": True},
    }
    ann = deployment.get("/ui/api/session", "ann").json()
    assert ann["may"] == {"review_proposal": False, "audit_log": False, "trace_lineage": False}


def test_the_audit_listing_filters_by_tool_caller_outcome_and_time(deployment: Deployment) -> None:
    assert deployment.get("/ui/api/lineage", "pat", ref="stg_orders", depth=1).status_code == 200
    assert deployment.get("/ui/api/lineage", "pat", ref="no_such_model").status_code == 404
    assert deployment.get("/ui/api/audit", "ann").status_code == 403
    assert deployment.get("/ui/api/audit").status_code == 401
    assert deployment.get("/ui/api/lineage", "rita", ref="stg_orders", depth=1).status_code == 200
    logged = entries(deployment)
    assert len(logged) == 5

    def listed(**filters: object) -> list[int]:
        answer = deployment.get("/ui/api/audit", "gina", **filters)
        assert answer.status_code == 200, answer.text
        return seqs(answer.json())

    # Each expectation is read off the log as it was before the listing (a listing is audited after it reads).
    before = entries(deployment)
    assert listed(tool="trace_lineage") == newest_first([e for e in before if e.tool == "trace_lineage"])
    before = entries(deployment)
    assert listed(principal="ann") == newest_first([e for e in before if e.principal == "ann"])
    before = entries(deployment)
    assert listed(outcome="denied") == newest_first([e for e in before if e.outcome == "denied"])
    before = entries(deployment)
    assert listed(tool="trace_lineage", outcome="error") == newest_first(
        [e for e in before if e.tool == "trace_lineage" and e.outcome == "error"]
    )
    assert len(listed(tool="trace_lineage", outcome="error")) == 1
    start, end = logged[1].time, logged[3].time
    assert listed(since=start, until=end) == [3, 2]
    assert listed(since=end, principal="rita") == [5]

    first, second = deployment.get("/ui/api/audit", "gina", limit=2).json(), None
    assert len(first["entries"]) == 2 and first["next_cursor"] == first["entries"][-1]["seq"]
    second = deployment.get("/ui/api/audit", "gina", limit=2, cursor=first["next_cursor"]).json()
    assert seqs(second) == [s - 2 for s in seqs(first)]

    bad = deployment.get("/ui/api/audit", "gina", outcome="maybe")
    assert bad.status_code == 400 and bad.json()["error"].startswith("[invalid_arguments] outcome: Input should be")
    bad_time = deployment.get("/ui/api/audit", "gina", since="last tuesday")
    assert bad_time.status_code == 400 and bad_time.json()["error"].startswith("[invalid_arguments] since:")
    assert "\n" not in bad.json()["error"] + bad_time.json()["error"]


def test_chain_status_is_ok_then_names_the_entry_tampered_with(deployment: Deployment) -> None:
    for _ in range(3):
        deployment.get("/ui/api/session", "pat")
    report = deployment.get("/ui/api/audit/verify", "gina").json()
    assert report["ok"] is True and report["checked"] == 3 and report["head"]["seq"] == 3

    RawAudit("sqlite", str(deployment.audit_file)).execute(f"UPDATE {TABLE} SET principal = 'gina' WHERE seq = 2")

    broken = deployment.get("/ui/api/audit/verify", "gina")
    assert broken.status_code == 200
    assert broken.json() | {"checked": None, "head": None} == {
        "ok": False,
        "checked": None,
        "head": None,
        "first_bad_seq": 2,
        "problem": "entry 2 was altered or moved: its hash does not match its contents",
    }


def test_approving_through_the_page_changes_the_proposal_and_is_audited_as_the_tool_call(
    deployment: Deployment,
) -> None:
    pid = deployment.propose()
    queue = deployment.get("/ui/api/proposals", "rita").json()["proposals"]
    [listed] = [p for p in queue if p["proposal_id"] == pid]
    assert "-    {{ cents_to_dollars('shipping_cents') }} as shipping_amount\n" in listed["diff"]
    assert listed["validation"]["columns_removed"] == ["shipping_amount"]
    assert listed["impact"]["summary"]["breaking"] > 0 and listed["proposed_by"] == "pat"

    answer = deployment.post(REVIEW.format(pid), "rita", {"decision": "approve", "comment": "Checked the impact."})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["reviewed_by"]) == ("approved", "rita")

    with proposal_store(Settings(home=deployment.home)) as store:
        stored = store.get(pid)
    assert stored is not None and stored.status == "approved"
    assert [(r.reviewer, r.role, r.decision, r.comment) for r in stored.reviews] == [
        ("rita", "reviewer", "approve", "Checked the impact.")
    ]
    [review] = [e for e in entries(deployment) if e.tool == "review_proposal"]
    assert (review.principal, review.role, review.transport, review.decision, review.outcome) == (
        "rita", "reviewer", "ui", "allowed", "ok"
    )
    assert review.arguments == {"decision": "approve", "comment": "Checked the impact.", "proposal_id": pid}
    shown = deployment.get("/ui/api/audit", "gina", tool="review_proposal").json()["entries"]
    assert [(e["seq"], e["principal"]) for e in shown] == [(review.seq, "rita")]

    assert deployment.get("/ui/api/proposals", "rita").json()["proposals"] == []  # no longer pending
    approved = deployment.get("/ui/api/proposals", "rita", status="approved").json()["proposals"]
    assert [p["proposal_id"] for p in approved] == [pid]
    again = deployment.post(REVIEW.format(pid), "gina", {"decision": "reject", "comment": "Too late?"})
    assert again.status_code == 400
    assert again.json() == {"error": f"[invalid_review] {pid} was approved by rita already"}


def test_self_approval_is_refused_as_with_the_tool(deployment: Deployment) -> None:
    pid = deployment.propose("pat")
    answer = deployment.post(REVIEW.format(pid), "pat", {"decision": "approve", "comment": "Looks good to me."})
    assert answer.status_code == 403
    assert answer.json() == {
        "error": f"[permission_denied] pat proposed {pid} and may not review it; another reviewer must"
    }
    with proposal_store(Settings(home=deployment.home)) as store:
        stored = store.get(pid)
    assert stored is not None and stored.status == "pending_review" and stored.reviews == []
    [review] = [e for e in entries(deployment) if e.tool == "review_proposal"]
    assert (review.principal, review.decision, review.outcome) == ("pat", "denied", "denied")


def test_rejecting_needs_a_comment_and_records_it(deployment: Deployment) -> None:
    pid = deployment.propose()
    empty = deployment.post(REVIEW.format(pid), "rita", {"decision": "reject", "comment": ""})
    assert empty.status_code == 400 and empty.json()["error"].startswith("[invalid_arguments] comment:")
    not_json = deployment.post(REVIEW.format(pid), "rita", ["reject"])
    assert not_json.status_code == 400
    assert not_json.json()["error"] == "[invalid_arguments] the request body must be a JSON object {decision, comment}"

    reason = "fct_orders still reads it."
    answer = deployment.post(REVIEW.format(pid), "rita", {"decision": "reject", "comment": reason})
    assert answer.status_code == 200 and answer.json()["status"] == "rejected"
    shown = deployment.get(f"/ui/api/proposals/{pid}", "gina").json()
    assert (shown["status"], shown["review_comment"]) == ("rejected", reason)
    missing = deployment.get("/ui/api/proposals/prop-000000000000", "gina")
    assert missing.status_code == 404
    assert missing.json()["error"].startswith("[not_found] no proposal 'prop-000000000000'")


def test_the_lineage_answer_is_the_trace_lineage_tool_answer(deployment: Deployment) -> None:
    page = deployment.get("/ui/api/lineage", "rita", ref="stg_orders", direction="both", depth=2)
    assert page.status_code == 200, page.text
    tool = deployment.mcp("rita", "trace_lineage", {"ref": "stg_orders", "direction": "both", "depth": 2})
    assert tool.structured_content is not None
    assert page.json()["root"] == STG_ORDERS
    assert page.json()["nodes"] == tool.structured_content["nodes"]
    assert page.json()["edges"] == tool.structured_content["edges"]
    distances = {n["distance"] for n in page.json()["nodes"]}
    assert min(distances) < 0 < max(distances)

    unknown = deployment.get("/ui/api/lineage", "rita", ref="no_such_model")
    assert unknown.status_code == 404 and unknown.json()["error"].startswith("[not_found]")
    too_deep = deployment.get("/ui/api/lineage", "rita", ref="stg_orders", depth=99)
    assert too_deep.status_code == 400 and too_deep.json()["error"].startswith("[invalid_arguments] depth:")
    traces = [(e.transport, e.principal) for e in entries(deployment) if e.tool == "trace_lineage"]
    assert traces == [("ui", "rita"), ("http", "rita"), ("ui", "rita"), ("ui", "rita")]


def test_without_auth_on_loopback_the_page_acts_as_the_local_principal(
    tmp_path: Path, shop_graph: GraphStore
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("roles:\n  local: {tools: [trace_lineage]}\n  boss: {tools: [audit_log]}\n"
                      "local: {principals: {ada: boss}}\n", encoding="utf-8")
    runtime = build_runtime(Settings(home=tmp_path / "home"), store=shop_graph, policy=load_policy(policy))
    try:
        with serving(build_http_app(runtime, host="127.0.0.1", no_auth=True, principal_name="ada")) as url:
            session = httpx.get(f"{url}/ui/api/session", timeout=60).json()
            audit = httpx.get(f"{url}/ui/api/audit", timeout=60)
            lineage = httpx.get(f"{url}/ui/api/lineage", params={"ref": "stg_orders"}, timeout=60)
    finally:
        runtime.close()
    assert (session["principal"], session["role"], session["auth"]) == ("ada", "boss", "local")
    assert audit.status_code == 200 and [e["tool"] for e in audit.json()["entries"]] == ["ui_session"]
    assert lineage.status_code == 403
