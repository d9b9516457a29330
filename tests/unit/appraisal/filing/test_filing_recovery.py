"""The filing worker after a crash (services/appraisal/filing/service/worker.py): a filing (2503) or revocation (2504)
the platform accepted, whose answer a `kill -9` lost, is recognised when sent again — the platform's standing filing
adopted, the revoked one found gone — never left as a refusal for a clerk nor filed twice; a refusal of a request
never sent before stays a refusal. In-memory store, the platform faked at its client's interface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from chassis.pii import sealer_of
from chassis.store.memory import MemoryStore
from provincial.errors import ProvincialError
from provincial.models import Filing, FilingResult
from services.appraisal.filing.service.worker import FilingWorker
from services.appraisal.filing.store import CASES, FilingStore

TENANT, PROGRAM = "hz-p1", "hz-chronic"


class Killed(BaseException):
    """The process dies here: nothing after it runs (not even the worker's own error handling)."""


@dataclass
class Record:
    serial: str
    psn_no: str
    disease: str
    begins: date
    ends: date | None
    revoked: bool = False


class Platform:
    """2503 / 2504 / 5301 as the provincial platform answers them (provincial/simulator/platform.py)."""

    def __init__(self) -> None:
        self.filings: list[Record] = []

    async def file_qualification(self, *, person_no: str, disease_code: str, begins: date, ends: date | None,
                                 **_: Any) -> FilingResult:
        if any(f.psn_no == person_no and f.disease == disease_code and not f.revoked for f in self.filings):
            raise ProvincialError("2503", -1, "该人员已存在有效的备案信息")
        record = Record(f"SN{len(self.filings) + 1:04d}", person_no, disease_code, begins, ends)
        self.filings.append(record)
        return FilingResult(record.serial, person_no, disease_code)

    async def revoke_filing(self, person_no: str, serial: str, memo: str) -> None:
        found = next((f for f in self.filings if f.serial == serial and f.psn_no == person_no), None)
        if found is None or found.revoked:
            raise ProvincialError("2504", -1, f"该备案信息已撤销：{serial}")
        found.revoked = True

    async def query_filings(self, person_no: str) -> list[Filing]:
        return [Filing(f.disease, "高血压", f.begins, f.ends, f.serial) for f in self.filings
                if f.psn_no == person_no and not f.revoked]


def case(case_id: str, status: str = "pending", serial: str = "") -> dict[str, Any]:
    q = {"qualification_id": f"q-{case_id}", "person_id": "P1", "disease_code": "HTN", "application_id": "a1",
         "case_id": case_id, "granted_on": "2025-03-01", "benefit_start": "2025-04-01", "status": "active",
         "review_due": "2027-03-01", "filing_serial": serial, "policy_version": "2025.1", "insutype": "390"}
    return {"_id": case_id, "person_id": "P1", "psn_no": "PSN0001", "program": PROGRAM, "disease_code": "HTN",
            "insutype": "390", "opened_at": "2025-02-01T00:00:00+00:00", "qualification": q,
            "qualification_id": q["qualification_id"], "filing_status": status, "filing_attempts": 0,
            "filing_next_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(), "_outbox": [],
            "_outbox_pending": 0}


async def setup(platform: Platform) -> tuple[MemoryStore, Any]:
    store = MemoryStore()

    def worker() -> FilingWorker:  # a worker of a new process: nothing in memory
        ctx = SimpleNamespace(db=lambda t: store.database("appraisal", t), relay=SimpleNamespace(kick=lambda: None),
                              settings=SimpleNamespace(tenants=(TENANT,), provincial_url="http://unused/"))

        async def disease(tenant: str, program: str, code: str) -> Any:
            return SimpleNamespace(name="高血压")

        w = FilingWorker(ctx, SimpleNamespace(disease=disease))  # type: ignore[arg-type]
        w._clients[(PROGRAM, TENANT)] = platform
        return w

    return store, worker


def dies_when(monkeypatch: pytest.MonkeyPatch, status: str) -> None:
    """The process dies as it records the platform's answer (`filing_status` → status), once."""
    real = FilingStore.update_case
    died: list[bool] = []

    async def update_case(self: FilingStore, case_id: str, guard: dict[str, Any], update: dict[str, Any],
                          events: Any = None) -> bool:
        if update.get("$set", {}).get("filing_status") == status and not died:
            died.append(True)
            raise Killed("kill -9")
        return await real(self, case_id, guard, update, events)

    monkeypatch.setattr(FilingStore, "update_case", update_case)


async def test_a_filing_accepted_before_the_crash_is_adopted_not_refused_nor_doubled(
        monkeypatch: pytest.MonkeyPatch) -> None:
    platform = Platform()
    store, worker = await setup(platform)
    cases = store.database("appraisal", TENANT)[CASES]
    await cases.insert_one(case("c1"))
    dies_when(monkeypatch, "filed")
    with pytest.raises(Killed):
        await worker().work(TENANT)
    stored = await cases.find_one({"_id": "c1"})
    assert stored["filing_status"] == "pending" and stored["filing_sent"]["request"] == "2503"
    assert [f.serial for f in platform.filings] == ["SN0001"]  # the platform holds it; the case does not know

    assert await worker().work(TENANT) == 1  # started again
    stored = await cases.find_one({"_id": "c1"})
    assert (stored["filing_status"], stored["qualification"]["filing_serial"]) == ("filed", "SN0001")
    assert "filing_sent" not in stored and stored["filing_error"] == ""
    assert len(platform.filings) == 1
    assert [e["type"] for e in stored["_outbox"]] == ["qualification.filed"]


async def test_a_refusal_of_a_filing_never_sent_before_stays_a_refusal() -> None:
    platform = Platform()
    platform.filings.append(Record("SN9999", "PSN0001", "HTN", date(2025, 4, 1), date(2027, 3, 1)))  # not ours
    store, worker = await setup(platform)
    cases = store.database("appraisal", TENANT)[CASES]
    await cases.insert_one(case("c2"))
    await worker().work(TENANT)
    stored = await cases.find_one({"_id": "c2"})
    assert (stored["filing_status"], stored["filing_failed_step"]) == ("rejected", "pending")
    # the platform's error is kept sealed (it may quote the person's numbers): opened, it is the platform's words
    assert "已存在有效的备案信息" in sealer_of(store.database("appraisal", TENANT)).open(stored["filing_error"])
    assert stored["qualification"]["filing_serial"] == ""
    assert "filing_sent" not in stored  # a clerk's retry sends it anew, adopting nothing


async def test_a_revocation_accepted_before_the_crash_is_found_done(monkeypatch: pytest.MonkeyPatch) -> None:
    platform = Platform()
    platform.filings.append(Record("SN0007", "PSN0001", "HTN", date(2025, 4, 1), date(2027, 3, 1)))
    store, worker = await setup(platform)
    cases = store.database("appraisal", TENANT)[CASES]
    await cases.insert_one({**case("c3", "revoking", "SN0007"), "revocation": {"reason": "复审未通过"}})
    dies_when(monkeypatch, "revoked")
    with pytest.raises(Killed):
        await worker().work(TENANT)
    assert platform.filings[0].revoked and (await cases.find_one({"_id": "c3"}))["filing_status"] == "revoking"

    await worker().work(TENANT)
    stored = await cases.find_one({"_id": "c3"})
    assert (stored["filing_status"], stored["filing_error"]) == ("revoked", "")
    assert "filing_sent" not in stored


async def test_cases_waiting_out_a_backoff_do_not_hide_the_due_ones() -> None:
    platform = Platform()
    store, worker = await setup(platform)
    cases = store.database("appraisal", TENANT)[CASES]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for i in range(205):  # more than one pass takes, all backing off
        await cases.insert_one({**case(f"w{i:03d}"), "psn_no": f"PSN-W{i}", "filing_next_at": later,
                                "opened_at": "2025-01-01T00:00:00+00:00"})
    await cases.insert_one({**case("due"), "psn_no": "PSN-DUE"})
    assert await worker().work(TENANT) == 1
    assert (await cases.find_one({"_id": "due"}))["filing_status"] == "filed"
