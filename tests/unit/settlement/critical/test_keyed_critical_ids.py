"""Ids and draws critical illness derives from a person are keyed (chassis/pii.py, issue 11 item 5): the
`critical_claim.settled` event id, a manual reimbursement's `M-…` id and the review-quota draw are derived from
the person's keyed pseudonym (`CriticalStore.pseudonym`), not from the identity number — an unkeyed hash of the
number and a little known context could be reversed by trying every number. Each stays deterministic (a retry or
a re-submission makes the same id) and differs across tenants; a manual claim stored under the id the unkeyed
derivation gave before is still found under it."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any

from chassis.events import derived_event_id
from chassis.store.memory import MemoryStore
from services.settlement.critical.domain.claims import manual_claim_id
from services.settlement.critical.domain.review_quota import draw
from services.settlement.critical.service.claims import ClaimIn, CriticalService, claim_settled_event_id
from services.settlement.critical.store import ACCOUNTS, QUOTA_MEMBERS, QUOTA_STATE, CriticalStore

T, OTHER = "qz-ci", "hz-p1"
PERSON = "330802196503120048"
INSTITUTION = "H330802001"
D = Decimal


def claim(claim_id: str, total: str = "30000.00", self_pay: str = "25000.00", source: str = "platform",
          institution: str = INSTITUTION, documents: tuple[dict[str, Any], ...] = ()) -> ClaimIn:
    return ClaimIn(claim_id, PERSON, date(2025, 3, 5), "inpatient", "in_area", source != "manual", D(total),
                   D(self_pay), source, institution, "", documents)


async def service() -> tuple[MemoryStore, CriticalService]:
    mem = MemoryStore()
    critical = CriticalService(lambda t: mem.database("settlement", t))
    await critical.start([T])
    return mem, critical


def other_tenant(mem: MemoryStore) -> CriticalStore:
    """Another tenant's store: its pseudonyms are made with that tenant's own key."""
    return CriticalStore(mem.database("settlement", OTHER))


async def test_claim_settled_event_id_is_derived_from_the_pseudonym_not_the_number() -> None:
    mem, critical = await service()
    await critical.submit(T, [claim("c1")])
    account = await mem.database("settlement", T)[ACCOUNTS].find_one({})
    (event,) = account["_outbox"]
    key = f"{INSTITUTION}~c1"
    unkeyed = derived_event_id(f"{PERSON}|2025", "critical_claim.settled", key)
    assert event["type"] == "critical_claim.settled" and event["event_id"] != unkeyed
    store = critical.store(T)
    assert PERSON not in store.pseudonym(PERSON) and len(store.pseudonym(PERSON)) == 64
    # deterministic: the same on every call, and from another handle on the tenant's database
    assert event["event_id"] == claim_settled_event_id(store.pseudonym(PERSON), 2025, key)
    assert event["event_id"] == claim_settled_event_id(CriticalStore(mem.database("settlement", T))
                                                       .pseudonym(PERSON), 2025, key)
    # another tenant: another key, another id
    assert claim_settled_event_id(other_tenant(mem).pseudonym(PERSON), 2025, key) != event["event_id"]


async def test_review_draw_is_on_the_members_pseudonym() -> None:
    mem, critical = await service()
    views, _ = await critical.submit(T, [claim("c1")])  # in area, inpatient, ≥ 20,000 and paid: in_area_large
    assert views[0]["stratum"] == "in_area_large"
    db = mem.database("settlement", T)
    member = await db[QUOTA_MEMBERS].find_one({})
    seed = (await db[QUOTA_STATE].find_one({"_id": "2025|in_area_large"}))["seed"]
    store = critical.store(T)
    assert member["_id"] == f"2025|in_area_large|{store.pseudonym(PERSON)}"
    keyed = draw(seed, "in_area_large", 2025, store.pseudonym(PERSON))
    assert member["draw"] == str(keyed) == str(draw(seed, "in_area_large", 2025, store.pseudonym(PERSON)))
    assert member["draw"] != str(draw(seed, "in_area_large", 2025, PERSON))  # not a draw on the number
    # re-derivable from what is stored: the seed and the last part of the member's id
    assert str(draw(seed, "in_area_large", 2025, member["_id"].rsplit("|", 1)[1])) == member["draw"]
    assert draw(seed, "in_area_large", 2025, other_tenant(mem).pseudonym(PERSON)) != keyed


def manual(documents: tuple[dict[str, Any], ...]) -> tuple[ClaimIn, dict[str, Any]]:
    as_sent = {"person_id": PERSON, "date": "2025-03-05", "care": "inpatient", "area": "in_area",
               "total_cost": "30000.00", "self_pay": "25000.00"}
    return claim("", source="manual", institution="", documents=documents), as_sent


DOCUMENTS = tuple({"kind": kind, "filename": f"{kind}.pdf", "content_type": "application/pdf", "size": 4,
                   "sha256": hashlib.sha256(kind.encode()).hexdigest()}
                  for kind in ("invoice", "expense_list", "discharge_summary"))
BLOBS = {d["sha256"]: d["kind"].encode() for d in DOCUMENTS}


def unkeyed_manual_id(as_sent: dict[str, Any]) -> str:
    """What the door derived before ids were keyed: sha256 of the claim as sent (the number in clear)."""
    basis = json.dumps(as_sent, sort_keys=True) + "|".join(sorted(d["sha256"] for d in DOCUMENTS))
    return "M-" + hashlib.sha256(basis.encode()).hexdigest()[:24]


async def test_manual_claim_id_is_derived_from_the_pseudonym_and_stable() -> None:
    mem, critical = await service()
    c, as_sent = manual(DOCUMENTS)
    (view,), fresh = await critical.submit_manual(T, c, BLOBS, as_sent)
    assert fresh and view["claim_id"].startswith("M-") and len(view["claim_id"]) == 26
    assert view["claim_id"] != unkeyed_manual_id(as_sent)
    store = critical.store(T)
    shas = [d["sha256"] for d in DOCUMENTS]
    assert view["claim_id"] == manual_claim_id(as_sent, shas, store.pseudonym(PERSON))
    # the same claim and documents again: the same id, the stored result (idempotent)
    (again,), fresh_again = await critical.submit_manual(T, c, BLOBS, as_sent)
    assert not fresh_again and again["claim_id"] == view["claim_id"]
    # the bank account is not part of the claim's id; the documents are
    assert manual_claim_id(as_sent, shas[:2], store.pseudonym(PERSON)) != view["claim_id"]
    assert manual_claim_id(as_sent, shas, other_tenant(mem).pseudonym(PERSON)) != view["claim_id"]
    # after a rotation of the blind-index key the same claim sent again is still the same claim
    mem._keys.rotate("blind-index", T)
    assert manual_claim_id(as_sent, shas, critical.store(T).pseudonym(PERSON)) != view["claim_id"]
    (rotated,), fresh_rotated = await critical.submit_manual(T, c, BLOBS, as_sent)
    assert not fresh_rotated and rotated["claim_id"] == view["claim_id"]
    # a new claim after the rotation: derived from the newest pseudonym
    c2, as_sent2 = manual(DOCUMENTS[:2])
    (new,), _ = await critical.submit_manual(T, c2, BLOBS, as_sent2)
    assert new["claim_id"] == manual_claim_id(as_sent2, shas[:2], critical.store(T).pseudonym(PERSON))


async def test_a_manual_claim_stored_under_its_earlier_unkeyed_id_is_found_under_it() -> None:
    _, critical = await service()
    c, as_sent = manual(DOCUMENTS)
    earlier = unkeyed_manual_id(as_sent)
    (stored,), _ = await critical.submit(T, [ClaimIn(**{**c.__dict__, "claim_id": earlier})], BLOBS)
    (again,), fresh = await critical.submit_manual(T, c, BLOBS, as_sent)
    assert not fresh and again["claim_id"] == stored["claim_id"] == earlier  # one claim, not paid twice
