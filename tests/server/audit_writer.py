"""A separate process appending to an audit log: `python -m tests.server.audit_writer BACKEND LOCATION COUNT NAME`."""

import sys
from pathlib import Path

from server.governance.audit import AuditLog
from server.governance.audit_models import AuditRecord
from server.governance.audit_postgres import PostgresAuditStore
from server.governance.audit_sqlite import SqliteAuditStore


def main(backend: str, location: str, count: int, name: str) -> None:
    store = SqliteAuditStore(Path(location)) if backend == "sqlite" else PostgresAuditStore(location)
    log = AuditLog(store)
    for i in range(count):
        log.append(
            AuditRecord(
                principal=name,
                role="analyst",
                transport="stdio",
                tool="search_assets",
                arguments={"i": i},
                decision="allowed",
                outcome="ok",
            )
        )
    log.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
