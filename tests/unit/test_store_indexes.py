"""The newer collections get their indexes in their owning store's `ensure_indexes`, like their neighbours, and the
modules that serve them reach them only through that store (nothing outside a store touches a collection)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chassis.store.memory import MemoryStore
from services.appraisal.experts.store import EXPERT_LISTS, ExpertStore
from services.intake.surveys.store import SURVEYS, SurveyStore
from services.settlement.statement_documents.store import STATEMENT_DOCUMENTS, StatementDocumentStore

ROOT = Path(__file__).resolve().parents[2]


async def _keys(db: object, collection: str) -> list[list[tuple[str, int]]]:
    info = await db[collection].index_information()  # type: ignore[index]
    return [list(spec["key"]) for spec in info.values()]


@pytest.mark.parametrize(("service", "store", "collection", "key"), [
    ("settlement", StatementDocumentStore, STATEMENT_DOCUMENTS, [("statement_id", 1)]),
    ("intake", SurveyStore, SURVEYS, [("program", 1), ("answered_on", 1)]),
    ("appraisal", ExpertStore, EXPERT_LISTS, [("status", 1)]),
])
async def test_new_collections_are_indexed_by_their_store(service: str, store: type, collection: str,
                                                          key: list[tuple[str, int]]) -> None:
    db = MemoryStore().database(service, "t-1")
    assert key not in await _keys(db, collection)
    await store(db).ensure_indexes()
    assert key in await _keys(db, collection)


# A collection reached directly: `db["statements"]`, `ctx.db(tenant)[SURVEYS]`, `db[EXPERTS]`...
_DIRECT = re.compile(r"(\bdb|\bdb\([^)]*\)|_db_for\([^)]*\))\[")


@pytest.mark.parametrize("module", ["services/appraisal/experts/service.py",
                                    "services/appraisal/cases/service/drawing.py",
                                    "services/settlement/statement_documents/api.py",
                                    "services/settlement/statement_documents/service.py",
                                    "services/intake/surveys/service.py", "services/intake/notifications/service.py"])
def test_modules_reach_their_collections_through_the_store(module: str) -> None:
    source = (ROOT / module).read_text(encoding="utf-8")
    assert _DIRECT.findall(source) == [], f"{module} touches a collection outside its store"
    assert _DIRECT.findall('await ctx.db(caller.tenant)["statements"].find_one()')  # the pattern does catch it
