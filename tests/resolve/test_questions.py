"""The hand-written question set over both fixture projects: top-1 accuracy, reported and held to 95%."""

from collections import Counter
from pathlib import Path

import pytest

from graph_schema.store import open_store
from graph_schema.vector.embeddings import Embedder
from server.feedback.store_sqlite import SqliteFeedbackStore
from server.search.service import SearchService
from tests.resolve.conftest import Project
from tests.resolve.question_set import Case, describe, judge, load_cases

TARGET_ACCURACY = 0.95


def test_the_question_set_is_varied_enough() -> None:
    cases = load_cases()
    counts = Counter(c.expect for c in cases)
    assert len(cases) >= 80
    assert counts["ambiguous"] >= 10 and counts["not_found"] >= 8
    assert {c.project for c in cases} == {"shop", "saas"}
    assert len({(c.project, c.question.lower()) for c in cases}) == len(cases), "a question is listed twice"


def answer_all(project: Project, cases: list[Case], embedder: Embedder, tmp_path: Path) -> list[tuple[Case, bool, str]]:
    feedback = SqliteFeedbackStore(tmp_path / f"{project.name}-feedback.sqlite")
    service = SearchService(project.settings, embedder=embedder, feedback=feedback)
    results = []
    try:
        with open_store(project.settings, read_only=True) as store:
            for case in cases:
                answer = service.resolve_metric(store, case.question, scope_key="all", visible=lambda _: True)
                results.append((case, judge(case, answer), describe(answer)))
    finally:
        service.close()
        feedback.close()
    return results


def test_top1_accuracy(
    projects: dict[str, Project], embedder: Embedder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = load_cases()
    results = []
    for name, project in projects.items():
        results += answer_all(project, [c for c in cases if c.project == name], embedder, tmp_path)
    correct = sum(ok for _, ok, _ in results)
    accuracy = correct / len(results)
    lines = [f"resolve_metric top-1 accuracy: {correct}/{len(results)} = {accuracy:.1%}"]
    for name in projects:
        mine = [ok for case, ok, _ in results if case.project == name]
        lines.append(f"  {name}: {sum(mine)}/{len(mine)}")
    for expect in ("resolved", "ambiguous", "not_found"):
        mine = [ok for case, ok, _ in results if case.expect == expect]
        lines.append(f"  {expect}: {sum(mine)}/{len(mine)}")
    lines += [f"  wrong: {case.project} {case.question!r} expected {case.expect} {list(case.metrics)}, got {got}"
              for case, ok, got in results if not ok]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert accuracy >= TARGET_ACCURACY, "\n".join(lines)
