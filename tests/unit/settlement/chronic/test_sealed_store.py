"""What the chronic room keeps sealed (chassis/pii.py): a person's snapshots are keyed on the pseudonym of their
identity number (`<id index>#<version>`), the number sealed beside its blind index; claim lines and settled persons
hold it sealed; everything reads back clear, lookups by person find them (and only them, as given), and a rotation
of the blind-index key loses nobody."""

from __future__ import annotations

import json
from typing import Any

from chassis.pii import is_sealed, sealer_of
from chassis.store.memory import MemoryStore
from services.settlement.chronic.store import CLAIMS_PREFIX, SETTLEMENTS, SettlementStore
from services.settlement.chronic.store.person_book import PERSON_STATES, PersonBook

T = "hz-p1"
PERSON = "61070219731205008X"
SID = "H1-2025-06"


def raw_text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, default=repr, ensure_ascii=False)


def claim(claim_id: str, person: str, batch_id: str = "b1", n_lines: int = 2) -> dict[str, Any]:
    lines = [{"line": i + 1, "disease": "HTN", "amount_fen": 100, "covered": True, "item_code": "", "description": "",
              "payable_fen": 80, "deductible_fen": 0, "reasons": []} for i in range(n_lines)]
    return {"_id": f"H1|{claim_id}", "claim_id": claim_id, "person_id": person, "date": "2025-06-03",
            "batch_id": batch_id, "source": "batch", "policy_version": "v", "claimed_fen": 100 * n_lines,
            "payable_fen": 80 * n_lines, "line_count": n_lines, "lines": lines}


async def test_snapshots_are_keyed_on_the_pseudonym_and_read_back_clear() -> None:
    mem = MemoryStore()
    book = PersonBook(lambda t: mem.database("settlement", t))
    state = await book.get(T, PERSON)
    lower = await book.get(T, PERSON.lower())  # another string: another person, never the same document
    assert not await book.save(T, [state.next(holdings=[{"qualification_id": "q1", "disease": "HTN"}]),
                                   lower.next(holdings=[])], "test")
    raw = await mem.database("settlement", T)[PERSON_STATES].find({}).to_list(None)
    assert len(raw) == 2 and PERSON not in raw_text(raw) and PERSON.lower() not in raw_text(raw)
    pii = sealer_of(mem.database("settlement", T))
    mine = next(d for d in raw if d["_id"] == f"{pii.id_index(PERSON)}#00000001")
    assert is_sealed(mine["person_id"]) and mine["person_bi"] == pii.blind_index(PERSON)

    fresh = PersonBook(lambda t: mem.database("settlement", t))  # a restarted process reads the book back
    assert (await fresh.get(T, PERSON)).holdings == [{"qualification_id": "q1", "disease": "HTN"}]
    assert (await fresh.get(T, PERSON.lower())).version == 1
    await fresh.reload(T, [PERSON])  # by blind index, keeping only the number asked for
    assert fresh.known(T, PERSON).version == 1 and fresh.known(T, PERSON.lower()).version == 1


async def test_a_rotated_blind_index_key_still_finds_the_person() -> None:
    mem = MemoryStore()
    book = PersonBook(lambda t: mem.database("settlement", t))
    state = await book.get(T, PERSON)
    await book.save(T, [state.next(holdings=[{"q": 1}])], "v1")
    mem._keys.rotate("blind-index", T)
    other = PersonBook(lambda t: mem.database("settlement", t))
    await other.reload(T, [PERSON])  # the snapshot indexed under the old key is found
    assert other.known(T, PERSON) is not None and other.known(T, PERSON).holdings == [{"q": 1}]
    assert not await other.save(T, [other.known(T, PERSON).next(holdings=[{"q": 2}])], "v2")
    assert (await PersonBook(lambda t: mem.database("settlement", t)).get(T, PERSON)).version == 2


async def test_claim_lines_and_settled_persons_are_sealed_and_found_by_person() -> None:
    # A person id no sealed value (URL-safe base64) can hold by chance: "Q1" alone turned up in ciphertexts.
    other_person = "Q1~other"
    mem = MemoryStore()
    db = mem.database("settlement", T)
    store = SettlementStore(db)
    assert await store.insert_claims(SID, [claim("a", PERSON), claim("b", other_person, n_lines=1),
                                           claim("c", PERSON.lower(), n_lines=1)]) == []
    raw = await db[CLAIMS_PREFIX + SID].find({}).to_list(None)
    assert len(raw) == 4 and PERSON not in raw_text(raw) and other_person not in raw_text(raw)
    # the lines of one person written together share one sealed value (opened once when read together)
    assert len({d["person_id"] for d in raw if d["claim_id"] == "a"}) == 1

    assert [c["claim_id"] for c in await store.claims(SID, {"person_id": PERSON}, 0, 10)] == ["a"]
    assert [c["claim_id"] for c in await store.claims(SID, {"person_id": PERSON.lower()}, 0, 10)] == ["c"]
    assert (await store.claim(SID, "H1|a"))["person_id"] == PERSON
    persons = [d["person_id"] async for d in store.claim_lines(SID, ("person_id", "amount_fen"))]
    assert sorted(persons) == sorted([PERSON, PERSON, other_person, PERSON.lower()])
    assert (await store.claim_keys(SID, ["H1|b"]))["H1|b"]["person_id"] == other_person
    await store.delete_batch_claims(SID, "b1", [PERSON])  # only theirs, not the other case of the letter
    assert sorted(c["claim_id"] for c in await store.claims(SID, {}, 0, 10)) == ["b", "c"]

    await store.insert_settlements([{"_id": f"{SID}|000000", "statement_id": SID,
                                     "persons": [{"person_id": PERSON, "payable_fen": 80}]}])
    assert PERSON not in raw_text(await db[SETTLEMENTS].find({}).to_list(None))
    assert (await store.settlements_of(SID))[0]["persons"] == [{"person_id": PERSON, "payable_fen": 80}]
