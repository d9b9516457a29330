"""What audit keeps sealed of the events' personal data (readmodel/store.py, sampling/store.py, warnings/store.py;
chassis/pii.py): the read model, findings, call-backs and warnings hold no identity number in clear, a person's
settled month is kept under their pseudonym, lookups by person go through the blind index, and what was folded
before sealing is sealed (and re-keyed) when audit starts."""

from __future__ import annotations

import json
from typing import Any

from chassis.pii import is_sealed, sealer_of
from chassis.store.memory import MemoryStore
from services.audit.readmodel.service import project_event as project
from services.audit.readmodel.store import ReadModelStore
from services.audit.sampling.store import CALLBACKS, SamplingStore
from services.audit.warnings.store import WARNINGS, WarningStore
from tests.unit.audit.builders import PERSON_A, PERSON_B, build, finding, granted, settled

T = "hz-p1"


def raw_text(docs: Any) -> str:
    return json.dumps(docs, default=repr, ensure_ascii=False)


async def test_the_read_model_holds_no_number_and_finds_the_person() -> None:
    db = MemoryStore().database("audit", T)
    store = ReadModelStore(db)
    events = [build(s) for s in (granted("q1", PERSON_A, "HTN", "2025-01-10"),
                                 granted("q2", PERSON_B, "DM", "2025-01-11"),
                                 settled(PERSON_A, "H001", "2025-02", "100.00", "80.00", statement="st-1"),
                                 finding("f1", PERSON_A, "overpayment", "12.50", "2025-03-01T10:00:00+08:00"))]
    await store.apply([u for e in events for u in project(e)])
    for name in ("cases", "benefits", "findings"):
        raw = await db[name].find({}).to_list(None)
        assert raw and PERSON_A not in raw_text(raw) and PERSON_B not in raw_text(raw), name
    (benefit,) = await db.benefits.find({}).to_list(None)
    assert benefit["_id"] == f"st-1:{sealer_of(db).id_index(PERSON_A)}:H001:2025-02"
    assert [c["_id"] for c in await store.cases_where(PERSON_A)] == ["q1"]
    assert [c["_id"] for c in await store.cases_of([PERSON_B, "nobody"])] == ["q2"]
    assert (await store.benefits(["2025-02"]))[0]["person_id"] == PERSON_A
    assert [f["_id"] for f in await SamplingStore(db).findings(PERSON_A)] == ["f1"]
    assert await SamplingStore(db).findings(PERSON_B) == []


async def test_what_was_folded_clear_is_sealed_on_start() -> None:
    db = MemoryStore().database("audit", T)
    await db.cases.insert_one({"_id": "q1", "person_id": PERSON_A, "disease_code": "HTN"})
    await db.benefits.insert_one({"_id": f"st-1:{PERSON_A}:H001:2025-02", "person_id": PERSON_A,
                                  "statement_id": "st-1", "institution_code": "H001", "month": "2025-02",
                                  "payable_fen": 80})
    store = ReadModelStore(db)
    await store.ensure_indexes()
    await store.ensure_indexes()
    for name in ("cases", "benefits"):
        raw = await db[name].find({}).to_list(None)
        assert len(raw) == 1 and PERSON_A not in raw_text(raw), name
    # a redelivered settlement lands on the re-keyed document, not beside it
    await store.apply(project(build(settled(PERSON_A, "H001", "2025-02", "100.00", "90.00", statement="st-1"))))
    assert [b["payable_fen"] for b in await store.benefits(["2025-02"])] == [9000]
    assert [c["_id"] for c in await store.cases_where(PERSON_A)] == ["q1"]


async def test_callbacks_and_warnings_hold_no_number() -> None:
    db = MemoryStore().database("audit", T)
    sampling = SamplingStore(db)
    callback_id = sampling.callback_id("plan-1", PERSON_A)
    assert PERSON_A not in callback_id and callback_id == sampling.callback_id("plan-1", PERSON_A)
    assert await sampling.add_callback({"_id": callback_id, "plan_id": "plan-1", "person_id": PERSON_A,
                                        "status": "open", "attempts": []})
    attempt = {"at": "t", "notes": f"{PERSON_A} 未接"}
    assert await sampling.record_callback(callback_id, attempt, {"status": "unreached"}, [])
    raw = await db[CALLBACKS].find({}).to_list(None)
    assert PERSON_A not in raw_text(raw) and is_sealed(raw[0]["attempts"][0]["notes"])
    cb = await sampling.callback(callback_id)
    assert cb is not None and cb["person_id"] == PERSON_A and PERSON_A in cb["attempts"][0]["notes"]

    warnings = WarningStore(db)
    assert await warnings.add_warning({"_id": "w1", "kind": "person_pattern", "subject": PERSON_A, "status": "open",
                                       "description": "Person 610702****0012", "evidence": {"person_id": PERSON_A}},
                                      [])
    assert await warnings.file_warning_report("w1", {"status": "reported", "report": f"约谈 {PERSON_A}"})
    assert PERSON_A not in raw_text(await db[WARNINGS].find({}).to_list(None))
    w = await warnings.warning("w1")
    assert w is not None and (w["subject"], w["evidence"]["person_id"]) == (PERSON_A, PERSON_A)
    assert PERSON_A in w["report"] and warnings.pseudonym(PERSON_A) == sealer_of(db).id_index(PERSON_A)
