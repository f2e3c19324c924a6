"""Approved feedback as it changes answers: extra synonyms, deprecations and remembered answers to questions."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from server.feedback.models import FeedbackItem, FeedbackKind
from server.search.catalog import Catalog, Form
from server.search.text import parse_question, tokens


@dataclass(frozen=True)
class Overlay:
    version: int = 0
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # node id -> other names
    deprecated: dict[str, str | None] = field(default_factory=dict)  # node id -> replacement id
    answers: dict[str, str] = field(default_factory=dict)  # question key -> node id

    def forms(self, catalog: Catalog) -> dict[int, list[Form]]:
        out: dict[int, list[Form]] = {}
        for node_id, names in self.synonyms.items():
            index = catalog.by_id.get(node_id)
            if index is None:
                continue
            out[index] = [Form("feedback", name, frozenset(tokens(name))) for name in names if tokens(name)]
        return out


EMPTY_OVERLAY = Overlay()


def build_overlay(items: Iterable[FeedbackItem], version: int) -> Overlay:
    """The overlay of approved items, later approvals winning where two disagree."""
    synonyms: dict[str, list[str]] = defaultdict(list)
    deprecated: dict[str, str | None] = {}
    answers: dict[str, str] = {}
    for item in sorted(items, key=lambda i: i.reviewed_at or i.submitted_at):
        if item.kind is FeedbackKind.SYNONYM and item.value:
            synonyms[item.target_id].append(item.value)
        elif item.kind is FeedbackKind.DEPRECATE:
            deprecated[item.target_id] = item.value_id
        elif item.kind is FeedbackKind.CORRECT_ANSWER and item.question:
            key = parse_question(item.question).key
            if key:
                answers[key] = item.target_id
    return Overlay(
        version=version,
        synonyms={k: tuple(v) for k, v in synonyms.items()},
        deprecated=deprecated,
        answers=answers,
    )
