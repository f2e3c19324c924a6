"""docker-compose.yml is checked against the Compose specification's JSON schema and our own rules.

No Docker engine runs here, so the file is validated, not started.
"""

import json
import re
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_file_follows_the_compose_spec(compose):
    schema = json.loads(files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text())
    jsonschema.validate(compose, schema)


def test_the_production_stack_has_every_service(compose):
    services = compose["services"]
    assert set(services) == {"neo4j", "qdrant", "postgres", "datagraph"}
    assert services["neo4j"]["image"].startswith("neo4j:5.26")
    assert "community" in services["neo4j"]["image"]
    assert services["datagraph"]["command"][:4] == ["datagraph", "serve", "--transport", "http"]


def test_every_service_has_a_health_check_and_the_server_waits_for_them(compose):
    services = compose["services"]
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
    needs = services["datagraph"]["depends_on"]
    assert {k: v["condition"] for k, v in needs.items()} == {
        "neo4j": "service_healthy", "qdrant": "service_healthy", "postgres": "service_healthy",
    }


def test_ports_are_published_on_loopback_only(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert re.match(r"^127\.0\.0\.1:\d+:\d+$", port), f"{name} publishes {port} beyond loopback"


def test_the_server_is_configured_through_the_contract_variables(compose):
    env = compose["services"]["datagraph"]["environment"]
    assert env["DATAGRAPH_GRAPH_URI"].startswith("bolt://")
    assert env["DATAGRAPH_QDRANT_URL"].startswith("http://")
    assert env["DATAGRAPH_AUDIT_URL"].startswith("postgresql://")
    assert "DATAGRAPH_POLICY" in env
    # secrets come from the environment, never from the file
    assert all("${" in env[k] for k in ("DATAGRAPH_NEO4J_PASSWORD", "DATAGRAPH_AUDIT_URL"))
