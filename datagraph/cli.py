"""`datagraph`: one console command; each concern's commands live in datagraph/commands/."""

import sys

import click
import typer
from rich.console import Console

from rich.markup import escape

from datagraph.commands import audit, demo, ingest, lineage, metric, proposals, query, serve, sql, status
from graph_schema.errors import DatagraphError

app = typer.Typer(
    name="datagraph",
    help="A knowledge-graph context server for data engineering.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("status")(status.status)
app.command("demo")(demo.demo)
app.add_typer(sql.app, name="sql")
app.command("serve")(serve.serve)
app.add_typer(audit.app, name="audit")
app.command("search")(query.search)
app.command("get")(query.get)
app.add_typer(ingest.app, name="ingest")
app.command("lineage")(lineage.lineage)
app.command("impact")(lineage.impact)
app.command("metric")(metric.metric)
app.add_typer(metric.feedback_app, name="feedback")
app.add_typer(proposals.app, name="proposals")

_err = Console(stderr=True)


def main() -> None:
    """Entry point: typed errors become one line on stderr and exit code 2; nothing else is caught."""
    try:
        # Without standalone mode click returns the exit code of typer.Exit instead of exiting.
        code = app(standalone_mode=False)
    except DatagraphError as exc:
        _err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except click.exceptions.Abort:
        _err.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:  # usage errors carry their own exit code
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
