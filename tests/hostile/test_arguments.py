"""Every tool argument, fuzzed through the governance wrapper in-process on both graph backends.

Each hostile call must end as an answer or a `[code]` tool error (never a crash or a database error),
leave exactly one audit entry, show nothing outside a scoped role's scope, and change nothing in the graph.
"""

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_schema.config import Settings
from graph_schema.store import GraphStore
from server.governance.policy import load_policy
from server.governance.principal import Principal
from server.runtime import Runtime, build_runtime
from server.tools.names import ToolName
from tests.hostile.conftest import HostileTally
from tests.hostile.graphs import AUDITOR, SCOPED, SCOPED_POLICY, assert_nothing_hidden, estate_graph, hidden_names
from tests.hostile.payloads import STRING_CATEGORIES, VALUE_CATEGORIES
from tests.server.calls import SPECS, call

__all__ = ["estate_graph"]  # the module-scoped fixture, imported so pytest finds it

pytestmark = pytest.mark.timeout(600)

BASE: dict[ToolName, dict[str, Any]] = {
    ToolName.SEARCH_ASSETS: {"query": "orders"},
    ToolName.GET_ASSET: {"ref": "stg_orders"},
    ToolName.RESOLVE_METRIC: {"question": "revenue"},
    ToolName.TRACE_LINEAGE: {"ref": "stg_orders", "column": "status", "direction": "both"},
    ToolName.IMPACT_ANALYSIS: {"ref": "stg_orders", "change": {"type": "rename_column", "column": "status", "new_name": "s"}},
    ToolName.PROPOSE_CHANGE: {"ref": "stg_orders", "new_sql": "select 1 as x", "title": "t", "rationale": "r"},
    ToolName.REVIEW_PROPOSAL: {"proposal_id": "p-1", "decision": "reject", "comment": "c"},
    ToolName.RECENT_CHANGES: {"ref": "stg_orders", "scope": "upstream"},
    ToolName.AUDIT_LOG: {"principal": "sam", "tool": "get_asset", "limit": 5},
    ToolName.RECORD_FEEDBACK: {"kind": "note", "target": "stg_orders", "note": "n", "question": "q", "value": "v"},
}
TOOLS = list(BASE)
ERROR = re.compile(r"^\[[a-z_]+\] ")
# What an error would say if argument text had reached a database as query text.
DATABASE_WORDS = ("CypherSyntaxError", "Neo.ClientError", "syntax error", "sqlite3", "psycopg", "Traceback", "Binder")


class Harness:
    """One runtime over the estate for a scoped principal, and the checks every hostile call must pass."""

    def __init__(self, runtime: Runtime, store: GraphStore) -> None:
        self.runtime = runtime
        self.store = store
        self.hidden = hidden_names(store, runtime.policy, SCOPED)
        self.entries = sum(1 for _ in runtime.audit.entries())

    def check(self, tool: ToolName, arguments: dict[str, Any]) -> None:
        principal: Principal = AUDITOR if tool is ToolName.AUDIT_LOG else SCOPED
        result = call(self.runtime, tool, arguments, principal)
        if isinstance(result, dict):
            text = json.dumps(result)
        else:
            assert result.is_error
            text = result.content[0].text
            assert ERROR.match(text), f"{tool}: not a [code] tool error: {text[:200]}"
            assert not text.startswith("[internal_error]"), f"{tool} crashed on {_short(arguments)}"
            assert not any(word in text for word in DATABASE_WORDS), f"{tool}: database error leaked: {text[:200]}"
        if principal is SCOPED:
            assert_nothing_hidden(text, self.hidden, f"{tool} answering {_short(arguments)}")
        after = sum(1 for _ in self.runtime.audit.entries())
        assert after == self.entries + 1, f"{tool}: {after - self.entries} audit entries for one call"
        self.entries = after


def _short(arguments: dict[str, Any]) -> str:
    return repr(arguments)[:160]


@pytest.fixture(scope="module")
def harness(estate_graph: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    folder = tmp_path_factory.mktemp("hostile-args")
    policy_file = folder / "policy.yaml"
    policy_file.write_text(SCOPED_POLICY, encoding="utf-8")
    runtime = build_runtime(Settings(home=folder / "home"), store=estate_graph, policy=load_policy(policy_file))
    before = (estate_graph.stats(), estate_graph.current_run())
    yield Harness(runtime, estate_graph)
    try:
        assert runtime.audit.verify().ok, "the audit chain does not verify after the hostile calls"
        assert (estate_graph.stats(), estate_graph.current_run()) == before, "hostile calls changed the graph"
    finally:
        runtime.close()


def string_fields(tool: ToolName) -> list[str]:
    model = SPECS[tool].input_model
    return [name for name, field in model.model_fields.items() if "str" in str(field.annotation)]


def variants(tool: ToolName) -> Iterator[dict[str, Any]]:
    """The tool's base arguments with one field replaced by each payload, plus unknown extra fields."""
    base = BASE[tool]
    for name in SPECS[tool].input_model.model_fields:
        categories = (STRING_CATEGORIES | VALUE_CATEGORIES) if name in string_fields(tool) else VALUE_CATEGORIES
        for payloads in categories.values():
            for payload in payloads:
                yield {**base, name: payload}
    for extra in ({"role": "governance"}, {"principal": "root"}, {"__proto__": {"admin": True}}):
        yield {**base, **extra}


@pytest.mark.parametrize("tool", TOOLS, ids=[t.value for t in TOOLS])
def test_injection_payloads_in_every_argument(harness: Harness, hostile: HostileTally, tool: ToolName) -> None:
    tried = 0
    for arguments in variants(tool):
        harness.check(tool, arguments)
        tried += 1
    hostile.tried("arguments", tried)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def fuzzed_arguments(tool: ToolName) -> st.SearchStrategy[dict[str, Any]]:
    """Base arguments with some fields replaced by arbitrary JSON or text, and maybe an unknown field."""
    names = list(SPECS[tool].input_model.model_fields)
    value = st.one_of(st.text(max_size=200), JSON_VALUES)
    replaced = st.dictionaries(st.sampled_from(names), value, max_size=len(names))
    extra = st.dictionaries(st.text(min_size=1, max_size=10), JSON_VALUES, max_size=1)
    return st.builds(lambda r, e: {**BASE[tool], **e, **r}, replaced, extra)


@pytest.mark.parametrize("tool", TOOLS, ids=[t.value for t in TOOLS])
def test_generated_arguments(harness: Harness, hostile: HostileTally, tool: ToolName) -> None:
    @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(fuzzed_arguments(tool))
    def run(arguments: dict[str, Any]) -> None:
        harness.check(tool, arguments)
        hostile.tried("arguments")

    run()
