"""Validate a tool call's raw arguments into its input model, with messages an agent can act on."""

import json
from typing import Any

from pydantic import ValidationError

from server.errors import InvalidArgumentsError
from server.governance.redaction import bound_depth
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
            except (ValueError, RecursionError):  # too deeply nested text is left for validation to refuse
                continue
            if isinstance(decoded, list | dict):
                parsed[key] = decoded
    return parsed


def _has_lone_surrogate(value: Any) -> bool:
    """Whether `value` holds text JSON can escape but UTF-8 cannot encode (half of a surrogate pair)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def parse_arguments(model: type[ToolInput], arguments: dict[str, Any]) -> ToolInput:
    arguments = bound_depth(arguments)
    broken = [str(key) for key, value in arguments.items() if _has_lone_surrogate(key) or _has_lone_surrogate(value)]
    if broken:
        raise InvalidArgumentsError(f"{broken[0]}: text is not valid unicode (a lone surrogate)")
    try:
        return model.model_validate(_pre_parse(model, arguments))
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:_MAX_REPORTED]:
            where = ".".join(str(p) for p in error["loc"]) or "arguments"
            problems.append(f"{where}: {error['msg']}")
        more = f" (and {exc.error_count() - _MAX_REPORTED} more)" if exc.error_count() > _MAX_REPORTED else ""
        raise InvalidArgumentsError("; ".join(problems) + more) from None
