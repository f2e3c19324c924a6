"""resolve_metric: the governed metric a question means, or why none is chosen.

Order of evidence: an approved answer for this very question; a name, label or synonym that is exactly
the question's words (a deprecated metric hands its match to its replacement and says so); then the
hybrid score. Candidates within a margin of the best make the question ambiguous, and the answer says
what tells them apart; a best score under the threshold is not_found, with the nearest candidates.
"""

from collections.abc import Collection
from dataclasses import dataclass

from graph_schema.kinds import NodeKind
from graph_schema.models import Node
from server.search.catalog import Catalog, Entry
from server.search.definition import SemanticLayer, metric_type, text_prop
from server.search.dense import DenseScorer
from server.search.overlay import Overlay
from server.search.ranking import DEPRECATED_PENALTY, Scored, rank
from server.search.sql import metric_sql
from server.search.text import parse_question
from server.tools.schemas.metrics import MetricCandidate, MetricInfo, ResolveMetricOutput

FOUND_THRESHOLD = 0.42
AMBIGUITY_MARGIN = 0.06
# Two name scores this close, both at least STRONG_NAME, are a lexical tie.
NAME_TIE = 0.02
STRONG_NAME = 0.6
# Other plausible metrics listed beside a resolved one score at least this share of the threshold.
PLAUSIBLE_SHARE = 0.75


@dataclass(frozen=True)
class Choice:
    """A metric as the answer may name it: its evidence, and the deprecated metric it stands in for, if any."""

    entry: Entry
    score: float
    exact: bool
    coverage: float
    name: float
    reason: str
    redirected_from: Entry | None = None


def _replacement(entry: Entry, overlay: Overlay) -> str | None:
    if entry.id in overlay.deprecated:
        return overlay.deprecated[entry.id] or entry.replaced_by
    return entry.replaced_by if entry.deprecated else None


def _choices(scored: list[Scored], catalog: Catalog, rows: Collection[int], overlay: Overlay) -> list[Choice]:
    """One choice per metric; a deprecated metric with a visible replacement lends its evidence to it."""
    best: dict[str, Choice] = {}
    for item in scored:
        entry = item.entry
        target = entry
        redirected: Entry | None = None
        replacement_id = _replacement(entry, overlay)
        if replacement_id is not None:
            index = catalog.by_id.get(replacement_id)
            if index is not None and index in rows:
                target, redirected = catalog.entries[index], entry
        reason = item.reason()
        if redirected is not None:
            reason = f"'{redirected.node.name}' is deprecated and replaced by '{target.node.name}' ({reason})"
        score = item.score
        if redirected is not None:
            # the replacement is what the deprecated name means now: no deprecation penalty carried over
            score = min(1.0, score + DEPRECATED_PENALTY)
        known = best.get(target.id)
        if known is None or (item.exact, item.coverage, score) > (known.exact, known.coverage, known.score):
            best[target.id] = Choice(target, max(score, known.score if known else 0.0), item.exact, item.coverage,
                                     item.name.score if item.name else 0.0, reason, redirected)
    return sorted(best.values(), key=lambda c: (-c.score, c.entry.id))


def full_node(entry: Entry, layer: SemanticLayer) -> Node:
    """The metric with all its props: catalog entries keep only what ranking and scopes read."""
    return layer.nodes.get(entry.id, entry.node)


def _tied(best: Choice, other: Choice) -> bool:
    """Within the margin; or, for two names that match the question equally well, within twice the margin:
    meaning and priors may order lookalikes but only a clear gap settles between them."""
    gap = best.score - other.score
    if gap <= AMBIGUITY_MARGIN:
        return True
    same_name = best.name >= STRONG_NAME and abs(best.name - other.name) <= NAME_TIE
    return same_name and gap <= 2 * AMBIGUITY_MARGIN


def _candidate(choice: Choice, layer: SemanticLayer, differs: str | None = None) -> MetricCandidate:
    node = full_node(choice.entry, layer)
    reason = choice.reason if differs is None else f"{choice.reason}. {differs}"
    return MetricCandidate(
        id=node.id,
        name=node.name,
        label=choice.entry.label,
        score=round(choice.score, 3),
        reason=reason,
        type=metric_type(node),
        certified=choice.entry.certified,
        deprecated=choice.entry.deprecated,
    )


def _feature_values(node: Node, layer: SemanticLayer) -> dict[str, str]:
    params = node.props.get("type_params")
    params = params if isinstance(params, dict) else {}
    cumulative = params.get("cumulative_type_params")
    cumulative = cumulative if isinstance(cumulative, dict) else {}
    window = cumulative.get("window")
    if isinstance(window, dict):
        window = f"trailing {window.get('count')} {window.get('granularity')}"
    to_date = cumulative.get("grain_to_date")
    grains = node.props.get("time_grains")
    listed = node.props.get("source_models")
    sources = [layer.nodes[s].name for s in listed or [] if isinstance(s, str) and s in layer.nodes]
    return {
        "type": metric_type(node) or "unknown",
        "expression": text_prop(node, "expression") or "none",
        "filter": text_prop(node, "filter") or "none",
        "window": str(window) if window else (f"{to_date} to date" if to_date else "none"),
        "finest grain": grains[0] if isinstance(grains, list) and grains else "unknown",
        "source model": ", ".join(sources) or "unknown",
    }


def distinctions(choices: list[Choice], layer: SemanticLayer) -> dict[str, str]:
    """For each candidate, the features in which the candidates differ: what tells them apart."""
    values = {c.entry.id: _feature_values(full_node(c.entry, layer), layer) for c in choices}
    differing = [f for f in next(iter(values.values()), {}) if len({v[f] for v in values.values()}) > 1]
    return {
        node_id: "Differs by " + "; ".join(f"{f}: {v[f]}" for f in differing)
        for node_id, v in values.items()
        if differing
    }


def metric_info(node: Node, layer: SemanticLayer, entry: Entry, grain: str | None) -> MetricInfo:
    measures = layer.measures_of(node)
    measure = measures[0] if len(measures) == 1 else None
    columns = sorted({c for m in measures for c in layer.columns.get(m.id, [])})
    generated = metric_sql(node, layer, grain)
    dims = node.props.get("dimensions")
    grains = node.props.get("time_grains")
    sources = node.props.get("source_models")
    semantic = node.props.get("semantic_models")
    return MetricInfo(
        id=node.id,
        name=node.name,
        label=entry.label,
        description=node.description,
        type=metric_type(node),
        expression=text_prop(node, "expression"),
        filter=text_prop(node, "filter"),
        time_grains=[g for g in grains if isinstance(g, str)] if isinstance(grains, list) else [],
        dimensions=[d for d in dims if isinstance(d, str)] if isinstance(dims, list) else [],
        source_models=[s for s in sources if isinstance(s, str)] if isinstance(sources, list) else [],
        owners=list(node.owners),
        certified=entry.certified,
        deprecated=entry.deprecated,
        measure=measure.name if measure else None,
        aggregation=text_prop(measure, "agg") if measure else None,
        inputs=[i.alias or i.name for i in layer.metric_inputs(node)],
        semantic_models=[s for s in semantic if isinstance(s, str)] if isinstance(semantic, list) else [],
        source_columns=columns,
        sql=generated.sql,
        sql_grain=generated.grain,
        sql_dialect=generated.dialect,
        sql_note=generated.note,
    )


def resolve(
    catalog: Catalog,
    layer: SemanticLayer,
    question_text: str,
    rows: Collection[int],
    *,
    dense: DenseScorer | None,
    overlay: Overlay,
    limit: int = 3,
    grain: str | None = None,
) -> ResolveMetricOutput:
    """`rows`: the catalog rows of the metrics the caller may see; `grain`: of the SQL (else the question's)."""
    question = parse_question(question_text)
    grain = grain or question.grain
    rows = frozenset(rows)
    remembered = overlay.answers.get(question.key)
    if remembered is not None and catalog.by_id.get(remembered) in rows:
        entry = catalog.entries[catalog.by_id[remembered]]
        return ResolveMetricOutput(
            status="resolved",
            metric=metric_info(full_node(entry, layer), layer, entry, grain),
            note=f"a steward approved '{entry.node.name}' as the answer to this question",
        )
    scored = rank(
        catalog,
        question,
        rows,
        dense=dense,
        kinds=[NodeKind.METRIC],
        extra_forms=overlay.forms(catalog),
        deprecated=overlay.deprecated.keys(),
    )
    choices = _choices(scored, catalog, rows, overlay)
    if not choices or choices[0].score < FOUND_THRESHOLD and not choices[0].exact:
        return ResolveMetricOutput(
            status="not_found",
            candidates=[_candidate(c, layer) for c in choices[:limit]],
            note="no governed metric matches this question well enough; the candidates are the nearest",
        )
    # names that are exactly the question's words decide; among several, those explaining more of it
    exact = [c for c in choices if c.exact]
    widest = max((c.coverage for c in exact), default=0.0)
    exact = sorted((c for c in exact if c.coverage >= widest - 1e-9), key=lambda c: (-c.score, c.entry.id))
    close = exact if exact else [c for c in choices if _tied(choices[0], c)]
    if len(close) > 1:
        shown = close[: max(limit, 2)]
        apart = distinctions(shown, layer)
        names = ", ".join(c.entry.node.name for c in shown)
        return ResolveMetricOutput(
            status="ambiguous",
            candidates=[_candidate(c, layer, apart.get(c.entry.id)) for c in shown],
            note=f"the question fits {len(close)} metrics about equally ({names}); ask which one is meant",
        )
    top = close[0]
    others = [c for c in choices if c is not top and c.score >= FOUND_THRESHOLD * PLAUSIBLE_SHARE][:limit]
    note = top.reason
    if top.redirected_from is not None:
        old, new = top.redirected_from.node.name, top.entry.node.name
        note = f"'{old}' is deprecated; answering with its replacement '{new}'"
    return ResolveMetricOutput(
        status="resolved",
        metric=metric_info(full_node(top.entry, layer), layer, top.entry, grain),
        candidates=[_candidate(c, layer) for c in others],
        note=note,
    )
