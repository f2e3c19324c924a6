"""Every hand-written case in cases/*.yaml: the engine must give exactly the lineage written there.

A case holds `sql`, `dialect`, optional `schema`, `default_catalog`, `default_db`, and the expected answer:
`columns` (output name -> list of [table, column, transformation], in output order), `row_shaping`
(list of [table, column, role]), `read` and `write` tables. `confidence` lists [output, table, column,
value] for every source that is not certain; every other source must be certain (1.0).
"""

from pathlib import Path
from typing import Any

import pytest
import yaml

from graph_schema.sql_lineage import RESOLVED, analyze

CASES_DIR = Path(__file__).parent / "cases"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text())["cases"]:
            params.append(pytest.param(case, id=f"{path.stem}:{case['name']}"))
    return params


CASES = _load_cases()


def _expected_columns(spec: Any) -> list[tuple[str, list[tuple[str, str, str]]]]:
    # a mapping, or a list of one-key mappings when an output name repeats
    items = spec.items() if isinstance(spec, dict) else [next(iter(m.items())) for m in spec]
    return [(str(name), sorted(tuple(s) for s in sources)) for name, sources in items]


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict[str, Any]) -> None:
    result = analyze(
        case["sql"],
        case["dialect"],
        case.get("schema"),
        default_catalog=case.get("default_catalog"),
        default_db=case.get("default_db"),
    )
    got_columns = [
        (col.name, sorted((s.table, s.column, s.transformation.value) for s in col.sources)) for col in result.columns
    ]
    assert got_columns == _expected_columns(case.get("columns", {}))

    got_shaping = sorted((s.table, s.column, s.role.value) for s in result.row_shaping)
    assert got_shaping == sorted(tuple(s) for s in case.get("row_shaping", []))

    assert result.tables.read == sorted(case.get("read", []))
    assert result.tables.write == case.get("write", [])

    uncertain = {(o, t, c): v for o, t, c, v in case.get("confidence", [])}
    got_confidence = {(col.name, s.table, s.column): s.confidence for col in result.columns for s in col.sources}
    for key, value in got_confidence.items():
        assert value == pytest.approx(uncertain.get(key, RESOLVED)), key
    assert set(uncertain) <= set(got_confidence)


def test_case_collection_covers_the_brief() -> None:
    dialects: dict[str, int] = {}
    for param in CASES:
        case = param.values[0]
        dialects[case["dialect"]] = dialects.get(case["dialect"], 0) + 1
    assert len(CASES) >= 80
    assert sum(1 for n in dialects.values() if n >= 5) >= 3
    names = [param.id for param in CASES]
    assert len(names) == len(set(names))
