"""The configuration reference (docs/configuration.md), rendered from the Settings model.

Every row comes from a field of `graph_schema.config.Settings` (nested models included): its environment
variable as pydantic-settings names it, its `datagraph.toml` key, type, default and description. A test
checks docs/configuration.md against the rendering, so adding, renaming or re-describing a setting
without regenerating the page fails. Run `python -m datagraph.reference_config` to rewrite it.
"""

import enum
import sys
import types
from pathlib import Path, PurePath
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from graph_schema.config import CONFIG_FILE, Settings
from server.governance.principal import PRINCIPAL_ENV

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "docs" / "configuration.md"

_SCALARS: dict[type, str] = {
    str: "string", int: "integer", float: "number", bool: "boolean", SecretStr: "secret string",
}
_BOUNDS: tuple[tuple[type, str, str], ...] = (
    (annotated_types.Ge, "ge", "≥"), (annotated_types.Gt, "gt", ">"),
    (annotated_types.Le, "le", "≤"), (annotated_types.Lt, "lt", "<"),
    (annotated_types.MinLen, "min_length", "length ≥"), (annotated_types.MaxLen, "max_length", "length ≤"),
)


def type_name(annotation: Any) -> str:
    """A reader's name for a field's type: `integer`, `path (optional)`, `list of string`, ..."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        name = " or ".join(type_name(a) for a in members)
        return f"{name} (optional)" if len(members) < len(get_args(annotation)) else name
    if origin is Literal:
        return " \\| ".join(f"`{v}`" for v in get_args(annotation))
    if origin in (list, tuple):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        return f"list of {type_name(args[0])}" if args else "list"
    if isinstance(annotation, type):
        if issubclass(annotation, PurePath):
            return "path"
        if issubclass(annotation, enum.Enum):
            return " \\| ".join(f"`{m.value}`" for m in annotation)
        if issubclass(annotation, BaseModel):
            return "table"
        for scalar, name in _SCALARS.items():
            if issubclass(annotation, scalar):
                return name
    return str(annotation)


def bounds(field: FieldInfo) -> str:
    """The field's numeric or length bounds, e.g. `≥ 500`."""
    found = []
    for item in field.metadata:
        for kind, attribute, sign in _BOUNDS:
            if isinstance(item, kind):
                found.append(f"{sign} {getattr(item, attribute)}")
    return ", ".join(found)


def default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, BaseModel):
        return "see below"
    return f"`{value}`" if str(value) != "" else '`""`'


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    candidates = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    return next((a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)), None)


def rows(settings: type[BaseSettings]) -> list[tuple[str, str, str, str, str, str]]:
    """(setting, env var, toml key, type, default, description) of every field, nested fields after their parent."""
    delimiter = settings.model_config.get("env_nested_delimiter")
    out = []
    for name, field in settings.model_fields.items():
        env = f"{settings.model_config.get('env_prefix', '')}{name}".upper()
        kind = type_name(field.annotation)
        limits = bounds(field)
        out.append((name, f"`{env}`", f"`{name}`", f"{kind} {limits}".strip(), default_text(field),
                    field.description or ""))
        nested = _nested_model(field.annotation)
        if nested is None:
            continue
        for child, child_field in nested.model_fields.items():
            child_env = f"`{env}{delimiter}{child.upper()}`" if delimiter else f"in `{env}` as JSON"
            child_kind = f"{type_name(child_field.annotation)} {bounds(child_field)}".strip()
            out.append((f"{name}.{child}", child_env, f"`{child}` in `[{name}]`", child_kind,
                        default_text(child_field), child_field.description or ""))
    return out


# The example datagraph.toml on the page; rendering checks that every key is a setting.
EXAMPLE_TOML: dict[str, str | int] = {
    "home": "/var/lib/datagraph",
    "graph_uri": "bolt://localhost:7687",
    "neo4j_password": "change-me",
    "audit_url": "postgresql://datagraph@localhost:5432/datagraph",
    "policy": "policy.yaml",
    "token_budget": 8000,
}
# What a bad value (token_budget = 5) and a file that is not TOML (`token_budget = ` alone) print;
# tests/test_docs.py checks both against load_settings.
BAD_SETTING_EXAMPLE = "error: bad setting DATAGRAPH_TOKEN_BUDGET: Input should be greater than or equal to 500"
BAD_TOML_EXAMPLE = f"error: cannot read {CONFIG_FILE}: Invalid value (at line 1, column 16)"


def _toml_value(value: str | int) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def render(settings: type[BaseSettings] = Settings, example: dict[str, str | int] | None = None) -> str:
    config = settings.model_config
    prefix = str(config.get("env_prefix", ""))
    delimiter = config.get("env_nested_delimiter")
    example = EXAMPLE_TOML if example is None else example
    unknown = sorted(set(example) - set(settings.model_fields))
    if unknown:
        raise ValueError(f"the example {CONFIG_FILE} names keys that are not settings: {', '.join(unknown)}")
    case = "" if config.get("case_sensitive") else " (not case-sensitive)"
    extra = "ignored" if config.get("extra", "ignore") == "ignore" else "refused"
    lines = [
        "# Configuration reference",
        "",
        "Generated from the settings model (`graph_schema/config.py`) by `python -m datagraph.reference_config`;",
        "do not edit by hand.",
        "",
        "## Where settings come from",
        "",
        "Highest first:",
        "",
        "1. command-line options: `--home DIR` (on every command that uses the state) sets `home`;",
        f"2. environment variables: the prefix `{prefix}` and the setting's name{case}, "
        f"e.g. `{prefix.upper()}TOKEN_BUDGET=8000`;",
        f"3. `{CONFIG_FILE}` in the working folder (TOML): the setting's name without the prefix, lower case, "
        "e.g. `token_budget = 8000`;",
        "4. the defaults below.",
        "",
        f"Unknown variables and keys are {extra}. An empty value of a URL setting counts as unset. A bad value "
        f"stops the command with one line naming the setting (exit code 2), and so does a `{CONFIG_FILE}` that "
        "is not TOML:",
        "",
        "```",
        BAD_SETTING_EXAMPLE,
        BAD_TOML_EXAMPLE,
        "```",
        "",
    ]
    if delimiter:
        lines += [f"A nested setting's environment variable joins the names with `{delimiter}`.", ""]
    lines += [
        "## Settings",
        "",
        f"| setting | environment variable | `{CONFIG_FILE}` key | type | default | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for name, env, key, kind, default, meaning in rows(settings):
        lines.append(f"| `{name}` | {env} | {key} | {kind} | {default} | {_cell(meaning)} |")
    lines += ["", f"An example `{CONFIG_FILE}`:", "", "```toml"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in example.items()]
    lines += [
        "```",
        "",
        "## Read outside the settings",
        "",
        "| environment variable | meaning |",
        "|---|---|",
        f"| `{PRINCIPAL_ENV}` | Who a local caller (stdio server, CLI) is when `--principal` is not given; "
        f"unset: the operating-system user. Environment only, not read from `{CONFIG_FILE}`. |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    REFERENCE.write_text(render(), encoding="utf-8")
    print(f"wrote {REFERENCE.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
