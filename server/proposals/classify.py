"""The old and new SQL of a model compared: columns added, removed, renamed and retyped, columns whose
derivation changed, and filters, joins and groupings that changed. Read from the SQL, never from the title."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, cast

from graph_schema.kinds import Transformation
from graph_schema.sql_lineage import OutputColumn
from server.proposals.shape import LOGIC_KINDS, Shape, normalise_type

_BARE = frozenset({Transformation.PASSTHROUGH, Transformation.RENAMED})


@dataclass(frozen=True)
class Retyped:
    name: str
    old_type: str | None
    new_type: str | None


LogicKind = Literal["filter", "join", "group_by"]


@dataclass(frozen=True)
class LogicChange:
    kind: LogicKind
    removed: tuple[str, ...]
    added: tuple[str, ...]


@dataclass
class Classification:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old name, new name)
    retyped: list[Retyped] = field(default_factory=list)
    rederived: list[str] = field(default_factory=list)  # kept columns computed differently now
    logic: list[LogicChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changes_rows(self) -> bool:
        return bool(self.logic)


def classify(old: Shape, new: Shape, stored_types: dict[str, str | None], dialect: str) -> Classification:
    """`stored_types` are the model's columns as the warehouse has them (graph), used for the old names when
    the old SQL could not be analysed and for the old type shown next to a retyped column."""
    result = Classification()
    old_names = old.names if old.analysed and old.names else list(stored_types)
    if old.has_star or new.has_star:
        which = "old and new" if old.has_star and new.has_star else ("old" if old.has_star else "new")
        result.warnings.append(
            f"the {which} SQL selects * from a relation whose columns the graph does not know: "
            "columns it adds or removes through that star are not listed"
        )
    if not new.analysed:
        result.warnings.append(f"the new SQL's column lineage could not be worked out: {new.problem}")
    new_names = new.names
    old_keys = {n.casefold(): n for n in old_names}
    new_keys = {n.casefold(): n for n in new_names}
    result.removed = [n for k, n in old_keys.items() if k not in new_keys]
    result.added = [n for k, n in new_keys.items() if k not in old_keys]
    result.renamed = _renames(old, new, result.removed, result.added)
    stored = {k.casefold(): v for k, v in stored_types.items()}
    for key, name in new_keys.items():
        if key not in old_keys:
            continue
        old_type, new_type = _type(old, old_keys[key], dialect), _type(new, name, dialect)
        if old_type is not None and new_type is not None and old_type != new_type:
            result.retyped.append(Retyped(name, stored.get(key) or old_type, new_type))
        if old.analysed and new.analysed and _derivation(old.column(old_keys[key])) != _derivation(new.column(name)):
            result.rederived.append(name)
    for kind in LOGIC_KINDS:
        before, after = old.clauses.get(kind, Counter()), new.clauses.get(kind, Counter())
        if before != after:
            result.logic.append(LogicChange(cast(LogicKind, kind), tuple(sorted((before - after).elements())),
                                            tuple(sorted((after - before).elements()))))
    return result


def _type(shape: Shape, name: str, dialect: str) -> str | None:
    folded = name.casefold()
    text = next((t for n, t in shape.types.items() if n.casefold() == folded), None)
    return normalise_type(text, dialect)


def _derivation(column: OutputColumn | None) -> frozenset[tuple[str, str, str, str]]:
    """What a column is computed from, with a renamed and a carried-over column counted alike."""
    if column is None:
        return frozenset()
    return frozenset(
        (s.table.casefold(), s.column.casefold(), "bare" if s.transformation in _BARE else s.transformation.value,
         (s.expression or "").casefold())
        for s in column.sources
    )


def _renames(old: Shape, new: Shape, removed: list[str], added: list[str]) -> list[tuple[str, str]]:
    """A removed and an added column computed from exactly the same inputs, the same way, pair up as a rename."""
    if not (old.analysed and new.analysed):
        return []
    gone = {name: _derivation(old.column(name)) for name in removed}
    came = {name: _derivation(new.column(name)) for name in added}
    pairs = []
    for name, derivation in gone.items():
        if not derivation:
            continue
        same = [a for a, d in came.items() if d == derivation]
        twins = [r for r, d in gone.items() if d == derivation]
        if len(same) == 1 and len(twins) == 1:
            pairs.append((name, same[0]))
    return pairs
