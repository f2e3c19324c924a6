"""Every contract tool is registered, with the contract's fields, defaults and descriptions an agent can read."""

from typing import Any

import pytest

from server.tools.names import ToolName
from server.tools.registry import TOOL_SPECS, ToolSpec
from server.tools.schemas.common import PagedInput, PagedResult

SPECS = {spec.name: spec for spec in TOOL_SPECS}

# tool -> (input fields with contract defaults, output fields; "a.b" names a field of a nested object or list item)
CONTRACT: dict[ToolName, tuple[dict[str, Any], list[str]]] = {
    ToolName.SEARCH_ASSETS: (
        {"query": ..., "kinds": None, "limit": 10},
        [f"results.{f}" for f in ("id", "kind", "name", "qualified_name", "description", "score")],
    ),
    ToolName.GET_ASSET: (
        {"ref": ...},
        ["id", "kind", "name", "qualified_name", "description", "owners", "tags", "upstream", "downstream"]
        + ["tests", "sources", "sql"]
        + [f"columns.{f}" for f in ("name", "data_type", "description", "tags")],
    ),
    ToolName.RESOLVE_METRIC: (
        {"question": ..., "limit": 3},
        ["status"]
        + [
            f"metric.{f}"
            for f in (
                "id",
                "name",
                "label",
                "description",
                "type",
                "expression",
                "filter",
                "time_grains",
                "dimensions",
                "source_models",
                "owners",
                "certified",
            )
        ]
        + [f"candidates.{f}" for f in ("id", "name", "label", "score", "reason")],
    ),
    ToolName.TRACE_LINEAGE: (
        {"ref": ..., "column": None, "direction": "upstream", "depth": 5},
        ["root", "truncated"]
        + [f"nodes.{f}" for f in ("id", "kind", "name", "distance")]
        + [f"edges.{f}" for f in ("source", "target", "kind", "transformation")],
    ),
    ToolName.IMPACT_ANALYSIS: (
        {"ref": ..., "change": ..., "depth": 10},
        ["target", "notify", "tests", "summary.breaking", "summary.at_risk"]
        + [f"change.{f}" for f in ("type", "column", "new_name", "new_type")]
        + [f"impacted.{f}" for f in ("id", "kind", "name", "distance", "severity", "reason", "path", "owners")],
    ),
    ToolName.PROPOSE_CHANGE: (
        {"ref": ..., "new_sql": ..., "title": ..., "rationale": ...},
        ["proposal_id", "status", "diff", "impact", "suggested_tests"]
        + [
            f"validation.{f}"
            for f in (
                "parses",
                "errors",
                "columns_added",
                "columns_removed",
                "columns_retyped",
                "contract_violations",
            )
        ],
    ),
    ToolName.REVIEW_PROPOSAL: ({"proposal_id": ..., "decision": ..., "comment": ...}, ["proposal_id", "status"]),
    ToolName.RECENT_CHANGES: (
        {"ref": ..., "scope": "upstream", "since": None},
        [f"changes.{f}" for f in ("asset", "change", "at", "details")],
    ),
    ToolName.AUDIT_LOG: ({"principal": None, "tool": None, "since": None, "limit": 50}, ["entries"]),
    ToolName.RECORD_FEEDBACK: (
        {"kind": ..., "target": ..., "question": None, "value": None, "note": None},
        ["feedback_id", "status"],
    ),
}


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow $ref, anyOf (nullable) and array items down to the object that holds properties."""
    while True:
        if "$ref" in schema:
            schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in schema:
            schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
        elif schema.get("type") == "array" and "items" in schema:
            schema = schema["items"]
        else:
            return schema


def has_field(root: dict[str, Any], dotted: str) -> bool:
    schema = root
    for part in dotted.split("."):
        properties = resolve(schema, root).get("properties", {})
        if part not in properties:
            return False
        schema = properties[part]
    return True


def test_every_tool_has_one_spec() -> None:
    assert [s.name for s in TOOL_SPECS] == list(ToolName)


@pytest.mark.parametrize("tool", list(ToolName))
def test_inputs_match_the_contract(tool: ToolName) -> None:
    spec: ToolSpec = SPECS[tool]
    inputs, _ = CONTRACT[tool]
    fields = spec.input_model.model_fields
    for name, default in inputs.items():
        assert name in fields, f"{tool} lacks input {name}"
        if default is ...:
            assert fields[name].is_required(), f"{tool}.{name} should be required"
        else:
            assert fields[name].default == default, f"{tool}.{name} default"
        assert fields[name].description, f"{tool}.{name} has no description"


@pytest.mark.parametrize("tool", list(ToolName))
def test_outputs_hold_the_contract_fields(tool: ToolName) -> None:
    _, outputs = CONTRACT[tool]
    schema = SPECS[tool].output_model.model_json_schema()
    missing = [f for f in outputs if not has_field(schema, f)]
    assert missing == []
    assert has_field(schema, "truncated")


@pytest.mark.parametrize("tool", list(ToolName))
def test_descriptions_guide_the_agent(tool: ToolName) -> None:
    spec = SPECS[tool]
    assert "Example: {" in spec.description
    assert len(spec.description) > 150
    annotations = spec.annotations
    assert annotations.destructive_hint is False
    assert annotations.read_only_hint == (
        tool not in {ToolName.PROPOSE_CHANGE, ToolName.REVIEW_PROPOSAL, ToolName.RECORD_FEEDBACK}
    )


PAGED = {ToolName.SEARCH_ASSETS: "results", ToolName.IMPACT_ANALYSIS: "impacted", ToolName.RECENT_CHANGES: "changes"}


@pytest.mark.parametrize("tool", list(ToolName))
def test_every_unbounded_list_comes_in_pages(tool: ToolName) -> None:
    spec = SPECS[tool]
    assert spec.paged == PAGED.get(tool)
    if spec.paged is None:
        return
    assert issubclass(spec.input_model, PagedInput) and issubclass(spec.output_model, PagedResult)
    schema = spec.output_model.model_json_schema()
    assert schema["properties"][spec.paged]["type"] == "array"
    assert {"limit", "cursor"} <= set(spec.input_model.model_fields)
