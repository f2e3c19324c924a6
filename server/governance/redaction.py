"""Make call arguments safe to keep: secrets replaced, long strings cut and fingerprinted."""

import hashlib
from typing import Any

from pydantic import JsonValue

REDACTED = "[redacted]"
SECRET_KEY_PARTS = ("token", "password", "passwd", "secret", "authorization", "api_key", "apikey", "credential")
MAX_STRING = 512
# Deeper arguments are kept as a marker: no tool takes them, and validating them would exhaust the recursion limit.
MAX_DEPTH = 32
TOO_DEEP = f"[cut: nested deeper than {MAX_DEPTH} levels]"


def is_secret_key(key: str) -> bool:
    folded = key.lower().replace("-", "_")
    return any(part in folded for part in SECRET_KEY_PARTS)


def storable(text: str) -> str:
    """`text` with lone surrogates (valid in JSON escapes, not in UTF-8) written as backslash escapes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _cut(text: str, max_string: int) -> str:
    text = storable(text)
    if len(text) <= max_string:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{text[:max_string]}…[cut: {len(text)} chars, sha256={digest}]"


def redact(value: Any, max_string: int = MAX_STRING) -> JsonValue:
    """A JSON copy of `value` with secret-named keys redacted at any depth and long strings cut."""
    if isinstance(value, dict):
        return {
            storable(str(k)): (REDACTED if is_secret_key(str(k)) else redact(v, max_string)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, max_string) for v in value]
    if isinstance(value, str):
        return _cut(value, max_string)
    if value is None or isinstance(value, bool | int | float):
        return value
    return _cut(str(value), max_string)


def redact_arguments(arguments: dict[str, Any], max_string: int = MAX_STRING) -> dict[str, JsonValue]:
    return {
        storable(str(k)): (REDACTED if is_secret_key(str(k)) else redact(v, max_string)) for k, v in arguments.items()
    }


def bound_depth(value: Any, depth: int = MAX_DEPTH) -> Any:
    """`value` with every dict or list nested deeper than `depth` levels replaced by a marker string."""
    if isinstance(value, dict | list | tuple) and depth <= 0:
        return TOO_DEEP
    if isinstance(value, dict):
        return {k: bound_depth(v, depth - 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [bound_depth(v, depth - 1) for v in value]
    return value
