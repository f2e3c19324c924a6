"""Hybrid ranking: name evidence (exact, synonym, typo-tolerant), BM25 over text, dense similarity, then graph
priors (certified, used downstream, not deprecated). One ranking serves search_assets and resolve_metric."""

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from graph_schema.kinds import NodeKind
from server.search.catalog import Catalog, Entry, Form
from server.search.dense import DenseScorer
from server.search.lexical import NameMatch, QueryTerms, name_matches, query_terms, text_scores
from server.search.text import Question

# score = EVIDENCE_WEIGHT * max(name, TEXT_AS_NAME * text) + TEXT_WEIGHT * text + DENSE_WEIGHT * dense + priors:
# a description that holds every word asked is nearly as good as a name that does.
EVIDENCE_WEIGHT = 0.60
TEXT_AS_NAME = 0.80
TEXT_WEIGHT = 0.10
DENSE_WEIGHT = 0.30
CERTIFIED_BONUS = 0.03
USAGE_BONUS = 0.02  # at most; grows with the log of the number of consumers
DEPRECATED_PENALTY = 0.10
# Cosine similarities of MiniLM below the floor say nothing; at the ceiling they are as good as a name.
DENSE_FLOOR = 0.20
DENSE_CEILING = 0.75
# Assets with no lexical evidence are still considered when their meaning is at least this close; a fixed
# level rather than a top-k, so that what one caller may see never changes how another's results rank.
DENSE_POOL_LEVEL = 0.2


@dataclass(frozen=True)
class Scored:
    index: int
    entry: Entry
    score: float
    name: NameMatch | None
    dense: float
    text: float

    @property
    def exact(self) -> bool:
        return self.name is not None and self.name.exact

    @property
    def coverage(self) -> float:
        return self.name.coverage if self.name is not None else 0.0

    def reason(self) -> str:
        parts: list[str] = []
        if self.name is not None:
            form = self.name.form
            what = {"name": "name", "label": "label", "synonym": "synonym", "feedback": "approved synonym"}[form.source]
            closeness = "matches" if self.exact else "partly matches"
            parts.append(f"{what} '{form.text}' {closeness} the question")
            if self.name.typos:
                parts.append(f"read '{', '.join(self.name.typos)}' as a typo")
        if self.text >= 0.3:
            parts.append("description shares its words")
        if self.dense >= 0.5:
            parts.append("close in meaning")
        if not parts:
            parts.append("weak match")
        entry = self.entry
        if entry.certified:
            parts.append("certified")
        if entry.usage:
            parts.append(f"used by {entry.usage} dashboard{'s' if entry.usage != 1 else ''}/exposure(s) downstream")
        if entry.deprecated:
            parts.append("deprecated")
        return "; ".join(parts)


def dense_level(cosine: float) -> float:
    return min(1.0, max(0.0, (cosine - DENSE_FLOOR) / (DENSE_CEILING - DENSE_FLOOR)))


def prior(entry: Entry, deprecated: bool) -> float:
    bonus = CERTIFIED_BONUS if entry.certified else 0.0
    if entry.usage:
        bonus += min(USAGE_BONUS, USAGE_BONUS * math.log2(1 + entry.usage) / 3)
    if deprecated:
        bonus -= DEPRECATED_PENALTY
    return bonus


def rank(
    catalog: Catalog,
    question: Question,
    rows: Collection[int],
    *,
    dense: DenseScorer | None,
    kinds: Iterable[NodeKind] | None = None,
    extra_forms: dict[int, list[Form]] | None = None,
    deprecated: Collection[str] = (),
    hidden_text: Collection[int] = (),
) -> list[Scored]:
    """Every row of `rows` with any evidence, best first. `deprecated` adds ids that feedback deprecated;
    rows in `hidden_text` have a description the caller may not read, so only their names count."""
    if not rows:
        return []
    terms: QueryTerms = query_terms(catalog, question)
    names = name_matches(catalog, terms, rows, extra_forms)
    for index in catalog.literal(question.text) & set(rows):
        names[index] = NameMatch(1.0, Form("name", catalog.entries[index].node.name, frozenset()), True, 1.0)
    ordered = sorted(rows)
    readable = [i for i in ordered if i not in hidden_text] if hidden_text else ordered
    texts = text_scores(catalog, terms, readable)
    similarities: dict[str, float] = {}
    if dense is not None and question.text.strip():
        similarities = dense.similarities(question.text, [catalog.entries[i].id for i in readable], kinds)
    near = {i for i in readable if dense_level(similarities.get(catalog.entries[i].id, 0.0)) >= DENSE_POOL_LEVEL}
    literal = catalog.literal(question.text)
    pool = set(names) | set(texts) | near
    out: list[Scored] = []
    for index in pool:
        entry = catalog.entries[index]
        match = names.get(index)
        level = dense_level(similarities.get(entry.id, 0.0))
        text = texts.get(index, 0.0)
        name = match.score if match else 0.0
        score = EVIDENCE_WEIGHT * max(name, TEXT_AS_NAME * text) + TEXT_WEIGHT * text + DENSE_WEIGHT * level
        score += prior(entry, entry.deprecated or entry.id in deprecated)
        if index in literal:  # the query is this asset's id, name or qualified name: a certain hit
            score = 1.0
        out.append(Scored(index, entry, max(0.0, min(1.0, score)), match, level, text))
    out.sort(key=lambda s: (-s.score, s.entry.id))
    return out
