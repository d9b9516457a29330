"""settlement survives its own crash (issue 9, recovery without a person), on the embedded platform.

Each test cuts a flow where a `kill -9` would (a store write made to fail, the cleanup that only a live process runs
skipped), then starts settlement again as a new process instance on the same store and bus — the dead instance's
heartbeat left as a kill leaves it — and checks that:
- an upload interrupted half-way is `interrupted` (not "being processed"), and sending it again after the restart
  succeeds at once and pays every claim once; a batch held by another instance that is alive answers 409 saying so,
  and is free once that instance falls silent;
- a statement left `closing` is closed by settlement itself, its events published once;
- a payment booked but not issued, and a payment run issued but not marked, are finished, the money booked once;
- critical illness claims applied but not put on a statement, and a closing run cut short, are finished;
- a year end (年度决算) cut short is finished from its request, its entry posted once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from chassis.calendar import today_cn
from chassis.events import decode, topic_for
from chassis.host import ServiceHost
from jingban.embedded import EmbeddedPlatform
from services.settlement.chronic.service import settler as engine
from services.settlement.chronic.store import SettlementStore
from services.settlement.chronic.store.person_book import PersonBook
from services.settlement.critical.service.statements import CriticalStatements
from services.settlement.fund.service import account as fd
from services.settlement.fund.service import payment_runs as runs
from services.settlement.instances.store import INSTANCES
from tests.component.test_settlement_service import SAMPLE, expected, grant, holds, line, upload
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support import tokens

# Data of fund year 2025, paid "today": the date these tests were written on (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fixture_business_date")

T = "hz-p1"
CARRIER = "H61070000001"
FIN = auth(T, "finance", "fin-1")
QZ = "qz-ci"
QZ_FIN = auth(QZ, "finance", "fin-qz")
HOSP_QZ, PHARM_QZ = "H330802001", "P330802101"


class Killed(RuntimeError):
    """Where the process dies in these tests."""


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={}, port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def policy(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    r = await http.post(f"{platform.url('settlement')}/v1/policies", content=SAMPLE.read_bytes(),
                        headers={**auth(T, "ops"), "content-type": "application/yaml"})
    assert r.status_code in (200, 201), r.text


@pytest.fixture
def crash() -> Iterator[pytest.MonkeyPatch]:
    """Patches standing for the crash, undone before settlement starts again."""
    with pytest.MonkeyPatch.context() as mp:
        # A killed process runs no cleanup: an interrupted batch's lease is not released.
        mp.setattr(SettlementStore, "release_batch", _no_release)
        yield mp


async def _no_release(self: SettlementStore, batch_id: str, lease: str) -> None:
    return None


def url(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('settlement')}/v1{path}"


def db(platform: EmbeddedPlatform, tenant: str = T) -> Any:
    return platform.store.database("settlement", tenant)


async def restart_after_kill(platform: EmbeddedPlatform) -> ServiceHost:
    """settlement started again as a new process instance; the old one's heartbeat stays as a kill leaves it (its
    graceful stop here marks it stopped: that mark is taken back)."""
    old = platform.hosts["settlement"]
    dead = old.context.instance
    await old.stop()
    for tenant in old.settings.tenants:
        await db(platform, tenant)[INSTANCES].update_one({"_id": dead}, {"$unset": {"stopped_at": ""}})
    host = ServiceHost(old.spec, old.settings, platform.bus, platform.store)
    platform.hosts["settlement"] = host
    await host.start()
    assert host.context.instance != dead
    return host


async def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), \
        f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text[:800]}"
    return response.json()


def events(platform: EmbeddedPlatform, tenant: str, event_type: str) -> list[Any]:
    return [decode(m.value) for m in platform.bus.messages(topic_for(tenant, event_type))]


async def fund_hz(platform: EmbeddedPlatform, http: httpx.AsyncClient, allocation_id: str, amount: str) -> None:
    sup = {"authorization": f"Bearer {tokens.user_token(T, 'supervisor', 'agency', program='hz-chronic')}"}
    await ok(await http.post(url(platform, "/fund/allocations"), headers=sup, json={
        "allocation_id": allocation_id, "year": 2025, "kind": "initial", "amount": amount, "date": "2025-01-10"}))


async def bank(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str = T) -> Decimal:
    r = await ok(await http.get(url(platform, "/fund/balance"), params={"year": 2025, "on": today_cn().isoformat()},
                                headers=auth(tenant, "finance")))
    return Decimal(r["balances"]["bank"])


async def ledger(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str = T) -> list[dict[str, Any]]:
    return (await ok(await http.get(url(platform, "/fund/ledger"), params={"year": 2025},
                                    headers=auth(tenant, "finance"))))["entries"]


# ---- an upload cut half-way -------------------------------------------------------------------------------------


async def test_an_interrupted_upload_is_sent_again_at_once_after_a_restart_and_pays_once(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, policy: None, crash: pytest.MonkeyPatch) -> None:
    inst, month = "H610702071", "2025-08"
    persons = [f"6107021970010{n}" for n in (1101, 1102, 1103)]
    for p in persons:
        await grant(platform, T, p, "HTN", "2025-01-05")
    for p in persons:
        await holds(platform, http, T, p, 1)
    lines = [line(f"U{i}", p, f"2025-08-0{i + 1}", "HTN", "500.00") for i, p in enumerate(persons)]

    # One person per write step; the process dies once the first person is applied.
    crash.setattr(engine, "PERSON_CHUNK", 1)
    real_save = PersonBook.save
    saved: list[str] = []

    async def dies_after_one(self: PersonBook, tenant: str, states: Any, cause: str) -> list[str]:
        if cause.startswith("batch ") and saved:
            raise Killed("kill -9")
        saved.append(cause)
        return await real_save(self, tenant, states, cause)

    crash.setattr(PersonBook, "save", dies_after_one)
    r = await upload(platform, http, month, lines, institution=inst, batch_id="rec-batch-1")
    assert r.status_code == 500
    crash.undo()
    batch = await db(platform).batches.find_one({"_id": "rec-batch-1"})
    assert batch["status"] == "processing" and batch["holder"] == platform.hosts["settlement"].context.instance
    sid = f"{inst}-{month}"

    # The truth before the restart: interrupted (nobody works on it), and the close says to send it again.
    got = await ok(await http.get(url(platform, "/claims/batches/rec-batch-1"), headers=FIN))
    assert (got["status"], got["interrupted_reason"]) == ("interrupted", "interrupted_here")
    r = await http.post(url(platform, f"/statements/{sid}/close"), headers=FIN)
    assert r.status_code == 409 and r.json()["error"]["fields"][0]["field"] == "active_batches"
    assert "interrupted" in r.json()["error"]["message"] and "send each again" in r.json()["error"]["message"]
    # Another tenant does not see the batch at all.
    assert (await http.get(url(platform, "/claims/batches/rec-batch-1"), headers=auth("hz-p2", "finance"))
            ).status_code == 404

    await restart_after_kill(platform)
    got = await ok(await http.get(url(platform, "/claims/batches/rec-batch-1"), headers=FIN))
    assert (got["status"], got["interrupted_reason"]) == ("interrupted", "holder_restarted")
    again = await upload(platform, http, month, lines, institution=inst, batch_id="rec-batch-1")
    assert again.status_code == 201, again.text  # at once: no lease of a dead process to wait out
    assert (again.json()["status"], again.json()["claims"], again.json()["persons"]) == ("done", 3, 3)

    # Every claim once, each paid what the domain pays; every person's account counts it once.
    claims = (await ok(await http.get(url(platform, "/claims"), params={"batch_id": "rec-batch-1", "limit": 1000},
                                      headers=FIN)))["claims"]
    assert sorted(c["claim_id"] for c in claims) == ["U0", "U1", "U2"]
    assert sum(len(c["lines"]) for c in claims) == 3
    assert await db(platform)[f"claims_{sid}"].count_documents({}) == 3
    for i, p in enumerate(persons):
        want, account = expected([("HTN", "2025-01-05")], [lines[i]])
        assert Decimal(next(c for c in claims if c["claim_id"] == f"U{i}")["payable"]) == want[f"U{i}"]
        acc = await ok(await http.get(url(platform, f"/persons/{p}/accumulators"), params={"year": 2025},
                                      headers=FIN))
        assert Decimal(acc["paid"]) == account.paid
    statement = await ok(await http.get(url(platform, f"/statements/{sid}"), headers=FIN))
    assert statement["active_batches"] == [] and statement["claims"] == 3


async def test_a_batch_held_by_a_live_instance_answers_409_saying_so_until_that_instance_falls_silent(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, policy: None, crash: pytest.MonkeyPatch) -> None:
    inst, month, person = "H610702072", "2025-08", "61070219700101201"
    await grant(platform, T, person, "HTN", "2025-01-05")
    await holds(platform, http, T, person, 1)
    lines = [line("L1", person, "2025-08-11", "HTN", "300.00")]

    async def dies(self: PersonBook, tenant: str, states: Any, cause: str) -> list[str]:
        raise Killed("kill -9")

    crash.setattr(PersonBook, "save", dies)
    assert (await upload(platform, http, month, lines, institution=inst, batch_id="rec-batch-2")).status_code == 500
    crash.undo()
    # Another settlement instance (a replica) holds the batch and is alive: it beat a moment ago.
    other, now = "f" * 32, datetime.now(UTC)
    await db(platform).batches.update_one({"_id": "rec-batch-2"}, {"$set": {"holder": other}})
    await db(platform)[INSTANCES].insert_one({"_id": other, "seen_at": now.isoformat(),
                                              "started_at": now.isoformat()})
    r = await upload(platform, http, month, lines, institution=inst, batch_id="rec-batch-2")
    assert r.status_code == 409 and r.json()["error"]["fields"][0]["field"] == "batch_id"
    assert f"being processed right now by settlement instance {other[:12]}" in r.json()["error"]["message"]
    assert (await ok(await http.get(url(platform, "/claims/batches/rec-batch-2"), headers=FIN)))["status"] == \
        "processing"
    r = await http.post(url(platform, f"/statements/{inst}-{month}/close"), headers=FIN)
    assert r.status_code == 409 and "still being processed" in r.json()["error"]["message"]

    # That instance falls silent (no heartbeat for longer than DEAD_AFTER): the batch is free.
    silent = (now - timedelta(seconds=20)).isoformat()
    await db(platform)[INSTANCES].update_one({"_id": other}, {"$set": {"seen_at": silent}})
    got = await ok(await http.get(url(platform, "/claims/batches/rec-batch-2"), headers=FIN))
    assert (got["status"], got["interrupted_reason"]) == ("interrupted", "holder_silent")
    done = await upload(platform, http, month, lines, institution=inst, batch_id="rec-batch-2")
    assert done.status_code == 201 and done.json()["claims"] == 1, done.text
    batch = await db(platform).batches.find_one({"_id": "rec-batch-2"})
    assert batch["holder"] == platform.hosts["settlement"].context.instance and batch["status"] == "done"


# ---- a statement close cut short --------------------------------------------------------------------------------


async def test_a_statement_left_closing_is_closed_when_settlement_starts_again(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, policy: None, crash: pytest.MonkeyPatch) -> None:
    inst, month, person = "H610702073", "2025-09", "61070219700101301"
    await grant(platform, T, person, "HTN", "2025-01-05")
    await holds(platform, http, T, person, 1)
    await ok(await upload(platform, http, month, [line("C1", person, "2025-09-02", "HTN", "400.00")],
                          institution=inst))
    sid = f"{inst}-{month}"
    real = SettlementStore.transition

    async def dies_before_closed(self: SettlementStore, statement_id: str, query: dict[str, Any],
                                 changes: dict[str, Any], events: Any = None) -> bool:
        if changes.get("status") == "closed":
            raise Killed("kill -9")
        return await real(self, statement_id, query, changes, events)

    crash.setattr(SettlementStore, "transition", dies_before_closed)
    assert (await http.post(url(platform, f"/statements/{sid}/close"), headers=FIN)).status_code == 500
    crash.undo()
    assert (await ok(await http.get(url(platform, f"/statements/{sid}"), headers=FIN)))["status"] == "closing"

    await restart_after_kill(platform)

    async def closed() -> dict[str, Any] | None:
        doc = await ok(await http.get(url(platform, f"/statements/{sid}"), headers=FIN))
        return doc if doc["status"] == "closed" else None

    doc = await eventually(closed, what="the statement closed by recovery")
    assert doc["closed_by"] == "fin-1" and doc["claims"] == 1  # in the name of whoever began closing it

    async def published() -> list[Any] | None:
        got = [e for e in events(platform, T, "statement.closed") if e.payload.statement_id == sid]
        return got or None

    assert len(await eventually(published, what="statement.closed")) == 1
    settled = [e for e in events(platform, T, "benefits.settled") if e.payload.statement_id == sid]
    assert [e.payload.person_id for e in settled] == [person]
    recovery = platform.hosts["settlement"].parts.app.state.recovery
    assert (T, "statement_closed", sid) in recovery.finished


# ---- payments cut short -----------------------------------------------------------------------------------------


async def _reconciled(platform: EmbeddedPlatform, http: httpx.AsyncClient, inst: str, month: str, person: str,
                      claim_id: str) -> tuple[str, Decimal]:
    """A statement of one claim, closed and reconciled with the platform: (its id, what it pays)."""
    await grant(platform, T, person, "HTN", "2025-01-05")
    await holds(platform, http, T, person, 1)
    day = f"{month}-03"
    batch = await ok(await upload(platform, http, month, [line(claim_id, person, day, "HTN", "300.00")],
                                  institution=inst))
    sid = f"{inst}-{month}"
    await ok(await http.post(url(platform, f"/statements/{sid}/close"), headers=FIN))
    year, mon = int(month[:4]), int(month[5:])
    last = (date(year + mon // 12, mon % 12 + 1, 1) - timedelta(days=1))
    platform.simulator.config.app.state.simulator.record_settlements(  # type: ignore[union-attr]
        CARRIER, date(year, mon, 1), last, medical_fee_total=Decimal("300.00"),
        fund_paid_total=Decimal(batch["payable"]), count=1)
    await ok(await http.post(url(platform, f"/statements/{sid}/reconcile"), headers=FIN))
    return sid, Decimal(batch["payable"])


async def test_payments_booked_but_not_issued_or_issued_but_not_marked_are_finished_once(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, policy: None, crash: pytest.MonkeyPatch) -> None:
    await fund_hz(platform, http, "REC-ALLOC-1", "1000.00")  # hz-p1 receives 600.00
    one, one_amount = await _reconciled(platform, http, "H610702074", "2025-10", "61070219700101401", "P1")
    run, run_amount = await _reconciled(platform, http, "H610702075", "2025-11", "61070219700101402", "P2")
    before = await bank(platform, http)

    # A single payment: booked in the dedicated account, then the process dies before the instruction is stored.
    async def dies(*args: Any, **kwargs: Any) -> bool:
        raise Killed("kill -9")

    crash.setattr(SettlementStore, "insert_payment", dies)
    assert (await http.post(url(platform, f"/statements/{one}/payments"), headers=FIN)).status_code == 500
    crash.undo()
    # A payment run: booked and its instructions stored, then the process dies before marking its statement paid.
    real = SettlementStore.transition

    async def dies_before_paid(self: SettlementStore, statement_id: str, query: dict[str, Any],
                               changes: dict[str, Any], events: Any = None) -> bool:
        if changes.get("status") == "paid":
            raise Killed("kill -9")
        return await real(self, statement_id, query, changes, events)

    crash.setattr(SettlementStore, "transition", dies_before_paid)
    r = await http.post(url(platform, "/statements/payments"), headers=FIN, json={"month": "2025-11"})
    assert r.status_code == 500
    crash.undo()
    for sid in (one, run):
        assert (await ok(await http.get(url(platform, f"/statements/{sid}"), headers=FIN)))["status"] == "reconciled"
    assert await bank(platform, http) == before - one_amount - run_amount  # booked, each once

    await restart_after_kill(platform)

    async def paid() -> bool:
        docs = [await ok(await http.get(url(platform, f"/statements/{sid}"), headers=FIN)) for sid in (one, run)]
        return all(d["status"] == "paid" for d in docs)

    await eventually(paid, what="both payments finished by recovery")
    for sid, month in ((one, "2025-10"), (run, "2025-11")):
        payments = (await ok(await http.get(url(platform, "/payments"), params={"month": month},
                                            headers=FIN)))["payments"]
        assert [(p["payment_id"], p["issued_by"]) for p in payments] == [(f"PAY-{sid}", "fin-1")]
    entries = [e for e in await ledger(platform, http) if e["kind"] == "payment"]
    assert sorted(e["reference"] for e in entries) == sorted([f"PAY-{one}", f"PAY-{run}"])  # booked once each
    assert await bank(platform, http) == before - one_amount - run_amount
    recovery = platform.hosts["settlement"].parts.app.state.recovery
    assert {(c, i) for _, c, i in recovery.finished} >= {(runs.PAYMENT_ISSUED, one), (runs.PAYMENT_MARKED_PAID, run)}

    async def issued() -> list[Any] | None:
        got = [e for e in events(platform, T, "payment.issued") if e.payload.statement_id in (one, run)]
        return got if len(got) >= 2 else None

    assert sorted(e.payload.payment_id for e in await eventually(issued, what="payment.issued")) == sorted(
        [f"PAY-{one}", f"PAY-{run}"])


# ---- critical illness: claims not yet on a statement, a closing run cut short ------------------------------------


def ci_claim(cid: str, person: str, day: str, care: str = "inpatient") -> dict[str, Any]:
    return {"claim_id": cid, "person_id": person, "date": day, "care": care, "area": "in_area", "networked": True,
            "total_cost": "50000.00", "self_pay": "30000.00", "insutype": "390"}


async def test_critical_claims_and_a_closing_run_cut_short_are_finished(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, crash: pytest.MonkeyPatch) -> None:
    month = "2026-10"  # over on the business date; fund year 2026, apart from the year end below
    hosp, pharm = f"CI-{HOSP_QZ}-{month}", f"CI-{PHARM_QZ}-{month}"
    await ok(await http.post(url(platform, "/critical/claims"), headers=auth(QZ, "institution", HOSP_QZ),
                             json={"claims": [ci_claim("qr1", "QA", f"{month}-05")]}), 201)

    # Applied to the person's account, then the process dies before the claim is put on its statement.
    async def dies(*args: Any, **kwargs: Any) -> Any:
        raise Killed("kill -9")

    crash.setattr(CriticalStatements, "take", dies)
    r = await http.post(url(platform, "/critical/claims"), headers=auth(QZ, "institution", PHARM_QZ),
                        json={"claims": [ci_claim("qr2", "QB", f"{month}-06", care="special_drug")]})
    assert r.status_code == 500
    crash.undo()
    account = await ok(await http.get(url(platform, "/critical/persons/QB/account"), params={"year": 2026},
                                      headers=QZ_FIN))
    assert [c["claim_id"] for c in account["claims"]] == ["qr2"]  # settled: the money is owed
    assert (await http.get(url(platform, f"/critical/statements/{pharm}"), headers=QZ_FIN)).status_code == 404

    # A closing run: the month's statements begin closing, then the process dies before closing any.
    crash.setattr(CriticalStatements, "close", dies)
    r = await http.post(url(platform, "/critical/statements/closings"), headers=QZ_FIN, json={"month": month})
    assert r.status_code == 500
    crash.undo()
    assert (await ok(await http.get(url(platform, f"/critical/statements/{hosp}"), headers=QZ_FIN)))["status"] == \
        "closing"

    await restart_after_kill(platform)

    async def finished() -> tuple[dict[str, Any], dict[str, Any]] | None:
        h = await http.get(url(platform, f"/critical/statements/{hosp}"), headers=QZ_FIN)
        p = await http.get(url(platform, f"/critical/statements/{pharm}"), headers=QZ_FIN)
        if h.status_code == 200 and p.status_code == 200 and h.json()["status"] == "closed":
            return h.json(), p.json()
        return None

    closed, placed = await eventually(finished, what="the closing run and the claim finished by recovery")
    assert closed["closed_by"] == "fin-qz" and closed["claims"] == 1
    lines = await ok(await http.get(url(platform, f"/critical/statements/{pharm}/lines"), headers=QZ_FIN))
    assert [ln["claim_id"] for ln in lines["lines"]] == ["qr2"]
    assert placed["status"] == "open" and placed["claims"] == 1
    account = await ok(await http.get(url(platform, "/critical/persons/QB/account"), params={"year": 2026},
                                      headers=QZ_FIN))
    assert account["claims"][0]["statement_id"] == pharm

    async def published() -> list[Any] | None:
        return [e for e in events(platform, QZ, "statement.closed") if e.payload.statement_id == hosp] or None

    assert len(await eventually(published, what="statement.closed")) == 1
    recovery = platform.hosts["settlement"].parts.app.state.recovery
    assert {(c, i) for _, c, i in recovery.finished} >= {("critical_statement_closed", hosp),
                                                         ("claims_placed", "1")}


# ---- a year end cut short ---------------------------------------------------------------------------------------


async def test_a_year_end_cut_short_is_finished_from_its_request(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, crash: pytest.MonkeyPatch) -> None:
    sup = {"authorization": f"Bearer {tokens.user_token(QZ, 'supervisor', 'agency', program='qz-critical')}"}
    await ok(await http.post(url(platform, "/fund/allocations"), headers=sup, json={
        "allocation_id": "QZ-REC-1", "year": 2025, "kind": "initial", "amount": "142.50", "date": "2025-01-10"}))
    body = {"date": "2026-01-20", "admin_cost": "0.00", "insured_persons": 1}

    # The year-end entry is posted, then the process dies before the year's document is written.
    async def dies(*args: Any, **kwargs: Any) -> bool:
        raise Killed("kill -9")

    crash.setattr(fd.FundStore, "insert_fund_year", dies)
    assert (await http.post(url(platform, "/fund/years/2025/close"), headers=QZ_FIN, json=body)).status_code == 500
    crash.undo()
    year = await ok(await http.get(url(platform, "/fund/years/2025"), headers=QZ_FIN))
    assert year["status"] == "closing"
    assert [e["kind"] for e in await ledger(platform, http, QZ)] == ["allocation", "year_end"]
    # Meanwhile the year takes no posting: it is closing, never open by mistake.
    r = await http.post(url(platform, "/fund/interest"), headers=QZ_FIN, json={
        "interest_id": "I-REC", "date": "2026-01-21", "year": 2025, "amount": "1.00"})
    assert r.status_code == 409 and "closed" in r.json()["error"]["message"]
    # Another tenant's books know nothing of it.
    assert (await ok(await http.get(url(platform, "/fund/years/2025"), headers=FIN)))["status"] == "open"

    await restart_after_kill(platform)

    async def closed() -> dict[str, Any] | None:
        doc = await ok(await http.get(url(platform, "/fund/years/2025"), headers=QZ_FIN))
        return doc if doc["status"] == "closed" else None

    doc = await eventually(closed, what="the year end finished by recovery")
    assert (doc["method"], doc["closed_by"], doc["date"]) == ("corridor", "fin-qz", "2026-01-20")
    year_end = [e for e in await ledger(platform, http, QZ) if e["kind"] == "year_end"]
    assert len(year_end) == 1  # posted once, before the crash; found, not posted again
    assert await db(platform, QZ)[fd.FUND_YEAR_CLOSINGS].count_documents({}) == 0

    async def announced() -> list[Any] | None:
        return events(platform, QZ, "fund_year.closed") or None

    assert len(await eventually(announced, what="fund_year.closed")) == 1
    again = await ok(await http.post(url(platform, "/fund/years/2025/close"), headers=QZ_FIN, json=body))
    assert again["replayed"] is True


# ---- an allocation split between carriers, cut short -------------------------------------------------------------


async def test_an_allocation_posted_to_one_carrier_before_a_crash_reaches_the_other(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, crash: pytest.MonkeyPatch) -> None:
    p2_before = await bank(platform, http, "hz-p2")
    real = fd.Fund._post_locked

    async def dies_before_p2(self: fd.Fund, tenant: str, program: str, year: int, entry: Any, who: str,
                             extra: Any = None) -> fd.Posted:
        if tenant == "hz-p2" and entry.id == "allocation:REC-SPLIT-1":
            raise Killed("kill -9")
        return await real(self, tenant, program, year, entry, who, extra)

    crash.setattr(fd.Fund, "_post_locked", dies_before_p2)
    sup = {"authorization": f"Bearer {tokens.user_token(T, 'supervisor', 'agency-9', program='hz-chronic')}"}
    r = await http.post(url(platform, "/fund/allocations"), headers=sup, json={
        "allocation_id": "REC-SPLIT-1", "year": 2025, "kind": "in_year", "amount": "100.00", "date": "2025-07-01"})
    assert r.status_code == 500
    crash.undo()
    assert [e["amount"] for e in await ledger(platform, http) if e["entry_id"] == "allocation:REC-SPLIT-1"] == \
        ["60.00"]
    assert await bank(platform, http, "hz-p2") == p2_before  # package 2 never got its 40%

    await restart_after_kill(platform)

    async def split() -> bool:
        return await bank(platform, http, "hz-p2") == p2_before + Decimal("40.00")

    await eventually(split, what="hz-p2's share posted by recovery")
    p2 = [e for e in await ledger(platform, http, "hz-p2") if e["entry_id"] == "allocation:REC-SPLIT-1"]
    assert [(e["amount"], e["date"], e["posted_by"]) for e in p2] == [("40.00", "2025-07-01", "agency-9")]
    assert [e["amount"] for e in await ledger(platform, http) if e["entry_id"] == "allocation:REC-SPLIT-1"] == \
        ["60.00"]  # hz-p1's share once
