"""SQL shared by the SQLite and PostgreSQL audit stores; values always travel as parameters."""

import json
from collections.abc import Sequence
from typing import Any

from graph_schema.models import canonical_json
from server.governance.audit_models import AuditEntry, AuditQuery, format_time

TABLE = "datagraph_audit_log"
COLUMNS: tuple[str, ...] = (
    "seq",
    "time",
    "principal",
    "role",
    "transport",
    "tool",
    "arguments",
    "decision",
    "outcome",
    "error",
    "result_size",
    "latency_ms",
    "prev_hash",
    "hash",
)
SELECT_COLUMNS = ", ".join(f'"{c}"' for c in COLUMNS)
LAST_ENTRY = f'SELECT "seq", "hash" FROM {TABLE} ORDER BY "seq" DESC LIMIT 1'


def insert_sql(placeholder: str) -> str:
    marks = ", ".join([placeholder] * len(COLUMNS))
    return f"INSERT INTO {TABLE} ({SELECT_COLUMNS}) VALUES ({marks})"


def entry_params(entry: AuditEntry) -> tuple[Any, ...]:
    data = entry.model_dump(mode="json")
    data["arguments"] = canonical_json(data["arguments"])
    return tuple(data[c] for c in COLUMNS)


def row_to_entry(row: Sequence[Any]) -> AuditEntry:
    data = dict(zip(COLUMNS, row, strict=True))
    data["arguments"] = json.loads(data["arguments"])
    return AuditEntry.model_validate(data)


def query_sql(query: AuditQuery, placeholder: str) -> tuple[str, list[Any]]:
    """Newest first, filtered; `cursor` continues below the last seq of the previous page."""
    where: list[str] = []
    params: list[Any] = []
    if query.principal is not None:
        where.append(f'"principal" = {placeholder}')
        params.append(query.principal)
    if query.tool is not None:
        where.append(f'"tool" = {placeholder}')
        params.append(query.tool)
    if query.since is not None:
        where.append(f'"time" >= {placeholder}')
        params.append(format_time(query.since))
    if query.until is not None:
        where.append(f'"time" < {placeholder}')
        params.append(format_time(query.until))
    if query.outcome is not None:
        where.append(f'"outcome" = {placeholder}')
        params.append(query.outcome)
    if query.cursor is not None:
        where.append(f'"seq" < {placeholder}')
        params.append(query.cursor)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    params.append(query.limit)
    return f'SELECT {SELECT_COLUMNS} FROM {TABLE}{clause} ORDER BY "seq" DESC LIMIT {placeholder}', params


def batch_sql(placeholder: str) -> str:
    return f'SELECT {SELECT_COLUMNS} FROM {TABLE} WHERE "seq" > {placeholder} ORDER BY "seq" LIMIT {placeholder}'
