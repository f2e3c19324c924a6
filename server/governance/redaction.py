"""Make call arguments safe to keep: secrets replaced, long strings cut and fingerprinted."""

import hashlib
from typing import Any

from pydantic import JsonValue

REDACTED = "[redacted]"
SECRET_KEY_PARTS = ("token", "password", "passwd", "secret", "authorization", "api_key", "apikey", "credential")
MAX_STRING = 512


def is_secret_key(key: str) -> bool:
    folded = key.lower().replace("-", "_")
    return any(part in folded for part in SECRET_KEY_PARTS)


def _cut(text: str, max_string: int) -> str:
    if len(text) <= max_string:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{text[:max_string]}…[cut: {len(text)} chars, sha256={digest}]"


def redact(value: Any, max_string: int = MAX_STRING) -> JsonValue:
    """A JSON copy of `value` with secret-named keys redacted at any depth and long strings cut."""
    if isinstance(value, dict):
        return {str(k): (REDACTED if is_secret_key(str(k)) else redact(v, max_string)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, max_string) for v in value]
    if isinstance(value, str):
        return _cut(value, max_string)
    if value is None or isinstance(value, bool | int | float):
        return value
    return _cut(str(value), max_string)


def redact_arguments(arguments: dict[str, Any], max_string: int = MAX_STRING) -> dict[str, JsonValue]:
    return {str(k): (REDACTED if is_secret_key(str(k)) else redact(v, max_string)) for k, v in arguments.items()}
