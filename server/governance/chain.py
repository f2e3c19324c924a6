"""The hash chain: sealing a record into an entry and walking the chain to find the first broken link."""

import hashlib
from collections.abc import Iterable
from datetime import datetime

from graph_schema.models import canonical_json
from server.governance.audit_models import (
    GENESIS_HASH,
    AuditEntry,
    AuditRecord,
    ChainHead,
    VerifyReport,
    format_time,
)


def entry_hash(fields: dict[str, object], prev_hash: str) -> str:
    """sha256 of prev_hash followed by the canonical JSON of every field but `hash`."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.sha256((prev_hash + canonical_json(body)).encode()).hexdigest()


def seal(record: AuditRecord, seq: int, moment: datetime, prev_hash: str) -> AuditEntry:
    fields = record.model_dump(mode="json") | {"seq": seq, "time": format_time(moment), "prev_hash": prev_hash}
    fields["latency_ms"] = round(float(fields["latency_ms"]), 3)
    return AuditEntry.model_validate(fields | {"hash": entry_hash(fields, prev_hash)})


def verify_chain(entries: Iterable[AuditEntry], anchor: ChainHead | None = None) -> VerifyReport:
    """Walk entries in seq order and report the first one that was edited, removed or moved.

    A chain checks itself only up to its last entry: to catch entries cut from the end, pass an
    `anchor` (a head recorded earlier) and the chain must still contain it unchanged.
    """
    prev_seq = 0
    prev_hash = GENESIS_HASH
    checked = 0
    anchor_seen = anchor is None
    for entry in entries:
        checked += 1
        broken = _broken_link(entry, prev_seq, prev_hash)
        if broken is not None:
            bad_seq, problem = broken
            return VerifyReport(
                ok=False,
                checked=checked,
                head=ChainHead(seq=prev_seq, hash=prev_hash) if prev_seq else None,
                first_bad_seq=bad_seq,
                problem=problem,
            )
        if anchor is not None and entry.seq == anchor.seq:
            if entry.hash != anchor.hash:
                return VerifyReport(
                    ok=False,
                    checked=checked,
                    head=ChainHead(seq=entry.seq, hash=entry.hash),
                    first_bad_seq=entry.seq,
                    problem=f"entry {entry.seq} differs from the recorded head",
                )
            anchor_seen = True
        prev_seq, prev_hash = entry.seq, entry.hash
    head = ChainHead(seq=prev_seq, hash=prev_hash) if checked else None
    if not anchor_seen and anchor is not None:
        return VerifyReport(
            ok=False,
            checked=checked,
            head=head,
            first_bad_seq=prev_seq + 1,
            problem=f"entries {prev_seq + 1}..{anchor.seq} are missing: the log ends before the recorded head",
        )
    return VerifyReport(ok=True, checked=checked, head=head)


def _broken_link(entry: AuditEntry, prev_seq: int, prev_hash: str) -> tuple[int, str] | None:
    """(the first bad seq, what is wrong) if `entry` does not continue the chain ending at prev_seq/prev_hash."""
    expected = prev_seq + 1
    if entry.seq > expected:
        span = f"{expected}" if entry.seq == expected + 1 else f"{expected}..{entry.seq - 1}"
        return expected, f"entry {span} is missing: seq jumps from {prev_seq} to {entry.seq}"
    if entry.seq < expected:
        return entry.seq, f"entry {entry.seq} is out of order after entry {prev_seq}"
    if entry.hash != entry_hash(entry.model_dump(mode="json"), entry.prev_hash):
        return entry.seq, f"entry {entry.seq} was altered or moved: its hash does not match its contents"
    if entry.prev_hash != prev_hash:
        if prev_seq == 0:
            return entry.seq, f"entry {entry.seq} does not start the chain: its prev_hash is not the genesis hash"
        # This entry is intact, so the one before it is not the entry it was chained to: it was re-sealed.
        return prev_seq, f"entry {prev_seq} was replaced: entry {entry.seq}'s prev_hash does not match its hash"
    return None
