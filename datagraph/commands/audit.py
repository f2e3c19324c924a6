"""`datagraph audit tail|query|verify|export`: read, check and export the hash-chained audit log."""

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from datagraph.options import HomeOption, settings_for
from graph_schema.config import Settings
from graph_schema.errors import DatagraphError
from graph_schema.models import canonical_json
from server.governance.audit import AUDIT_FILE, AuditLog, open_audit_log
from server.governance.audit_models import AuditEntry, AuditQuery, ChainHead
from server.governance.chain import verify_chain

app = typer.Typer(
    help="Governance over the audit log: read it, check its hash chain, export it.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="One JSON entry per line instead of text.")]


class AuditArgumentError(DatagraphError):
    """An option the audit commands cannot use (a malformed time or anchor, a missing folder)."""


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


@contextmanager
def _opened(settings: Settings) -> Iterator[AuditLog | None]:
    """The audit log, or None when the SQLite file does not exist yet (reading never creates it)."""
    if settings.audit_url is None and not (Path(settings.home) / AUDIT_FILE).exists():
        yield None
        return
    log = open_audit_log(settings)
    try:
        yield log
    finally:
        log.close()


def _line(entry: AuditEntry) -> str:
    arguments = canonical_json(entry.arguments)
    if len(arguments) > 120:
        arguments = arguments[:119] + "…"
    text = (
        f"{entry.seq:>6}  {entry.time}  {entry.principal} ({entry.role}) via {entry.transport}  {entry.tool} "
        f"{arguments}  {entry.decision}/{entry.outcome}  {entry.latency_ms:.1f} ms"
    )
    return text + (f"  {entry.error}" if entry.error else "")


def _print(entries: list[AuditEntry], as_json: bool) -> None:
    for entry in entries:
        typer.echo(canonical_json(entry.model_dump(mode="json")) if as_json else _line(entry))


def _parse_since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise AuditArgumentError(
            f"--since {text!r} is not an ISO 8601 time (e.g. 2024-06-01 or 2024-06-01T12:00:00Z)"
        ) from None


@app.command("tail")
def tail(
    count: Annotated[
        int, typer.Option("-n", "--lines", help="How many of the latest entries.", min=1, max=10_000)
    ] = 20,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """The latest entries, oldest first."""
    with _opened(settings_for(home)) as log:
        if log is None:
            return
        page = log.query(AuditQuery(limit=count))
    _print(list(reversed(page.entries)), as_json)


@app.command("query")
def query(
    principal: Annotated[str | None, typer.Option("--principal", help="Only calls by this principal.")] = None,
    tool: Annotated[str | None, typer.Option("--tool", help="Only calls of this tool, endpoint or capability.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only entries at or after this ISO 8601 time.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Most entries, newest first.", min=1, max=10_000)] = 50,
    before: Annotated[
        int | None, typer.Option("--before", help="Only entries older than this seq (paging).", min=1)
    ] = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Entries matching the filters, newest first."""
    request = AuditQuery(principal=principal, tool=tool, since=_parse_since(since), limit=limit, cursor=before)
    with _opened(settings_for(home)) as log:
        if log is None:
            return
        page = log.query(request)
    _print(page.entries, as_json)
    if page.next_cursor is not None and not as_json:
        typer.echo(f"more: --before {page.next_cursor}", err=True)


def _parse_anchor(text: str | None) -> ChainHead | None:
    if text is None:
        return None
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise AuditArgumentError(
            f"--anchor {text!r} must be SEQ:HASH as printed by an earlier `datagraph audit verify`"
        )
    return ChainHead(seq=int(seq), hash=digest.lower())


@app.command("verify")
def verify(
    anchor: Annotated[
        str | None,
        typer.Option("--anchor", help="A head recorded earlier (SEQ:HASH): also catches entries cut from the end."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    home: HomeOption = None,
) -> None:
    """Walk the hash chain; exit 1 naming the first entry edited, deleted or moved."""
    head = _parse_anchor(anchor)
    with _opened(settings_for(home)) as log:
        report = log.verify(head) if log is not None else verify_chain([], head)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=2))
    elif report.ok:
        where = f"head {report.head.seq}:{report.head.hash}" if report.head else "empty"
        typer.echo(f"audit log intact: {report.checked} entries, {where}")
    else:
        typer.echo(f"audit log TAMPERED: first bad entry is {report.first_bad_seq}: {report.problem}")
    if not report.ok:
        # SystemExit, not typer.Exit: the entry point runs click without standalone mode, which turns
        # typer.Exit into a return value and so into exit status 0.
        sys.exit(1)


@app.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="jsonl (one entry per line) or csv.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")
    ] = None,
    home: HomeOption = None,
) -> None:
    """Every entry, oldest first, as JSON lines or CSV (arguments as canonical JSON text)."""
    with _opened(settings_for(home)) as log, _destination(output) as out:
        count = 0 if log is None else (log.export_jsonl(out) if fmt is ExportFormat.JSONL else log.export_csv(out))
    if output is not None:
        typer.echo(f"exported {count} entries to {output}", err=True)


@contextmanager
def _destination(output: Path | None) -> Iterator[TextIO]:
    """Standard output, or a file written whole: a temporary file beside it renamed over it at the end."""
    if output is None:
        yield sys.stdout
        return
    folder = output.resolve().parent
    if not folder.is_dir():
        raise AuditArgumentError(f"{output}: folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

