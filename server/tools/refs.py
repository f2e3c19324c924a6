"""Turning a `ref` into the asset it names, the same way for every tool.

A ref is an id, a qualified name (`db.schema.table`, or a `schema.table` tail of one), or a short name
when exactly one asset has it. Only assets the caller may see are ever matched or listed: a ref to an
asset outside the caller's scope is unknown to them.
"""

from collections.abc import Collection, Iterable

from graph_schema.ids import is_id
from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from server.errors import AmbiguousRefError, NotFoundError
from server.tools.asset_index import IndexedAsset, is_column
from server.tools.context import ToolContext
from server.tools.schemas.common import AssetRef

MAX_LISTED = 5
# How like a name a ref must be (0..1) for the asset to be offered as a candidate when nothing matches.
_CLOSE_ENOUGH = 0.6


def resolve_ref(ctx: ToolContext, ref: str, kinds: Collection[NodeKind] | None = None) -> Node:
    """The asset `ref` names, as the caller may see it; NotFoundError or AmbiguousRefError (listing
    candidates) otherwise. `kinds` restricts what the ref may name (e.g. only models)."""
    text = ref.strip()
    if is_id(text):
        node = ctx.graph.get(text)
        if node is not None and ctx.visible(node) and _kind_ok(node.kind, kinds):
            return ctx.present(node)
    index = ctx.asset_index()
    exact = [index.entries[i] for i in index.exact(text)]
    for matches in (_best_exact(text, exact), [index.entries[i] for i in index.suffix(text)]):
        chosen = _prefer_assets([e for e in matches if _allowed(ctx, e, kinds)])
        if len(chosen) == 1:
            return _load(ctx, chosen[0], text)
        if chosen:
            raise AmbiguousRefError(
                f"{text!r} names {len(chosen)} assets: {_listing(sorted(chosen, key=lambda e: e.node.id))}; "
                "pass one of these ids as ref"
            )
    raise NotFoundError(_not_found_message(ctx, text, kinds))


def asset_ref(node: Node) -> AssetRef:
    return AssetRef(id=node.id, kind=node.kind, name=node.name, qualified_name=node.qualified_name)


def _kind_ok(kind: NodeKind, kinds: Collection[NodeKind] | None) -> bool:
    return kinds is None or kind in kinds


def _allowed(ctx: ToolContext, entry: IndexedAsset, kinds: Collection[NodeKind] | None) -> bool:
    return _kind_ok(entry.node.kind, kinds) and ctx.visible(entry.node)


def _best_exact(text: str, matches: list[IndexedAsset]) -> list[IndexedAsset]:
    """Of the exact matches, those matching best: qualified name, then name, then alias."""
    folded = text.lower()
    for tier in (
        [e for e in matches if e.qualified_name == folded],
        [e for e in matches if e.name == folded],
    ):
        if tier:
            return tier
    return matches


def _prefer_assets(matches: list[IndexedAsset]) -> list[IndexedAsset]:
    """A name shared by a table and some columns names the table: columns are reached by qualified name."""
    assets = [e for e in matches if not is_column(e)]
    return assets or matches


def _load(ctx: ToolContext, entry: IndexedAsset, text: str) -> Node:
    node = ctx.graph.get(entry.node.id)
    if node is None:  # removed by a run committed since the index was read
        raise NotFoundError(f"no asset matches {text!r} any more; the graph changed, search again")
    return ctx.present(node)


def _describe(entry: IndexedAsset) -> str:
    node = entry.node
    return f"{node.id} ({node.kind.value}{', ' + node.qualified_name if node.qualified_name else ''})"


def _listing(entries: Iterable[IndexedAsset]) -> str:
    ordered = list(entries)
    shown = ", ".join(_describe(e) for e in ordered[:MAX_LISTED])
    more = len(ordered) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _not_found_message(ctx: ToolContext, text: str, kinds: Collection[NodeKind] | None) -> str:
    what = "no asset" if kinds is None else f"no {' or '.join(sorted(k.value for k in kinds))}"
    index = ctx.asset_index()
    similar = index.similar_names(text, _CLOSE_ENOUGH)
    ranked = sorted(similar.items(), key=lambda item: (-item[1], item[0]))
    close = [index.entries[i] for i, _ in ranked if _allowed(ctx, index.entries[i], kinds)][:MAX_LISTED]
    if not close:
        return f"{what} matches {text!r}; use search_assets to find it"
    return f"{what} matches {text!r}; closest: {_listing(close)}; pass one of these ids as ref"
