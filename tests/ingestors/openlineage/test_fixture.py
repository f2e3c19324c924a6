"""The committed events file is what the openlineage-python client writes for the shop's loads."""

import json
from typing import Any

from tests.ingestors.openlineage.shop_events import FIXTURE, build_events, to_ndjson


def _without_client_version(value: Any) -> Any:
    # facets name the client release that wrote them; that is not what the fixture is about
    if isinstance(value, dict):
        return {k: _without_client_version(v) for k, v in value.items() if k not in ("_producer", "_schemaURL")}
    if isinstance(value, list):
        return [_without_client_version(v) for v in value]
    return value


def test_fixture_is_client_output() -> None:
    committed = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    built = [json.loads(line) for line in to_ndjson(build_events()).splitlines()]
    assert len(committed) == 14
    assert _without_client_version(committed) == _without_client_version(built)
