"""Critical illness's person-keyed collections (services/settlement/critical/store.py, chassis/pii.py): no id is
built on an identity number (persons, accounts and quota members are keyed on its pseudonym), the number is sealed
wherever it is kept (claims, reviews, statement lines too), every read gives it back clear, a rotation of the
blind-index key loses no account, and what was stored before sealing is re-keyed when the store starts."""

from __future__ import annotations

import json
from typing import Any

from chassis.pii import is_sealed, sealer_of
from chassis.store.memory import MemoryStore
from services.settlement.critical.store import (
    ACCOUNTS,
    CLAIMS,
    PERSONS,
    QUOTA_MEMBERS,
    REVIEWS,
    STATEMENTS,
    CriticalStore,
    account_id,
)

T = "qz-ci"
PERSON = "33080219650312004X"


def raw_text(docs: Any) -> str:
    return json.dumps(docs, default=repr, ensure_ascii=False)


def claim_doc(key: str, person: str, year: int = 2025) -> dict[str, Any]:
    return {"_id": key, "claim_id": key.split("~")[-1], "person_id": person, "date": f"{year}-03-01", "year": year,
            "digest": "d" * 64, "payable_fen": 100, "statement_id": None, "payable_id": None,
            "review_required": True, "review_id": f"R-{key}",
            "documents": [{"kind": "invoice", "filename": f"{person}.pdf", "sha256": "s" * 64}]}


async def test_persons_accounts_members_claims_reviews_and_lines_hold_no_number() -> None:
    db = MemoryStore().database("settlement", T)
    store = CriticalStore(db)
    await store.ensure_indexes()
    person = await store.person(PERSON) or {"_id": PERSON, "person_id": PERSON, "periods": []}
    await store.put_person({**person, "periods": [{"effective_from": "2025-01-01", "assistance_recipient": True}]})
    await store.put_person({**(await store.person(PERSON) or {}), "periods": []})  # replaced, not a second one
    account = await store.ensure_account(PERSON, 2025)
    assert await store.apply_account(PERSON, 2025, account["version"], {"cumulative_self_pay_fen": 5}, ["H~c1"], [])
    await store.put_claims([claim_doc("H~c1", PERSON), claim_doc("H~c2", PERSON.lower()), claim_doc("H~c3", "P2")])
    assert await store.insert_member({"_id": "x", "year": 2025, "stratum": "s", "key": PERSON, "person_id": PERSON,
                                      "claim_id": "c1", "claim_key": "H~c1", "selected": True, "population": 1})
    assert not await store.insert_member({"_id": "y", "year": 2025, "stratum": "s", "key": PERSON,
                                          "person_id": PERSON, "population": 1})  # the same member
    await store.insert_review({"_id": "R-H~c1", "review_id": "R-H~c1", "person_id": PERSON, "status": "open",
                               "year": 2025, "note": ""})
    assert await store.complete_review("R-H~c1", {"status": "completed", "note": f"{PERSON} 重复收费"}, [])
    line = {"claim_id": "c1", "person_id": PERSON, "date": "2025-03-01"}
    assert await store.insert_statement({"_id": "CI-H-2025-03", "month": "2025-03", "status": "open",
                                         "lines": [line], "line_count": 1})
    assert await store.add_lines("CI-H-2025-03", [{**line, "claim_id": "c2"}, {**line, "claim_id": "c3"}])

    pii = sealer_of(db)
    for name in (PERSONS, ACCOUNTS, CLAIMS, QUOTA_MEMBERS, REVIEWS, STATEMENTS):
        raw = await db[name].find({}).to_list(None)
        assert raw and PERSON not in raw_text(raw) and PERSON.lower() not in raw_text(raw), name
    assert [d["_id"] for d in await db[PERSONS].find({}).to_list(None)] == [pii.id_index(PERSON)]
    assert [d["_id"] for d in await db[ACCOUNTS].find({}).to_list(None)] == [account_id(pii.id_index(PERSON), 2025)]
    assert [d["_id"] for d in await db[QUOTA_MEMBERS].find({}).to_list(None)] == [f"2025|s|{pii.id_index(PERSON)}"]
    raw_claim = await db[CLAIMS].find_one({"_id": "H~c1"})
    assert is_sealed(raw_claim["digest"]) and is_sealed(raw_claim["documents"][0]["filename"])

    assert (await store.person(PERSON))["periods"] == [] and (await store.person(PERSON))["_id"] == PERSON
    assert (await store.account(PERSON, 2025))["cumulative_self_pay_fen"] == 5
    assert (await store.account(PERSON, 2025))["person_id"] == PERSON
    assert [c["_id"] for c in await store.claims_of(PERSON, 2025)] == ["H~c1"]  # not the other case's
    assert (await store.claims_by_ids(["H~c1"]))["H~c1"]["documents"][0]["filename"] == f"{PERSON}.pdf"
    assert {c["person_id"] for c in await store.selected_claims()} == {PERSON, PERSON.lower(), "P2"}
    assert (await store.member(2025, "s", PERSON))["person_id"] == PERSON
    assert (await store.latest_member(2025, "s"))["key"] == PERSON
    review = await store.review("R-H~c1")
    assert review is not None and review["person_id"] == PERSON and PERSON in review["note"]
    statement = await store.statement("CI-H-2025-03")
    assert statement is not None and [ln["person_id"] for ln in statement["lines"]] == [PERSON] * 3
    (by_id,) = await store.by_ids(STATEMENTS, ["CI-H-2025-03"], None)
    assert by_id["lines"] == statement["lines"]


async def test_a_rotated_blind_index_key_loses_no_account() -> None:
    mem = MemoryStore()
    store = CriticalStore(mem.database("settlement", T))
    account = await store.ensure_account(PERSON, 2025)
    assert await store.apply_account(PERSON, 2025, account["version"], {"cumulative_paid_fen": 700}, ["k1"], [])
    await store.put_claims([claim_doc("H~c1", PERSON)])
    mem._keys.rotate("blind-index", T)
    after = CriticalStore(mem.database("settlement", T))  # a new handle: the newest key
    found = await after.ensure_account(PERSON, 2025)
    assert found["cumulative_paid_fen"] == 700 and found["applied"] == ["k1"]
    assert await after.apply_account(PERSON, 2025, found["version"], {"cumulative_paid_fen": 800}, ["k2"], [])
    assert await mem.database("settlement", T)[ACCOUNTS].count_documents({}) == 1
    assert [c["_id"] for c in await after.claims_of(PERSON, 2025)] == ["H~c1"]


async def test_what_was_stored_clear_is_rekeyed_and_sealed_on_start() -> None:
    db = MemoryStore().database("settlement", T)
    await db[PERSONS].insert_one({"_id": PERSON, "person_id": PERSON, "periods": [{"effective_from": "2025-01-01",
                                                                                  "assistance_recipient": True}]})
    await db[ACCOUNTS].insert_one({"_id": f"{PERSON}|2025", "person_id": PERSON, "year": 2025, "version": 3,
                                   "cumulative_self_pay_fen": 9, "cumulative_paid_fen": 1, "applied": ["H~c1"]})
    await db[QUOTA_MEMBERS].insert_one({"_id": f"2025|s|{PERSON}", "year": 2025, "stratum": "s", "key": PERSON,
                                        "person_id": PERSON, "selected": True, "population": 1})
    await db[CLAIMS].insert_one(claim_doc("H~c1", PERSON))
    store = CriticalStore(db)
    await store.ensure_indexes()
    await store.ensure_indexes()  # again: nothing left to do
    for name in (PERSONS, ACCOUNTS, QUOTA_MEMBERS, CLAIMS):
        raw = await db[name].find({}).to_list(None)
        assert len(raw) == 1 and PERSON not in raw_text(raw), name
    assert (await store.account(PERSON, 2025))["version"] == 3
    assert (await store.person(PERSON))["periods"][0]["assistance_recipient"] is True
    assert (await store.member(2025, "s", PERSON))["selected"] is True
    assert [c["_id"] for c in await store.claims_of(PERSON, 2025)] == ["H~c1"]
