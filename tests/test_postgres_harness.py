"""The PostgreSQL the suite runs against is real and reachable."""

import psycopg
import pytest

pytestmark = pytest.mark.postgres


def test_postgres_answers_sql(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        row = connection.execute("SELECT %s::int + 1", (1,)).fetchone()
        version = connection.info.server_version

    assert row == (2,)
    assert version >= 120000
