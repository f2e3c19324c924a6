"""Answers larger than the token budget are cut, flagged and explained."""

from server.budget import CHARS_PER_TOKEN, fit_to_budget, json_size


def test_small_answers_pass_unchanged() -> None:
    data = {"results": [{"id": "a"}], "truncated": False}
    assert fit_to_budget(data, 1000) == (data, None)


def test_the_largest_list_is_cut_first() -> None:
    data = {
        "root": "x",
        "nodes": [{"id": f"n{i}", "name": "n" * 50} for i in range(2000)],
        "edges": [{"source": "a", "target": "b"} for _ in range(5)],
    }
    fitted, note = fit_to_budget(data, 2000)
    assert json_size(fitted) <= 2000 * CHARS_PER_TOKEN
    assert len(fitted["edges"]) == 5
    assert 0 < len(fitted["nodes"]) < 2000
    assert note is not None and "nodes: kept" in note and "of 2000" in note
    assert len(data["nodes"]) == 2000  # the input is not modified


def test_a_huge_text_is_cut_when_no_list_can_be() -> None:
    data = {"id": "x", "sql": "select 1 " * 20_000}
    fitted, note = fit_to_budget(data, 1000)
    assert json_size(fitted) <= 1000 * CHARS_PER_TOKEN
    assert fitted["sql"].endswith("chars]")
    assert note is not None and "cut" in note
