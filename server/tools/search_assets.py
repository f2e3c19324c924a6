"""The search_assets tool: every kind of asset ranked by the hybrid ranking of server.search.

Scores (0..1): an id, name or qualified name typed exactly is 1.0; otherwise names, labels and synonyms
(typos forgiven), BM25 over descriptions, similarity of meaning, then graph priors (certified, used by
dashboards, not deprecated). Descriptions the caller would see masked are not searched.
"""

from graph_schema.models import Node
from server.search.access import scope_key, search_service
from server.tools.context import ToolContext
from server.tools.schemas import AssetHit, SearchAssetsInput, SearchAssetsOutput

NOTE = (
    "hybrid ranking: lexical (exact names, synonyms, typos, BM25 over descriptions), semantic (embeddings of "
    "names and descriptions) and graph priors (certified, used by dashboards, not deprecated)"
)
LEXICAL_NOTE = "lexical ranking only (names, synonyms, typos, BM25 over descriptions): {reason}"
MAX_RESULTS = 1000
MIN_SCORE = 0.15
DESCRIPTION_CHARS = 300


def search_assets(ctx: ToolContext, args: SearchAssetsInput) -> SearchAssetsOutput:
    with search_service(ctx) as service:
        ranked = service.search(
            ctx.graph,
            args.query,
            scope_key=scope_key(ctx),
            visible=ctx.visible,
            kinds=set(args.kinds) if args.kinds else None,
            limit=MAX_RESULTS,
            reads_description=ctx.may_read_description,
        )
        dense_status = service.snapshot(ctx.graph).dense_status
    hits = [_hit(ctx, item.score, item.entry.node) for item in ranked if item.score >= MIN_SCORE]
    note = NOTE if dense_status in ("local index", "qdrant server") else LEXICAL_NOTE.format(reason=dense_status)
    return SearchAssetsOutput(results=hits, note=note)


def _hit(ctx: ToolContext, score: float, node: Node) -> AssetHit:
    shown = ctx.present(node)
    description = shown.description
    if len(description) > DESCRIPTION_CHARS:
        description = description[: DESCRIPTION_CHARS - 1].rstrip() + "…"
    return AssetHit(
        id=shown.id,
        kind=shown.kind,
        name=shown.name,
        qualified_name=shown.qualified_name,
        description=description,
        score=round(score, 3),
    )
