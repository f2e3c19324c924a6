"""How a question and an asset's names become comparable tokens.

Both sides go through the same `tokens()`: words split at case changes and punctuation, common business
abbreviations spelt out, and a light suffix stemmer so that 'orders' meets 'order' and 'churned' meets
'churn'. A question's tokens are then split into the words that must be explained by a match and the
words that may be (time periods, grains, slicing): 'net revenue last month by region' is about
'net revenue'; 'last month' and 'region' only refine it.
"""

import re
from dataclasses import dataclass

_SPLIT = re.compile(r"[^0-9a-zA-Z%#]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[a-zA-Z])(?=[%#])")

# Abbreviations people type for business terms, spelt out before stemming.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "rev": ("revenue",),
    "revs": ("revenue",),
    "avg": ("average",),
    "cnt": ("count",),
    "num": ("number",),
    "nbr": ("number",),
    "#": ("number",),
    "qty": ("quantity",),
    "pct": ("percent",),
    "%": ("percent",),
    "cust": ("customer",),
    "custs": ("customer",),
    "subs": ("subscription",),
    "sub": ("subscription",),
    "mtd": ("month", "to", "date"),
    "ytd": ("year", "to", "date"),
    "qtd": ("quarter", "to", "date"),
    "wtd": ("week", "to", "date"),
    "mom": ("month", "over", "month"),
    "yoy": ("year", "over", "year"),
    "qoq": ("quarter", "over", "quarter"),
    "wow": ("week", "over", "week"),
}

STOPWORDS: frozenset[str] = frozenset(
    """a an the of for in on at to from with and or vs versus what whats what's which who how is are was were be
    been do does did we our us my me i you your they their it its this that these those show give tell get find
    list see know want need please can could would should much many number count total value amount metric
    metrics kpi kpis figure figures stat stats report reporting dashboard about across during over under
    there any all each every has have had will just like than then so if by per split broken down
    group grouped""".split()
)
# Words that name a period, a grain or a comparison: they may match a metric's name ('weekly actives')
# but a question does not have to be explained by them ('revenue last week').
MODIFIERS: frozenset[str] = frozenset(
    """last this next previous prior current past recent today yesterday tomorrow day days daily week weeks
    weekly month months monthly quarter quarters quarterly year years yearly annual annually fiscal fy
    h1 h2 q1 q2 q3 q4 jan january feb february mar march apr april may jun june jul july aug august sep sept
    september oct october nov november dec december period periods trend trends time so far since
    until till ago running rolling trailing""".split()
)
# Grain words of a question, for the SQL of the resolved metric.
GRAIN_WORDS: dict[str, str] = {
    "daily": "day",
    "day": "day",
    "days": "day",
    "yesterday": "day",
    "today": "day",
    "weekly": "week",
    "week": "week",
    "weeks": "week",
    "monthly": "month",
    "month": "month",
    "months": "month",
    "quarterly": "quarter",
    "quarter": "quarter",
    "quarters": "quarter",
    "yearly": "year",
    "year": "year",
    "years": "year",
    "annual": "year",
    "annually": "year",
}


def stem(word: str) -> str:
    """A light suffix stemmer; both sides use it, so it only has to be consistent, not linguistic."""
    if word.isdigit() or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-case words of `text`, abbreviations spelt out, not stemmed."""
    out: list[str] = []
    for part in _SPLIT.split(text):
        if not part:
            continue
        lowered = part.lower()
        out.extend(ABBREVIATIONS.get(lowered, (lowered,)))
    return out


def _token(word: str) -> str:
    # 'daily' and 'day' are one period: 'active customers this week' meets 'weekly active customers'
    return GRAIN_WORDS.get(word) or stem(word)


def token_of(word: str) -> str:
    """The token of one lower-case word."""
    return _token(word)


def tokens(text: str) -> list[str]:
    """Stemmed content tokens of `text` (stopwords dropped), in order."""
    return [_token(w) for w in words(text) if w not in STOPWORDS]


_MODIFIER_TOKENS: frozenset[str] = frozenset(_token(w) for w in MODIFIERS)
# After these, words name what the metric is sliced by ('by region', 'per account'): they may match.
SLICE_WORDS: frozenset[str] = frozenset({"by", "per", "across", "each"})
# ... until a word that starts another clause ('net sales by region in 2024').
CLAUSE_WORDS: frozenset[str] = frozenset({"in", "during", "since", "from", "for", "where", "with", "at", "on", "and"})


@dataclass(frozen=True)
class Question:
    """A question as tokens: `required` must be explained by a match, `optional` may be."""

    text: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    grain: str | None
    # the word as typed, for each required token: typos are corrected on words, not stems
    spelled: tuple[tuple[str, str], ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def key(self) -> str:
        """The question's identity for remembered answers: its required words, sorted."""
        return " ".join(sorted(set(self.required))) or " ".join(sorted(set(self.optional)))


def parse_question(text: str) -> Question:
    required: list[str] = []
    optional: list[str] = []
    spelled: list[tuple[str, str]] = []
    grain: str | None = None
    slicing = False
    for word in words(text):
        if word in SLICE_WORDS:
            slicing = True
        elif word in CLAUSE_WORDS:
            slicing = False
        if word in STOPWORDS:
            continue
        if word in GRAIN_WORDS and grain is None:
            grain = GRAIN_WORDS[word]
        token = _token(word)
        if slicing or word.isdigit() or word in MODIFIERS or token in _MODIFIER_TOKENS:
            optional.append(token)
        else:
            required.append(token)
            spelled.append((token, word))
    return Question(
        text=text, required=tuple(required), optional=tuple(optional), grain=grain, spelled=tuple(spelled)
    )
