"""The governance wrapper: every call, allowed, denied or failed, leaves exactly one audit entry."""

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel

from graph_schema.config import Settings
from server.governance.audit import AuditLog
from server.governance.audit_models import AuditEntry
from server.governance.audit_sqlite import SqliteAuditStore
from server.governance.policy import load_policy
from server.governance.principal import Principal
from server.governance.ratelimit import RateLimiter
from server.governed import governed
from server.runtime import Runtime
from server.tools.names import ToolName
from server.tools.registry import TOOL_SPECS, ToolSpec
from server.tools.schemas import SearchAssetsOutput
from tests.server.handlers import crashing_search, echo_search, huge_search, missing_search

ANN = Principal(name="ann", role="analyst")
SEARCH = next(s for s in TOOL_SPECS if s.name is ToolName.SEARCH_ASSETS)
REVIEW = next(s for s in TOOL_SPECS if s.name is ToolName.REVIEW_PROPOSAL)


def call(
    runtime: Runtime, spec: ToolSpec, arguments: dict[str, Any], principal: Principal = ANN
) -> BaseModel | CallToolResult:
    tool = governed(spec, runtime, "stdio", lambda: principal)

    async def run() -> BaseModel | CallToolResult:
        return await tool(arguments)

    return anyio.run(run)


def error_text(result: BaseModel | CallToolResult) -> str:
    assert isinstance(result, CallToolResult) and result.is_error
    content = result.content[0]
    assert isinstance(content, TextContent)
    return content.text


def entries(runtime: Runtime) -> list[AuditEntry]:
    return list(runtime.audit.entries())


def test_allowed_call_answers_and_is_audited(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    result = call(runtime, replace(SEARCH, handler=echo_search), {"query": "orders", "limit": "2"})

    assert isinstance(result, SearchAssetsOutput)
    assert [r.name for r in result.results] == ["orders", "orders"]
    assert result.results[0].description == "asked by ann as analyst"
    [entry] = entries(runtime)
    assert (entry.principal, entry.role, entry.transport, entry.tool) == ("ann", "analyst", "stdio", "search_assets")
    assert (entry.decision, entry.outcome, entry.error) == ("allowed", "ok", None)
    assert entry.arguments == {"query": "orders", "limit": "2"}
    assert entry.result_size > 0 and entry.latency_ms >= 0


def test_denied_call_does_not_run_and_is_audited(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    ran: list[object] = []

    def spy(ctx: object, args: object) -> BaseModel:
        ran.append(args)
        raise AssertionError("a denied tool must not run")

    result = call(runtime, replace(REVIEW, handler=spy), {"proposal_id": "p1", "decision": "approve", "comment": "ok"})

    assert error_text(result) == "[permission_denied] role 'analyst' may not call 'review_proposal'"
    assert ran == []
    [entry] = entries(runtime)
    assert (entry.decision, entry.outcome) == ("denied", "denied")
    assert entry.error == "[permission_denied] role 'analyst' may not call 'review_proposal'"


def test_invalid_arguments_are_an_audited_error(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    result = call(runtime, replace(SEARCH, handler=echo_search), {"query": "x", "limit": 1000, "password": "pw"})

    text = error_text(result)
    assert text.startswith("[invalid_arguments] ")
    assert "limit" in text and "password" in text
    [entry] = entries(runtime)
    assert (entry.decision, entry.outcome) == ("allowed", "error")
    assert entry.arguments["password"] == "[redacted]"


def test_permission_is_checked_before_arguments(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    text = error_text(call(runtime, REVIEW, {"nonsense": True}))
    assert text.startswith("[permission_denied]")


def test_limits_deny_before_running(make_runtime: Callable[..., Runtime], write_policy: Callable[[str], Path]) -> None:
    policy = load_policy(
        write_policy("roles:\n  local: {tools: [search_assets]}\nlimits:\n  search_assets: {max_results: 5}\n")
    )
    runtime = make_runtime(policy)
    me = Principal(name="me", role="local")
    text = error_text(call(runtime, replace(SEARCH, handler=echo_search), {"query": "x", "limit": 6}, me))
    assert text == "[limit_exceeded] limit 6 is above max_results 5 for 'search_assets'; ask for at most 5"
    assert entries(runtime)[-1].decision == "denied"


def test_handler_errors_reach_the_caller_and_the_log(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    text = error_text(call(runtime, replace(SEARCH, handler=missing_search), {"query": "ordrs"}))
    assert text == "[not_found] no asset matches 'ordrs'; candidates: main.orders, main.customers"
    assert entries(runtime)[-1].error == text


def test_crashes_do_not_leak_details(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    text = error_text(call(runtime, replace(SEARCH, handler=crashing_search), {"query": "x"}))
    assert text == "[internal_error] 'search_assets' failed unexpectedly; the server log has the details"
    assert "hunter2" not in entries(runtime)[-1].model_dump_json()


def test_rate_limited_calls_are_denied_and_audited(
    make_runtime: Callable[..., Runtime], write_policy: Callable[[str], Path]
) -> None:
    policy = load_policy(
        write_policy("roles:\n  local: {tools: [search_assets]}\nrate_limit: {requests_per_minute: 1}\n")
    )
    runtime = make_runtime(policy)
    me = Principal(name="me", role="local")
    spec = replace(SEARCH, handler=echo_search)
    assert isinstance(call(runtime, spec, {"query": "x"}, me), SearchAssetsOutput)
    assert error_text(call(runtime, spec, {"query": "x"}, me)).startswith("[rate_limited] principal 'me'")
    assert [(e.decision, e.outcome) for e in entries(runtime)] == [("allowed", "ok"), ("denied", "denied")]


def test_big_answers_are_cut_to_the_budget(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(token_budget=2000)
    result = call(runtime, replace(SEARCH, handler=huge_search), {"query": "x", "limit": 100})
    assert isinstance(result, SearchAssetsOutput)
    assert result.truncated and result.truncation_note and "results: kept" in result.truncation_note
    assert "items 1-100 of 5000" in result.truncation_note and result.next_cursor is not None
    assert 0 < len(result.results) < 100
    assert len(result.model_dump_json()) <= 2000 * 4
    assert entries(runtime)[-1].result_size <= 2000 * 4


def test_unwritable_audit_refuses_the_answer(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    policy = load_policy(None)
    runtime = Runtime(
        settings=Settings(home=tmp_path),
        policy=policy,
        audit=AuditLog(SqliteAuditStore(path, busy_timeout_s=0.2)),
        limiter=RateLimiter(policy),
    )
    call(runtime, replace(SEARCH, handler=echo_search), {"query": "warm-up"})
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the log
    try:
        result = call(runtime, replace(SEARCH, handler=echo_search), {"query": "secret plans"})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert error_text(result).startswith("[audit_unavailable] cannot write the audit log")
    assert len(entries(runtime)) == 1
    runtime.close()


def test_audit_log_tool_reads_the_log(make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime()
    gov = Principal(name="gina", role="governance")
    spec = replace(SEARCH, handler=echo_search)
    for query in ("a", "b", "c"):
        call(runtime, spec, {"query": query})
    audit_spec = next(s for s in TOOL_SPECS if s.name is ToolName.AUDIT_LOG)
    page = call(runtime, audit_spec, {"principal": "ann", "limit": 2}, gov)
    dumped = page.model_dump()
    assert [e["arguments"]["query"] for e in dumped["entries"]] == ["c", "b"]
    assert dumped["next_cursor"] == 2
    assert error_text(call(runtime, audit_spec, {}, ANN)).startswith("[permission_denied]")
