"""The filing room's use cases: the filing list and a clerk's retry of a failed or refused filing. The worker that
files with the provincial platform: worker.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chassis.errors import Conflict, NotFound
from services.appraisal.cases.domain.view import case_view
from services.appraisal.filing.domain.states import RETRYABLE, filing_row
from services.appraisal.filing.store import FilingStore


async def filings(db: Any, status: str | None) -> list[dict[str, Any]]:
    return [filing_row(c) for c in await FilingStore(db).filings(status)]


async def retry(db: Any, case_id: str) -> dict[str, Any]:
    """The step that failed is retried: a refused revocation (2504) or renewal is never retried as a new filing."""
    store = FilingStore(db)
    case = await store.case(case_id)
    if case is None:  # missing, or another tenant's: the same answer
        raise NotFound(f"case {case_id} not found")
    step = case.get("filing_failed_step") or "pending"
    if not await store.retry(case_id, RETRYABLE, step, datetime.now(UTC).isoformat()):
        raise Conflict("only a failed or refused filing can be retried", code="filing_not_retryable")
    return case_view(await store.case(case_id) or {})
