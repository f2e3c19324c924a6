"""What one audit entry holds, and the queries and reports over the log."""

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

Decision = Literal["allowed", "denied"]
Outcome = Literal["ok", "error", "denied"]

GENESIS_HASH = "0" * 64


def format_time(moment: datetime) -> str:
    """Fixed-width UTC ISO time, so that stored times sort and compare as text in every backend."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> datetime:
    return datetime.now(UTC)


class AuditRecord(BaseModel):
    """One call as the server saw it, before it is sealed into the chain."""

    model_config = ConfigDict(frozen=True)

    principal: str = Field(description="Who called.")
    role: str = Field(description="The role the call was judged under.")
    transport: str = Field(description="stdio or http (or another front door such as cli).")
    tool: str = Field(description="The tool or endpoint called.")
    arguments: dict[str, JsonValue] = Field(default_factory=dict, description="Arguments, secrets redacted.")
    decision: Decision
    outcome: Outcome
    error: str | None = Field(default=None, description="The error the caller saw, if any.")
    result_size: int = Field(default=0, ge=0, description="Characters of the JSON answer.")
    latency_ms: float = Field(default=0.0, ge=0, description="Time spent serving the call.")


class AuditEntry(AuditRecord):
    """A sealed entry: `hash` = sha256(prev_hash + canonical JSON of every other field)."""

    seq: int = Field(ge=1, description="Position in the chain, from 1, without gaps.")
    time: str = Field(description="UTC time the entry was written (ISO 8601).")
    prev_hash: str = Field(description="Hash of the entry before (64 zeros for the first).")
    hash: str


class AuditQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    principal: str | None = None
    tool: str | None = None
    since: datetime | None = None
    until: datetime | None = Field(default=None, description="Only entries written before this time.")
    outcome: Outcome | None = None
    limit: int = Field(default=50, ge=1, le=10_000)
    cursor: int | None = Field(default=None, ge=1, description="Return entries older than this seq.")


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_cursor: int | None = None


class ChainHead(BaseModel):
    """The last entry's position and hash; kept elsewhere, it lets verify() catch a cut tail."""

    seq: int
    hash: str


class VerifyReport(BaseModel):
    ok: bool
    checked: int = Field(description="Entries read.")
    head: ChainHead | None = Field(default=None, description="Last entry of the chain as read.")
    first_bad_seq: int | None = Field(default=None, description="The first entry that was edited, removed or moved.")
    problem: str | None = None
