"""Feedback: recorded through the tool, reviewed by a steward (audited), and once approved, and only then,
it changes answers."""

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from graph_schema.store import GraphStore, open_store
from graph_schema.vector.embeddings import Embedder
from server.errors import PermissionDeniedError
from server.feedback.errors import FeedbackReviewError
from server.feedback.models import FeedbackItem, FeedbackKind, FeedbackStatus, Review
from server.feedback.review import review_feedback
from server.feedback.store import FeedbackStore
from server.feedback.store_postgres import PostgresFeedbackStore
from server.feedback.store_sqlite import SqliteFeedbackStore
from server.governance.audit_models import AuditQuery
from server.governance.principal import Principal
from server.runtime import Runtime, build_runtime
from server.search.service import SearchService
from server.tools.names import ToolName
from server.tools.schemas.metrics import ResolveMetricOutput
from tests.resolve.conftest import Project
from tests.server.calls import call, error_text

ANALYST = Principal(name="ana", role="analyst")
STEWARD = Principal(name="sam", role="steward")


@pytest.fixture
def graph(shop: Project) -> Iterator[GraphStore]:
    with open_store(shop.settings, read_only=True) as store:
        yield store


@pytest.fixture
def runtime(shop: Project, graph: GraphStore, embedder: Embedder, tmp_path: Path) -> Iterator[Runtime]:
    """A server over the shop graph whose feedback and audit log live in this test's folder."""
    settings = shop.settings.model_copy(update={"home": tmp_path / "home"})
    feedback = SqliteFeedbackStore(tmp_path / "feedback.sqlite")
    search = SearchService(shop.settings, embedder=embedder, feedback=feedback)
    made = build_runtime(settings, store=graph)
    if made.search is not None:
        made.search.close()
    runtime = dataclasses.replace(made, search=search)
    yield runtime
    runtime.close()
    feedback.close()


def ask(runtime: Runtime, question: str) -> ResolveMetricOutput:
    answer = call(runtime, ToolName.RESOLVE_METRIC, {"question": question}, ANALYST)
    assert isinstance(answer, dict), error_text(answer)
    return ResolveMetricOutput.model_validate(answer)


def submit(runtime: Runtime, **arguments: str) -> str:
    answer = call(runtime, ToolName.RECORD_FEEDBACK, arguments, ANALYST)
    assert isinstance(answer, dict), error_text(answer)
    assert answer["status"] == "pending_review"
    return str(answer["feedback_id"])


def decide(runtime: Runtime, feedback_id: str, decision: str, reviewer: Principal = STEWARD) -> FeedbackItem:
    assert runtime.search is not None
    return review_feedback(runtime.search.feedback, runtime.policy, runtime.audit, reviewer, feedback_id,
                           decision, "checked")  # type: ignore[arg-type]


def resolved_to(answer: ResolveMetricOutput) -> str | None:
    return answer.metric.name if answer.status == "resolved" and answer.metric else None


def test_an_approved_synonym_flips_an_answer(runtime: Runtime) -> None:
    assert resolved_to(ask(runtime, "turnover last month")) != "net_revenue"
    feedback_id = submit(runtime, kind="synonym", target="net_revenue", value="turnover")
    assert resolved_to(ask(runtime, "turnover last month")) != "net_revenue", "pending feedback changed an answer"
    assert decide(runtime, feedback_id, "approve").status is FeedbackStatus.APPROVED
    after = ask(runtime, "turnover last month")
    assert resolved_to(after) == "net_revenue"
    assert after.metric is not None and after.metric.certified


def test_a_rejected_synonym_changes_nothing(runtime: Runtime) -> None:
    before = ask(runtime, "takings by week")
    feedback_id = submit(runtime, kind="synonym", target="gross_revenue", value="takings")
    assert decide(runtime, feedback_id, "reject").status is FeedbackStatus.REJECTED
    after = ask(runtime, "takings by week")
    assert (after.status, resolved_to(after)) == (before.status, resolved_to(before))
    assert resolved_to(after) != "gross_revenue"


def test_an_approved_answer_flips_a_wrong_question(runtime: Runtime) -> None:
    question = "how much do customers spend per order"
    assert resolved_to(ask(runtime, question)) != "average_order_value"
    rejected = submit(runtime, kind="correct_answer", target="customers", question=question)
    decide(runtime, rejected, "reject")
    assert resolved_to(ask(runtime, question)) != "customers"
    approved = submit(runtime, kind="correct_answer", target="average_order_value", question=question)
    decide(runtime, approved, "approve")
    answer = ask(runtime, "How much do customers spend per order?")
    assert resolved_to(answer) == "average_order_value"
    assert "approved" in (answer.note or "")


def test_an_approved_deprecation_redirects_to_the_replacement(runtime: Runtime) -> None:
    assert resolved_to(ask(runtime, "gross sales this year")) == "gross_revenue"
    feedback_id = submit(runtime, kind="deprecate", target="gross_revenue", value="net_revenue",
                         note="finance reports net only")
    decide(runtime, feedback_id, "approve")
    answer = ask(runtime, "gross sales this year")
    assert resolved_to(answer) == "net_revenue"
    assert "'gross_revenue' is deprecated" in (answer.note or "")


def test_review_rules_and_audit(runtime: Runtime) -> None:
    feedback_id = submit(runtime, kind="note", target="refund_rate", note="returns pending count as refunds")
    with pytest.raises(PermissionDeniedError, match="role 'analyst' may not review feedback"):
        decide(runtime, feedback_id, "approve", reviewer=ANALYST)
    own = submit(runtime, kind="synonym", target="refund_rate", value="return rate")
    author = Principal(name="ana", role="steward")
    with pytest.raises(FeedbackReviewError, match="cannot review it"):
        decide(runtime, own, "approve", reviewer=author)
    decide(runtime, feedback_id, "approve")
    with pytest.raises(FeedbackReviewError, match="approved by sam already"):
        decide(runtime, feedback_id, "reject")
    entries = runtime.audit.query(AuditQuery(tool="review_feedback")).entries
    assert [(e.principal, e.decision, e.outcome) for e in reversed(entries)] == [
        ("ana", "denied", "denied"),
        ("ana", "allowed", "error"),
        ("sam", "allowed", "ok"),
        ("sam", "allowed", "error"),
    ]
    recorded = runtime.audit.query(AuditQuery(tool="record_feedback")).entries
    assert len(recorded) == 2 and all(e.outcome == "ok" for e in recorded)


def test_feedback_needs_a_known_target_and_its_value(runtime: Runtime) -> None:
    unknown = call(runtime, ToolName.RECORD_FEEDBACK, {"kind": "synonym", "target": "no_such_metric", "value": "x"},
                   ANALYST)
    assert error_text(unknown).startswith("[not_found]")
    bare = call(runtime, ToolName.RECORD_FEEDBACK, {"kind": "synonym", "target": "net_revenue"}, ANALYST)
    assert error_text(bare).startswith("[invalid_arguments] kind synonym needs `value`")
    question_less = call(runtime, ToolName.RECORD_FEEDBACK, {"kind": "correct_answer", "target": "net_revenue"},
                         ANALYST)
    assert "needs `question`" in error_text(question_less)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def feedback_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FeedbackStore]:
    if request.param == "sqlite":
        store: FeedbackStore = SqliteFeedbackStore(tmp_path / "feedback.sqlite")
        yield store
        store.close()
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"feedback_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in base else "?"
    store = PostgresFeedbackStore(f"{base}{joiner}options=-csearch_path%3D{schema}")
    yield store
    store.close()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_store_keeps_items_and_decides_once(feedback_store: FeedbackStore) -> None:
    submitted = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    item = FeedbackItem(feedback_id="fb-1", kind=FeedbackKind.SYNONYM, target="net_revenue",
                        target_id="metric:dbt.shop.net_revenue", value="turnover", submitted_by="ana",
                        submitted_role="analyst", submitted_at=submitted)
    feedback_store.add(item)
    feedback_store.add(item.model_copy(update={"feedback_id": "fb-2", "value": "takings"}))
    assert feedback_store.get("fb-1") == item
    assert [i.feedback_id for i in feedback_store.list(FeedbackStatus.PENDING_REVIEW)] == ["fb-2", "fb-1"]
    assert feedback_store.version() == 0
    review = Review(feedback_id="fb-1", status=FeedbackStatus.APPROVED, reviewer="sam", at=submitted, comment="ok")
    assert feedback_store.review(review)
    assert not feedback_store.review(review.model_copy(update={"status": FeedbackStatus.REJECTED}))
    decided = feedback_store.get("fb-1")
    assert decided is not None and decided.status is FeedbackStatus.APPROVED and decided.reviewed_by == "sam"
    assert feedback_store.version() == 1
    assert [i.feedback_id for i in feedback_store.list(FeedbackStatus.APPROVED)] == ["fb-1"]
    assert feedback_store.get("fb-404") is None
