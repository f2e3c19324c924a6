"""The generated docs stay true to the code."""

import json

from datagraph.reference import REFERENCE, SNAPSHOT, render


def test_tools_reference_matches_the_pinned_tool_surface():
    expected = render(json.loads(SNAPSHOT.read_text(encoding="utf-8")))
    assert REFERENCE.read_text(encoding="utf-8") == expected, (
        "docs/tools.md is stale: run `python -m datagraph.reference` and commit it"
    )
