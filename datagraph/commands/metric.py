"""`datagraph metric QUESTION` and `datagraph feedback submit|list|show|approve|reject`.

`metric` and `feedback submit` are governed tool calls (resolve_metric, record_feedback) like an agent's,
as the local principal. Reviewing needs a role the policy lets review (stewards): name the reviewer
with --principal (or DATAGRAPH_PRINCIPAL) and give it that role under `local.principals` in the policy
file. Every review, allowed or refused, is written to the audit log.
"""

import json
import sys
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from datagraph.commands.query import JsonOption, PrincipalOption, answer_or_exit
from datagraph.options import HomeOption, settings_for
from graph_schema.errors import DatagraphError
from server.errors import ToolCallError
from server.feedback.models import FeedbackItem, FeedbackStatus
from server.feedback.review import Decision, review_feedback
from server.feedback.store import open_feedback_store
from server.governance.audit import open_audit_log
from server.governance.policy import load_policy
from server.tools.names import ToolName
from server.governance.principal import local_principal_name

feedback_app = typer.Typer(
    help="Feedback on answers: submit it, and review it (stewards) so that it changes future answers.",
    no_args_is_help=True,
)


def metric(
    question: Annotated[str, typer.Argument(help="The business question or metric name, in your words.")],
    limit: Annotated[int, typer.Option("--limit", help="Most candidates to show.", min=1, max=20)] = 3,
    grain: Annotated[str | None, typer.Option("--grain", help="Time grain of the SQL: day, week, month, ...")] = None,
    as_json: JsonOption = False,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """Resolve a business question to its governed metric: definition, SQL and lookalikes (resolve_metric)."""
    arguments: dict[str, Any] = {"question": question, "limit": limit}
    if grain:
        arguments["grain"] = grain
    answer = answer_or_exit(settings_for(home), ToolName.RESOLVE_METRIC, arguments, principal)
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    print_resolution(Console(), question, answer)


def print_resolution(console: Console, question: str, answer: dict[str, Any]) -> None:
    status = answer["status"]
    console.print(f"[bold]{status}[/]: {answer.get('note') or ''}", highlight=False)
    found = answer.get("metric")
    if found:
        table = Table(show_header=False, title=f"{found['label'] or found['name']} ({found['id']})")
        for key in ("description", "type", "expression", "filter", "measure", "aggregation", "inputs",
                    "time_grains", "dimensions", "source_models", "owners", "certified", "deprecated"):
            value = found.get(key)
            if value not in (None, "", []):
                table.add_row(key, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
        console.print(table)
        if found.get("sql"):
            console.print(f"SQL ({found['sql_dialect']}, per {found['sql_grain']}):")
            console.print(Syntax(found["sql"], "sql", word_wrap=True))
        elif found.get("sql_note"):
            console.print(f"SQL: {found['sql_note']}", highlight=False)
    if answer["candidates"]:
        table = Table("score", "metric", "type", "why", title="candidates" if status != "resolved" else "also close")
        for c in answer["candidates"]:
            table.add_row(f"{c['score']:.2f}", c["label"] or c["name"], c.get("type", ""), c["reason"])
        console.print(table)
    if status == "not_found":
        console.print(f"no governed metric answers {question!r}", highlight=False)


@feedback_app.command("submit")
def submit(
    kind: Annotated[str, typer.Argument(help="correct_answer, synonym, deprecate or note.")],
    target: Annotated[str, typer.Argument(help="The metric or asset concerned (id or name).")],
    question: Annotated[str | None, typer.Option("--question", help="For correct_answer: the question.")] = None,
    value: Annotated[
        str | None, typer.Option("--value", help="For synonym: the other name; for deprecate: the replacement.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Free text for the reviewer.")] = None,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """Record feedback (the record_feedback tool); it waits for a steward's review."""
    arguments = {k: v for k, v in
                 {"kind": kind, "target": target, "question": question, "value": value, "note": note}.items()
                 if v is not None}
    answer = answer_or_exit(settings_for(home), ToolName.RECORD_FEEDBACK, arguments, principal)
    typer.echo(f"{answer['feedback_id']} {answer['status']}")


@feedback_app.command("list")
def list_feedback(
    status: Annotated[
        str, typer.Option("--status", help="pending_review, approved, rejected or all.")
    ] = "pending_review",
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Feedback items, newest first."""
    wanted = None if status == "all" else _status(status)
    store = open_feedback_store(settings_for(home))
    try:
        items = store.list(wanted, limit=limit)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([i.model_dump(mode="json") for i in items], indent=2))
        return
    table = Table("id", "status", "kind", "target", "value / question", "by", "at")
    for item in items:
        detail = item.value or item.question or item.note or ""
        table.add_row(item.feedback_id, item.status.value, item.kind.value, item.target_id, detail,
                      item.submitted_by, f"{item.submitted_at:%Y-%m-%d %H:%M}")
    Console().print(table)


@feedback_app.command("show")
def show(feedback_id: Annotated[str, typer.Argument()], home: HomeOption = None) -> None:
    """One feedback item as JSON."""
    store = open_feedback_store(settings_for(home))
    try:
        item = store.get(feedback_id)
    finally:
        store.close()
    if item is None:
        _fail(f"no feedback item {feedback_id!r}")
    typer.echo(json.dumps(item.model_dump(mode="json"), indent=2))


@feedback_app.command("approve")
def approve(
    feedback_id: Annotated[str, typer.Argument()],
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """Approve a pending item: from now on it changes answers."""
    _review(feedback_id, "approve", comment, principal, home)


@feedback_app.command("reject")
def reject(
    feedback_id: Annotated[str, typer.Argument()],
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    principal: PrincipalOption = None,
    home: HomeOption = None,
) -> None:
    """Reject a pending item: it never changes answers."""
    _review(feedback_id, "reject", comment, principal, home)


def _review(feedback_id: str, decision: Decision, comment: str | None, principal: str | None, home: Any) -> None:
    settings = settings_for(home)
    policy = load_policy(settings.policy)
    reviewer = policy.local_principal(local_principal_name(principal))
    store = open_feedback_store(settings)
    audit = open_audit_log(settings)
    try:
        item: FeedbackItem = review_feedback(store, policy, audit, reviewer, feedback_id, decision, comment)
    except ToolCallError as exc:
        _fail(str(exc))
    finally:
        store.close()
        audit.close()
    typer.echo(f"{item.feedback_id} {item.status.value} by {item.reviewed_by}")


def _status(text: str) -> FeedbackStatus:
    try:
        return FeedbackStatus(text)
    except ValueError:
        raise DatagraphError(f"--status {text!r} is not one of pending_review, approved, rejected, all") from None


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    sys.exit(2)
