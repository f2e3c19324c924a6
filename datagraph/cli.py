"""`datagraph`: one console command; each concern's commands live in datagraph/commands/."""

import sys

import typer
from rich.console import Console

from datagraph.commands import demo, ingest, sql, status
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
app.add_typer(ingest.app, name="ingest")

_err = Console(stderr=True)


def main() -> None:
    """Entry point: typed errors become one line on stderr and exit code 2; nothing else is caught."""
    try:
        app(standalone_mode=False)
    except DatagraphError as exc:
        _err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click's usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
