"""Session fixtures for the real services; tests/conftest.py imports them so every test module can use them."""

from collections.abc import Iterator

import pytest

from .neo4j import Neo4jConnection, neo4j_test_server
from .postgres import postgres_test_server


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Neo4jConnection]:
    with neo4j_test_server() as connection:
        yield connection


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_test_server() as url:
        yield url
