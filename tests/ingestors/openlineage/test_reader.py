"""Event files: one JSON event, a JSON list, or NDJSON; every fault names the file and the line."""

import json
from pathlib import Path

import pytest

from ingestors.openlineage.errors import OpenLineageInputError
from ingestors.openlineage.reader import read_events_file

EVENT = {"eventTime": "2024-06-01T00:00:00Z", "producer": "p", "schemaURL": "s",
         "run": {"runId": "3f1c9a52-7d7e-4b4e-9c8e-0a6a2b1d5e01"}, "job": {"namespace": "n", "name": "j"}}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "events.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_one_pretty_printed_event(tmp_path: Path) -> None:
    assert read_events_file(write(tmp_path, "\n" + json.dumps(EVENT, indent=2))) == [(2, EVENT)]


def test_a_list_gives_each_event_its_line(tmp_path: Path) -> None:
    text = "[\n  " + json.dumps(EVENT) + ",\n\n  " + json.dumps(EVENT) + "\n]\n"
    assert [line for line, _ in read_events_file(write(tmp_path, text))] == [2, 4]


def test_ndjson_skips_blank_lines(tmp_path: Path) -> None:
    text = json.dumps(EVENT) + "\n\n" + json.dumps(EVENT) + "\n"
    assert [line for line, _ in read_events_file(write(tmp_path, text))] == [1, 3]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (json.dumps(EVENT) + "\n" + json.dumps(EVENT)[:-5] + "\n", ":2: not valid JSON"),
        ("[\n" + json.dumps(EVENT) + ",\n{broken\n]", ":3: not valid JSON"),
        ('{\n  "eventTime": \n}', ":3: not valid JSON"),
        ("", ": is empty"),
    ],
)
def test_faults_name_file_and_line(tmp_path: Path, text: str, where: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(OpenLineageInputError) as caught:
        read_events_file(path)
    assert str(caught.value).startswith(f"{path}{where}")
    assert "\n" not in str(caught.value)
