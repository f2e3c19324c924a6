"""Options every command shares, and how they become Settings."""

from pathlib import Path
from typing import Annotated

import typer

from graph_schema.config import Settings, load_settings

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="State folder of the embedded default (overrides DATAGRAPH_HOME).", show_default=False),
]


def settings_for(home: Path | None) -> Settings:
    return load_settings(home=home)
