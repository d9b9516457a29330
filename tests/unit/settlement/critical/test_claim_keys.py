"""Critical claim ids are namespaced by institution (issue 11): a claim is kept under (institution, claim id), so two
institutions sending the same id settle two claims — neither collides with nor overwrites the other, and each sees
only its own — while the same institution re-using an id for other content is still 409 with nothing changed. An
institution reads its own claims of a person and nothing of the person beyond them. In memory (CriticalService on
the memory store)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chassis.errors import Conflict
from chassis.store.memory import MemoryStore
from services.settlement.critical.domain.claims import claim_key
from services.settlement.critical.service.claims import ClaimIn, CriticalService
from services.settlement.critical.store import CriticalStore

T = "qz-ci"
HOSP, OTHER = "H330802001", "H330803009"


def claim(cid: str, inst: str, self_pay: str, person: str = "PX", day: str = "2025-03-01",
          source: str = "platform") -> ClaimIn:
    return ClaimIn(cid, person, date.fromisoformat(day), "inpatient", "in_area", True, Decimal("60000.00"),
                   Decimal(self_pay), source, inst)


async def service() -> tuple[CriticalService, Any]:
    mem = MemoryStore()
    critical = CriticalService(lambda t: mem.database("settlement", t))
    await critical.start([T])
    return critical, mem


def test_the_key_is_the_id_within_the_institution() -> None:
    assert claim_key(HOSP, "c1") == f"{HOSP}~c1" != claim_key(OTHER, "c1")
    assert claim_key("", "M-abc") == "M-abc"  # a manual claim entered without an institution: the agency's own
    assert claim(":c1", HOSP, "1.00").key == f"{HOSP}~:c1"


async def test_two_institutions_may_use_the_same_claim_id() -> None:
    critical, mem = await service()
    first, fresh = await critical.submit(T, [claim("c1", HOSP, "30000.00")])
    assert fresh and first[0]["claim_id"] == "c1" and first[0]["institution_code"] == HOSP
    second, fresh = await critical.submit(T, [claim("c1", OTHER, "25000.00")])
    assert fresh and second[0]["institution_code"] == OTHER and second[0]["self_pay"] == "25000.00"

    store = CriticalStore(mem.database("settlement", T))
    kept = await store.claims_by_ids([f"{HOSP}~c1", f"{OTHER}~c1"])
    assert {k: d["self_pay"] for k, d in kept.items()} == {f"{HOSP}~c1": "30000.00", f"{OTHER}~c1": "25000.00"}
    account = await store.account("PX", 2025)
    assert account is not None and account["applied"] == [f"{HOSP}~c1", f"{OTHER}~c1"]
    # the person's year adds both stays; each review, if any, is its own claim's
    whole = await critical.account(T, "PX", 2025, None)
    assert whole["cumulative_self_pay"] == "55000.00"
    assert [(c["claim_id"], c["institution_code"]) for c in whole["claims"]] == [("c1", HOSP), ("c1", OTHER)]
    assert {c["review_id"] for c in whole["claims"] if c["review_id"]} <= {f"R-{HOSP}~c1", f"R-{OTHER}~c1"}

    # both re-sent: answered from what is stored, nothing settled twice
    again, fresh = await critical.submit(T, [claim("c1", OTHER, "25000.00")])
    assert not fresh and again == second
    assert (await store.account("PX", 2025))["cumulative_self_pay_fen"] == 5_500_000  # type: ignore[index]


async def test_the_same_institution_reusing_an_id_is_a_conflict_and_changes_nothing() -> None:
    critical, mem = await service()
    await critical.submit(T, [claim("c9", HOSP, "30000.00", person="PY")])
    store = CriticalStore(mem.database("settlement", T))
    before = await store.account("PY", 2025)
    with pytest.raises(Conflict) as caught:
        await critical.submit(T, [claim("c9", HOSP, "31000.00", person="PY")])
    assert caught.value.field == "claims[0].claim_id"
    assert await store.account("PY", 2025) == before
    assert (await store.claims_by_ids([f"{HOSP}~c9"]))[f"{HOSP}~c9"]["self_pay"] == "30000.00"


async def test_a_provincial_import_keeps_two_institutions_records_of_one_setl_id_apart() -> None:
    critical, _ = await service()
    views, fresh = await critical.submit(T, [claim("S1", HOSP, "30000.00", person="PZ", source="provincial"),
                                             claim("S1", OTHER, "20000.00", person="PZ", source="provincial")])
    assert fresh and [(v["claim_id"], v["institution_code"]) for v in views] == [("S1", HOSP), ("S1", OTHER)]
    assert {v["statement_id"] for v in views if v.get("statement_id")} <= {f"CI-{HOSP}-2025-03",
                                                                            f"CI-{OTHER}-2025-03"}


async def test_an_institution_sees_its_own_claims_and_nothing_of_the_person_beyond_them() -> None:
    critical, _ = await service()
    await critical.submit(T, [claim("c1", HOSP, "30000.00", person="PW"),
                              claim("c2", OTHER, "10000.00", person="PW", day="2025-04-01")])
    own = await critical.account(T, "PW", 2025, HOSP)
    assert set(own) == {"person_id", "year", "institution_code", "policy_versions", "claims"}
    assert [(c["claim_id"], c["institution_code"]) for c in own["claims"]] == [("c1", HOSP)]
    assert "cumulative_self_pay" not in own and "assistance" not in own  # the person's totals and status
