"""Validate a tool call's raw arguments into its input model, with messages an agent can act on."""

import json
from typing import Any

from pydantic import ValidationError

from server.errors import InvalidArgumentsError
from server.tools.schemas.common import ToolInput

_MAX_REPORTED = 3


def _wants_text(model: type[ToolInput], key: str) -> bool:
    field = model.model_fields.get(key)
    return field is None or field.annotation in (str, str | None)


def _pre_parse(model: type[ToolInput], arguments: dict[str, Any]) -> dict[str, Any]:
    """Some clients send lists and objects as JSON text; decode those for fields that are not text."""
    parsed = dict(arguments)
    for key, value in arguments.items():
        if isinstance(value, str) and value[:1] in ("[", "{") and not _wants_text(model, key):
            try:
                decoded = json.loads(value)
            except ValueError:
                continue
            if isinstance(decoded, list | dict):
                parsed[key] = decoded
    return parsed


def parse_arguments(model: type[ToolInput], arguments: dict[str, Any]) -> ToolInput:
    try:
        return model.model_validate(_pre_parse(model, arguments))
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:_MAX_REPORTED]:
            where = ".".join(str(p) for p in error["loc"]) or "arguments"
            problems.append(f"{where}: {error['msg']}")
        more = f" (and {exc.error_count() - _MAX_REPORTED} more)" if exc.error_count() > _MAX_REPORTED else ""
        raise InvalidArgumentsError("; ".join(problems) + more) from None
