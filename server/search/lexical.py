"""Lexical evidence: how well a question's words meet an asset's names (exact, synonym, typo-tolerant) and
text (BM25)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from server.search.catalog import Catalog, Form
from server.search.text import Question

# A word within this similarity of a known word is taken for it ('revnue' for 'revenue').
TYPO_CUTOFF = 80.0
TYPO_MIN_LENGTH = 4
# A matched word that was a typo counts for this much of a match.
TYPO_WEIGHT = 0.85
# beta squared of the F-beta that scores a name against a question
RECALL_BIAS = 2.25
# An optional word of the question ('monthly', 'by region') that a name holds counts this much.
OPTIONAL_WEIGHT = 0.5


@dataclass(frozen=True)
class NameMatch:
    score: float  # 0..1
    form: Form
    # every word of the form is in the question, and every word the question requires is in the form
    exact: bool
    # share of all the question's words (required and optional) the form explains
    coverage: float
    typos: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryTerms:
    """The question's tokens mapped onto the catalog's vocabulary; `corrected` maps a typo to its word."""

    required: frozenset[str]
    optional: frozenset[str]
    corrected: Mapping[str, str]

    @property
    def all(self) -> frozenset[str]:
        return self.required | self.optional


def query_terms(catalog: Catalog, question: Question) -> QueryTerms:
    """Required tokens that no name or text holds are read as typos of the nearest word the catalog spells."""
    corrected: dict[str, str] = {}
    required: set[str] = set()
    for token, word in question.spelled:
        if token in catalog.text_vocabulary or len(word) < TYPO_MIN_LENGTH or word.isdigit():
            required.add(token)
            continue
        best = process.extractOne(word, catalog.spelling_list, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        if best is None:
            required.add(token)
            continue
        fixed = catalog.spellings[str(best[0])]
        corrected[fixed] = word
        required.add(fixed)
    return QueryTerms(required=frozenset(required), optional=frozenset(question.optional), corrected=corrected)


def form_score(terms: QueryTerms, form: Form) -> float:
    """F-beta of the form's words found in the question (precision) and the question's words found in the
    form (recall), leaning to recall: a name that explains every word asked beats a shorter one that
    leaves a word unexplained. Optional words (periods, slicing) count half, and only where they match."""
    toks = form.tokens
    matched_required = terms.required & toks
    matched_optional = (terms.optional - terms.required) & toks
    if not matched_required and not matched_optional:
        return 0.0
    required_weight = sum(TYPO_WEIGHT if t in terms.corrected else 1.0 for t in matched_required)
    optional_weight = OPTIONAL_WEIGHT * len(matched_optional)
    precision = (required_weight + optional_weight) / (len(toks) - len(matched_optional) + optional_weight)
    recall = (required_weight + optional_weight) / (len(terms.required) + optional_weight)
    return (1 + RECALL_BIAS) * precision * recall / (RECALL_BIAS * precision + recall)


def is_exact(terms: QueryTerms, form: Form) -> bool:
    return form.tokens <= terms.all and bool(terms.required) and terms.required <= form.tokens


def name_matches(
    catalog: Catalog,
    terms: QueryTerms,
    allowed: Iterable[int] | None = None,
    extra_forms: Mapping[int, list[Form]] | None = None,
) -> dict[int, NameMatch]:
    """Best name match per entry sharing a word with the question (entries in `allowed` only, when given)."""
    touched: set[int] = set()
    for token in terms.all:
        touched |= catalog.postings.get(token, set())
    extra = extra_forms or {}
    touched |= set(extra)
    if allowed is not None:
        touched &= set(allowed)
    out: dict[int, NameMatch] = {}
    for index in touched:
        best: NameMatch | None = None
        asked = len(terms.all) or 1
        for form in (*catalog.entries[index].forms, *extra.get(index, ())):
            score = form_score(terms, form)
            if score <= 0:
                continue
            exact = is_exact(terms, form)
            coverage = len(form.tokens & terms.all) / asked
            if best is None or (exact, coverage, score) > (best.exact, best.coverage, best.score):
                typos = tuple(terms.corrected[t] for t in form.tokens & terms.required if t in terms.corrected)
                best = NameMatch(score=score, form=form, exact=exact, coverage=coverage, typos=typos)
        if best is not None:
            out[index] = best
    return out


def text_scores(catalog: Catalog, terms: QueryTerms, rows: list[int]) -> dict[int, float]:
    """BM25 over names, descriptions and tags, scaled to 0..1 and by the share of the question's words a text holds."""
    wanted = set(terms.required) or set(terms.optional)
    if not rows or not wanted:
        return {}
    # optional words rank (a 'daily' question prefers the text that says 'day') but are not required
    scores = catalog.bm25(sorted(terms.all))
    picked = scores[rows]
    # scaled by the best text of the whole catalog, not of `rows`: a caller's scope must not move scores
    top = float(np.max(scores)) if len(scores) else 0.0
    if top <= 0.0:
        return {}
    out: dict[int, float] = {}
    for row, value in zip(rows, picked, strict=True):
        if value > 0:
            coverage = len(wanted & catalog.text_sets[row]) / len(wanted)
            out[row] = float(value) / top * coverage
    return out
