"""impact_analysis on the shop project against hand-written expectations, on both graph backends.

Each scenario in impact_scenarios.yaml names a change and the exact sets of breaking and at-risk consumers,
written from the project's SQL and YAML. A column-level answer also has to stay inside what the
dataset-level trace reaches.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from graph_schema.kinds import DATASET_KINDS
from server.tools.context import ToolContext
from server.tools.impact_analysis import impact_analysis
from server.tools.names import ToolName
from server.tools.schemas import ImpactInput, ImpactOutput, TraceLineageInput
from server.tools.trace_lineage import trace_lineage
from tests.lineage.labels import flatten, label

SCENARIOS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).with_name("impact_scenarios.yaml")).read_text(encoding="utf-8")
)["scenarios"]
MIN_SCENARIOS = 25


def _impact(make_context: Callable[[ToolName], ToolContext], scenario: dict[str, Any]) -> ImpactOutput:
    args = ImpactInput(ref=scenario["ref"], change=scenario["change"], limit=1000)
    return impact_analysis(make_context(ToolName.IMPACT_ANALYSIS), args)


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= MIN_SCENARIOS
    assert len({s["id"] for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_impact_matches_hand_written_sets(
    make_context: Callable[[ToolName], ToolContext], scenario: dict[str, Any]
) -> None:
    answer = _impact(make_context, scenario)
    breaking = {label(i.id) for i in answer.impacted if i.severity == "breaking"}
    at_risk = {label(i.id) for i in answer.impacted if i.severity == "at_risk"}
    expected_breaking, expected_at_risk = set(flatten(scenario["breaking"])), set(flatten(scenario["at_risk"]))
    assert (sorted(breaking - expected_breaking), sorted(expected_breaking - breaking)) == ([], []), "breaking"
    assert (sorted(at_risk - expected_at_risk), sorted(expected_at_risk - at_risk)) == ([], []), "at_risk"
    assert (answer.summary.breaking, answer.summary.at_risk) == (len(breaking), len(at_risk))
    assert len(answer.impacted) == len({i.id for i in answer.impacted})


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_column_answer_stays_inside_the_dataset_trace(
    make_context: Callable[[ToolName], ToolContext], scenario: dict[str, Any]
) -> None:
    answer = _impact(make_context, scenario)
    trace = trace_lineage(
        make_context(ToolName.TRACE_LINEAGE),
        TraceLineageInput(ref=scenario["ref"], direction="downstream", depth=10),
    )
    reached = {n.id for n in trace.nodes if n.kind in DATASET_KINDS}
    named = {i.id for i in answer.impacted if i.kind in DATASET_KINDS}
    assert named <= reached, sorted(label(i) for i in named - reached)
