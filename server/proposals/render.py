"""Raw dbt SQL to plain SQL without running dbt: Jinja rendered in a sandbox with stand-ins.

`ref()` and `source()` become the relations the graph knows them by (as `dbt compile` would write them),
`this` the model's own relation, `config()` nothing, `is_incremental()` false unless asked, `var()` its
default or NULL, `env_var()` its default (the server's environment is never read). Any other macro (project
macros, packages, `adapter`) renders as a call of a function of the same name, so the SQL still parses and
the old and new SQL of a model are rendered alike. The template comes from an agent: the sandbox forbids
unsafe attribute access, `range()` is bounded and the output is capped.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from jinja2 import TemplateError, TemplateSyntaxError, Undefined
from jinja2.sandbox import SandboxedEnvironment

from server.proposals.errors import InvalidSqlError

MAX_RENDERED_CHARS = 1_000_000
MAX_RANGE = 10_000
_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class RefCall:
    """One `ref(...)` or `source(...)` in the template, as written."""

    kind: Literal["ref", "source"]
    args: tuple[str, ...]  # ref: (name,) or (package, name); source: (source_name, table_name)
    version: str | None = None

    @property
    def name(self) -> str:
        return self.args[-1]

    def spelled(self) -> str:
        inner = ", ".join(repr(a) for a in self.args)
        if self.version is not None:
            inner += f", v={self.version!r}"
        return f"{self.kind}({inner})"


@dataclass(frozen=True)
class Relation:
    """A relation as a template sees it: prints as its SQL name, with dbt's Relation attributes."""

    text: str
    database: str | None = None
    schema: str | None = None
    identifier: str | None = None

    @property
    def name(self) -> str | None:
        return self.identifier

    def __str__(self) -> str:
        return self.text


# The SQL text of a ref or source, or None when the graph does not know it.
Resolver = Callable[[RefCall], Relation | None]


@dataclass
class Rendered:
    sql: str
    calls: list[RefCall] = field(default_factory=list)
    unknown: list[RefCall] = field(default_factory=list)
    relations: dict[RefCall, Relation] = field(default_factory=dict)
    stand_ins: list[str] = field(default_factory=list)  # macros rendered as plain function calls
    uses_incremental: bool = False


def render(template: str, resolve: Resolver, this: Relation, *, incremental: bool = False) -> Rendered:
    """The SQL `template` renders to; InvalidSqlError (with the line) when the Jinja is broken."""
    rendered = Rendered(sql="")
    env = _environment(rendered)
    try:
        compiled = env.from_string(template)
    except TemplateSyntaxError as exc:
        raise InvalidSqlError(f"line {exc.lineno}: the Jinja does not parse: {exc.message}") from None
    context = _globals(rendered, resolve, this, incremental)
    try:
        rendered.sql = _capped(compiled.generate(context))
    except InvalidSqlError:
        raise
    except (TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError, ArithmeticError) as exc:
        where = _template_line(exc)
        raise InvalidSqlError(f"{where}the Jinja cannot be rendered: {_one_line(exc)}") from None
    return rendered


def _capped(chunks: Iterator[str]) -> str:
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDERED_CHARS:
            raise InvalidSqlError(f"the Jinja renders to more than {MAX_RENDERED_CHARS} characters")
        parts.append(chunk)
    return "".join(parts)


def _environment(rendered: Rendered) -> SandboxedEnvironment:
    class StandIn(Undefined):
        """An unknown name: falsy, prints nothing, and calling it renders a function call of that name."""

        __slots__ = ()

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            return StandIn(name=f"{self._undefined_name}.{name}")

        def __call__(self, *args: Any, **kwargs: Any) -> "MacroCall":
            macro = self._undefined_name or "macro"
            rendered.stand_ins.append(macro)
            return MacroCall(macro, args)

    return SandboxedEnvironment(
        undefined=StandIn,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        keep_trailing_newline=True,
        autoescape=False,
    )


class MacroCall:
    """The stand-in of an unknown macro's output: `name(arg, ...)` with arguments as SQL literals."""

    def __init__(self, name: str, args: tuple[Any, ...]) -> None:
        self.text = f"{_IDENTIFIER.sub('__', name)}({', '.join(_literal(a) for a in args)})"

    def __str__(self) -> str:
        return self.text

    def __call__(self, *args: Any, **kwargs: Any) -> "MacroCall":
        # adapter.dispatch('m')(args): the dispatched macro is called with the real arguments
        return MacroCall(self.text.split("(", 1)[0], args)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if value is None or isinstance(value, Undefined):
        return "null"
    text = str(value)
    return "'" + text.replace("'", "''") + "'"


class _Config:
    """`config(...)` renders nothing; `config.get(key, default)` gives the default."""

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def get(self, key: str, default: Any = None) -> Any:
        return default


class _Target:
    """dbt's `target`, pointing where the model's own relation lives."""

    def __init__(self, this: Relation) -> None:
        self.name = "default"
        self.schema = this.schema
        self.database = this.database
        self.threads = 1


def _globals(rendered: Rendered, resolve: Resolver, this: Relation, incremental: bool) -> dict[str, Any]:
    placeholders = 0

    def record(call: RefCall) -> Relation:
        nonlocal placeholders
        rendered.calls.append(call)
        relation = resolve(call)
        if relation is None:
            rendered.unknown.append(call)
            placeholders += 1
            # a relation name that parses, so that every unknown ref is reported, not just the first
            relation = Relation(text=f"unknown_relation_{placeholders}")
        rendered.relations[call] = relation
        return relation

    def ref(*args: Any, **kwargs: Any) -> Relation:
        names = tuple(str(a) for a in args)
        if len(names) not in (1, 2):
            raise InvalidSqlError(f"ref() takes a model name (and optionally its package), got {len(names)} arguments")
        version = kwargs.get("v", kwargs.get("version"))
        return record(RefCall("ref", names, str(version) if version is not None else None))

    def source(*args: Any) -> Relation:
        names = tuple(str(a) for a in args)
        if len(names) != 2:
            raise InvalidSqlError(f"source() takes a source name and a table name, got {len(names)} arguments")
        return record(RefCall("source", names))

    def is_incremental() -> bool:
        rendered.uses_incremental = True
        return incremental

    def var(name: str, default: Any = None) -> Any:
        return default if default is not None else "null"

    def env_var(name: str, default: Any = None) -> Any:
        return default if default is not None else ""

    def bounded_range(*args: int) -> range:
        values = range(*args)
        if len(values) > MAX_RANGE:
            raise InvalidSqlError(f"range() of {len(values)} items is more than the {MAX_RANGE} a proposal may use")
        return values

    return {
        "ref": ref,
        "source": source,
        "this": this,
        "config": _Config(),
        "is_incremental": is_incremental,
        "var": var,
        "env_var": env_var,
        "target": _Target(this),
        "execute": False,
        "flags": {},
        "range": bounded_range,
    }


def _template_line(exc: BaseException) -> str:
    """`line N: ` of the innermost template frame in the traceback (Jinja maps its frames to template lines)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"line {line}: " if line is not None else ""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


_CALL = re.compile(r"\b(ref|source)\s*\(([^()]*)\)")
_QUOTED = re.compile(r"""(['"])(.*?)\1""")


def locate(template: str, call: RefCall) -> tuple[int, int] | None:
    """1-based (line, column) of `call` in the template text, when it is written literally."""
    for match in _CALL.finditer(template):
        if match.group(1) != call.kind:
            continue
        quoted = tuple(m.group(2) for m in _QUOTED.finditer(match.group(2)))
        if quoted[: len(call.args)] == call.args:
            line = template.count("\n", 0, match.start()) + 1
            column = match.start() - (template.rfind("\n", 0, match.start()) + 1) + 1
            return line, column
    return None
