"""The review carried out (services/intake/applications/service.py) over the in-memory store: the answer keeps its
keys and adds `reason_codes`; the timeline step and the application.rejected event carry the codes too."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chassis.events import decode, encode
from chassis.identity import Identity
from chassis.pii import sealer_of
from chassis.scope import tenant_scope
from chassis.store.memory import MemoryStore
from services.intake.applications.service import Applications
from services.intake.notifications.service import OutboxNotifier

TENANT, PERSON = "hz-p1", "610702195803120012"


class _Policies:
    async def disease(self, tenant: str, program: str, code: str) -> Any:
        return SimpleNamespace(name="高血压", required_documents=["application_form", "id_card"])


@pytest.fixture
def world() -> tuple[Applications, Any, Any]:
    store = MemoryStore()

    def db(tenant: str) -> Any:
        return store.database("intake", tenant)

    scope = tenant_scope(Identity(TENANT, "clerk", "clerk-1"), frozenset({TENANT}), db)
    return Applications(_Policies(), None, "", OutboxNotifier(db), 1 << 20), scope, db(TENANT)  # type: ignore[arg-type]


async def _filed(db: Any, app_id: str, insured: bool, kinds: tuple[str, ...]) -> None:
    await db.applications.insert_one({
        "_id": app_id, "person_id": PERSON, "person_name": "张建国", "disease_code": "HTN", "diseases": ["HTN"],
        "channel": "window", "program": "hz-chronic", "status": "submitted",
        "submitted_at": "2025-06-02T01:00:00+00:00", "phone": None, "timeline": [], "trace_context": {},
        "insurance": {"checked": True, "insured": insured, "error": "" if insured else "1101: 无参保信息"},
        "documents": [{"document_id": k, "kind": k, "filename": f"{k}.pdf", "content_type": "application/pdf",
                       "size": 1, "sha256": "0"} for k in kinds]})


async def test_a_person_1101_does_not_confirm_is_rejected_with_the_code(world: tuple[Any, Any, Any]) -> None:
    applications, scope, db = world
    await _filed(db, "a1", False, ("application_form", "id_card"))
    view = await applications.review(scope, "a1", "complete", [], "")
    assert view["status"] == "rejected" and view["insurance"]["insured"] is False
    assert [r["code"] for r in view["reason_codes"]] == ["not_insured"]
    assert [r["code"] for r in view["timeline"][-1]["reason_codes"]] == ["not_insured"]
    stored = await db.applications.find_one({"_id": "a1"})
    (event,) = stored["_outbox"]
    assert event["type"] == "application.rejected"
    payload = decode(encode(event)).payload
    # stored sealed (it may quote 1101's error, which can name the identity number): opened, it is the event's
    assert payload.reason == sealer_of(db).open(stored["rejection"]) != stored["rejection"]
    assert [r.code for r in payload.reason_codes] == ["not_insured"]
    assert dict(payload.reason_codes[0].params) == {"error": "1101: 无参保信息"}


async def test_documents_missing_names_them_in_the_answer_and_its_codes(world: tuple[Any, Any, Any]) -> None:
    applications, scope, db = world
    await _filed(db, "a2", True, ("application_form",))
    view = await applications.review(scope, "a2", "missing", ["medical_record"], "补充病历")
    assert view["status"] == "documents_missing" and view["missing"] == ["id_card", "medical_record"]
    (reason,) = view["reason_codes"]
    assert (reason["code"], reason["params"]) == ("documents_missing", {"missing": "id_card,medical_record"})
    notes = await db.notifications.find({}).to_list(None)
    assert [n["template"] for n in notes] == ["documents_missing"]


async def test_a_complete_application_has_no_reasons(world: tuple[Any, Any, Any]) -> None:
    applications, scope, db = world
    await _filed(db, "a3", True, ("application_form", "id_card"))
    view = await applications.review(scope, "a3", "complete", [], "")
    assert view["status"] == "complete" and view["reason_codes"] == []
    assert "reason_codes" not in view["timeline"][-1]
