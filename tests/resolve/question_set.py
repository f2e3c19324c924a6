"""The hand-written question set and how an answer is judged against it (shared by the test and the bench)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from server.tools.schemas.metrics import ResolveMetricOutput

QUESTIONS_FILE = Path(__file__).resolve().parent / "questions.yaml"


@dataclass(frozen=True)
class Case:
    project: str
    question: str
    expect: Literal["resolved", "ambiguous", "not_found"]
    metrics: tuple[str, ...]  # the answer (resolved) or the lookalikes to offer (ambiguous)


def load_cases(path: Path = QUESTIONS_FILE) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for project, items in raw.items():
        for item in items:
            metrics = item.get("metrics") or ([item["metric"]] if item.get("metric") else [])
            cases.append(Case(project, item["q"], item["expect"], tuple(metrics)))
    return cases


def judge(case: Case, answer: ResolveMetricOutput) -> bool:
    """Top-1 correct: the right status and, when resolved, the right metric; when ambiguous, the two best
    candidates are both lookalikes the question names."""
    if answer.status != case.expect:
        return False
    if case.expect == "resolved":
        return answer.metric is not None and answer.metric.name == case.metrics[0]
    if case.expect == "ambiguous":
        offered = [c.name for c in answer.candidates[:2]]
        return len(offered) == 2 and all(name in case.metrics for name in offered)
    return True


def describe(answer: ResolveMetricOutput) -> str:
    shown = ", ".join(f"{c.name}:{c.score}" for c in answer.candidates)
    return f"{answer.status} {answer.metric.name if answer.metric else '-'} [{shown}]"
