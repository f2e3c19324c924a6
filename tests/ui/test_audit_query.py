"""The audit query's outcome and time-range filters (the page's audit section) on SQLite and PostgreSQL."""

from datetime import datetime

from server.governance.audit import AuditLog
from server.governance.audit_models import AuditQuery, AuditRecord, Outcome
from tests.server.conftest import RawAudit, audit_backend, postgres_audit_url  # noqa: F401  (fixtures)


def record(outcome: Outcome, principal: str) -> AuditRecord:
    decision = "denied" if outcome == "denied" else "allowed"
    return AuditRecord(principal=principal, role="r", transport="ui", tool="t", decision=decision, outcome=outcome)


def test_outcome_and_until_filter_with_the_others(audit_backend: tuple[AuditLog, RawAudit]) -> None:  # noqa: F811
    log, _ = audit_backend
    written = [
        log.append(record(outcome, principal))
        for outcome, principal in (("ok", "a"), ("error", "b"), ("denied", "a"), ("ok", "b"), ("denied", "b"))
    ]
    at = [datetime.fromisoformat(e.time) for e in written]

    def found(**filters: object) -> list[int]:
        return [e.seq for e in log.query(AuditQuery.model_validate(filters)).entries]

    assert found(outcome="denied") == [5, 3]
    assert found(outcome="denied", principal="b") == [5]
    assert found(until=at[2]) == [2, 1]  # until is exclusive, since inclusive
    assert found(since=at[1], until=at[4]) == [4, 3, 2]
    assert found(since=at[1], until=at[4], outcome="ok") == [4]
    assert found(outcome="error", limit=1) == [2]
