"""Read a Metabase export file (see `models` for its shape): the only module of this ingestor that reads files."""

import json
from pathlib import Path

from pydantic import ValidationError

from ingestors.metabase.errors import MetabaseExportError
from ingestors.metabase.models import MetabaseExport


def read_export(path: Path) -> MetabaseExport:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MetabaseExportError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise MetabaseExportError(f"{path}: is a folder; the Metabase export is one JSON file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MetabaseExportError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MetabaseExportError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict) or not ({"cards", "dashboards", "databases"} & set(data)):
        raise MetabaseExportError(f"{path}: not a Metabase export: expected an object with databases, cards "
                                  "and dashboards")
    try:
        return MetabaseExport.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data.get(loc[0]), list):
            entry = data[loc[0]][loc[1]]
            named = f" (id {entry['id']})" if isinstance(entry, dict) and "id" in entry else ""
            where = f"{loc[0]}[{loc[1]}]{named}" + "".join(f".{p}" for p in loc[2:])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise MetabaseExportError(f"{path}: {where}: {message}") from None
