"""Record sampling's use cases (病历抽审, tender 二(一)4): upload a hospital's records of the last two years (or the
agency's manual-reimbursement files) as a population, draw at least 2.5% of it reproducibly (one sample per population,
its seed kept), record each sampled record's result, and show the problem-record rate against the 40% expectation;
record_sample.completed is staged in the write that records the last result.

Only the tenants of the fund-supervision program have any of it (the inspections room's `serves`): elsewhere 404."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import new_event
from contracts.v1 import events_pb2
from services.audit.inspections import service as inspections
from services.audit.record_sampling.domain import population as pop
from services.audit.record_sampling.domain import sampling
from services.audit.record_sampling.domain.results import check_results
from services.audit.record_sampling.store import OUTBOX, SamplingStore

__all__ = ["OUTBOX"]

Doc = dict[str, Any]
CHUNK = 20_000


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _who(by: Mapping[str, str]) -> str:
    return f"{by['role']}:{by['subject']}"


async def ensure_indexes(db: Any) -> None:
    await SamplingStore(db).ensure_indexes()


# ---- populations (抽审总体) ---------------------------------------------------------------------------------------

def population_view(doc: Mapping[str, Any]) -> Doc:
    return {"population_id": doc["_id"], **{k: doc[k] for k in (
        "institution_id", "institution_kind", "kind", "period_from", "period_to", "count", "sha256", "uploaded_by",
        "uploaded_at")}}


async def add_population(db: Any, by: Mapping[str, str], particulars: Mapping[str, Any],
                         records: Sequence[Any]) -> Doc:
    """A population checked whole (institution and kind, the period of at most the last two years, every record id)
    before anything is kept."""
    s, today = inspections.settings(), today_cn()
    institution = await inspections.known_institution(db, particulars["institution_id"])
    pop.check_kind(particulars["kind"], institution["kind"])
    period_from, period_to = particulars["period_from"], particulars["period_to"]
    pop.check_period(period_from, period_to, s.sampling_years, today)
    ids = pop.check_records(records, period_from, period_to)
    doc = {"_id": f"POP-{uuid.uuid4().hex[:16]}", "institution_id": institution["_id"],
           "institution_kind": institution["kind"], "kind": particulars["kind"],
           "period_from": period_from.isoformat(), "period_to": period_to.isoformat(), "count": len(ids),
           "sha256": pop.digest(ids), "uploaded_by": _who(by), "uploaded_at": _now()}
    await SamplingStore(db).add_population(doc, sampling.chunks(ids, CHUNK))
    return population_view(doc)


async def population(db: Any, population_id: str) -> Doc:
    doc = await SamplingStore(db).population(population_id)
    if doc is None:
        raise NotFound(f"population {population_id} not found")
    return population_view(doc)


async def populations(db: Any, institution_id: str | None, limit: int) -> Doc:
    rows = [population_view(d) for d in await SamplingStore(db).populations(institution_id, limit)]
    return {"populations": rows, "count": len(rows)}


# ---- samples (抽审样本) -------------------------------------------------------------------------------------------

def _figures(doc: Mapping[str, Any]) -> Doc:
    results = doc.get("results") or []
    problems = sum(1 for r in results if r["problem"])
    sampled = int(doc["size"])
    rate = sampling.problem_rate(problems, sampled) if results else None
    expected = doc.get("expected_rate")
    by_code: dict[str, int] = {}
    for r in results:
        if r["problem"]:
            by_code[r["code"]] = by_code.get(r["code"], 0) + 1
    return {"sampled": sampled, "answered": len(results), "problems": problems,
            "problem_rate": str(rate) if rate is not None else None,
            "problem_rate_percent": sampling.percent(rate) if rate is not None else None, "expected_rate": expected,
            "meets_expectation": (rate >= Decimal(expected)) if rate is not None and expected else None,
            "problems_by_code": by_code}


def sample_view(doc: Mapping[str, Any], whole: bool = True) -> Doc:
    view = {"sample_id": doc["_id"], "population_id": doc["population_id"], "institution_id": doc["institution_id"],
            "institution_kind": doc["institution_kind"], "kind": doc["kind"], "inspection_id": doc.get("inspection_id"),
            "seed": doc["seed"], "method": sampling.METHOD, "rate": doc["rate"], "population": doc["population"],
            "population_sha256": doc["population_sha256"], "size": doc["size"], "state": doc["state"],
            "created_by": doc["created_by"], "created_at": doc["created_at"],
            "completed_at": doc.get("completed_at"), **_figures(doc)}
    if whole:
        answered = {r["record_id"]: r for r in doc.get("results") or []}
        view["records"] = [{"record_id": r["record_id"], "rank": r["rank"],
                            **({k: answered[r["record_id"]][k] for k in ("problem", "code", "note", "by", "at")}
                               if r["record_id"] in answered else {"problem": None})}
                           for r in doc["records"]]
    return view


async def draw_sample(db: Any, by: Mapping[str, str], population_id: str, seed: str | None, rate: Decimal | None,
                      inspection_id: str | None) -> tuple[Doc, bool]:
    """(the sample, whether this call drew it): ceil(rate × N) records of the population, the seed kept. The
    population's sample drawn already is returned as it stands when asked with its seed (or none); another seed is
    409 `population_sampled`."""
    s = inspections.settings()
    if seed is not None:
        sampling.check_seed(seed)
    share = sampling.check_rate(rate if rate is not None else s.sampling_rate, s.sampling_rate)
    store = SamplingStore(db)
    found = await store.population(population_id)
    if found is None:
        raise InvalidInput(f"population {population_id} not found", "population_id", code="unknown_population")
    sample_id = f"RS-{population_id.removeprefix('POP-')}"
    existing = await store.sample(sample_id)
    if existing is not None:
        if seed is not None and seed != existing["seed"]:
            raise Conflict(f"population {population_id} was sampled with another seed; its sample stands", "seed",
                           code="population_sampled")
        return sample_view(existing), False
    if inspection_id:
        ins = await inspections.inspection(db, inspection_id)
        if ins["institution_id"] != found["institution_id"]:
            raise InvalidInput(f"inspection {inspection_id} is of {ins['institution_id']}", "inspection_id",
                               code="inspection_mismatch")
    ids = await store.population_ids(population_id)
    chosen = seed or secrets.token_hex(16)
    drawn = sampling.draw(chosen, ids, sampling.sample_size(len(ids), share))
    expected = s.problem_rate_expected if found["institution_kind"] == "hospital" else None
    doc = {"_id": sample_id, "population_id": population_id, "institution_id": found["institution_id"],
           "institution_kind": found["institution_kind"], "kind": found["kind"], "inspection_id": inspection_id,
           "seed": chosen, "rate": str(share), "population": len(ids), "population_sha256": pop.digest(ids),
           "size": len(drawn), "records": [{"record_id": r, "rank": k} for r, k in drawn],
           "expected_rate": str(expected) if expected is not None else None, "results": [], "state": "open",
           "created_by": _who(by), "created_at": _now(), "version": 1}
    if not await store.add_sample(doc):
        again = await store.sample(sample_id)
        if again is None or (seed is not None and seed != again["seed"]):
            raise Conflict(f"population {population_id} was sampled meanwhile", "seed", code="population_sampled")
        return sample_view(again), False
    return sample_view(doc), True


async def _sample(store: SamplingStore, sample_id: str) -> Doc:
    doc = await store.sample(sample_id)
    if doc is None:
        raise NotFound(f"sample {sample_id} not found")
    return doc


async def sample(db: Any, sample_id: str) -> Doc:
    return sample_view(await _sample(SamplingStore(db), sample_id))


async def samples(db: Any, institution_id: str | None, limit: int) -> Doc:
    rows = [sample_view(d, whole=False) for d in await SamplingStore(db).samples(institution_id, limit)]
    return {"samples": rows, "count": len(rows)}


async def verify(db: Any, sample_id: str) -> Doc:
    """The draw redone from the seed and the population kept: the same records, and the same population."""
    store = SamplingStore(db)
    doc = await _sample(store, sample_id)
    ids = await store.population_ids(doc["population_id"])
    again = [r for r, _ in sampling.draw(doc["seed"], ids, sampling.sample_size(len(ids), Decimal(doc["rate"])))]
    same_population = pop.digest(ids) == doc["population_sha256"]
    same_records = again == [r["record_id"] for r in doc["records"]]
    return {"sample_id": sample_id, "seed": doc["seed"], "method": sampling.METHOD, "population": len(ids),
            "population_sha256": pop.digest(ids), "same_population": same_population, "same_records": same_records,
            "reproduced": same_population and same_records}


def _completed_event(tenant: str, doc: Mapping[str, Any], carrier: dict[str, str]) -> Doc:
    figures = _figures(doc)
    payload = events_pb2.RecordSampleCompleted(
        sample_id=doc["_id"], institution_id=doc["institution_id"], population=int(doc["population"]),
        sampled=int(doc["size"]), problems=int(figures["problems"]), rate=figures["problem_rate"] or "0.0000",
        expected_rate=doc.get("expected_rate") or "", population_kind=doc["kind"], seed=doc["seed"],
        completed_at=doc["completed_at"], institution_kind=doc["institution_kind"])
    return new_event("record_sample.completed", tenant, doc["institution_id"], payload, source="audit",
                     trace_context=carrier)


async def record_results(db: Any, tenant: str, by: Mapping[str, str], sample_id: str,
                         results: Sequence[Mapping[str, Any]], carrier: dict[str, str]) -> Doc:
    """Results of sampled records (a record answered again is corrected) until every one has its result: then the
    sample completes, record_sample.completed in the same write, and no longer changes (409 `sample_completed`)."""
    store = SamplingStore(db)
    doc = await _sample(store, sample_id)
    if doc["state"] == "completed":
        raise Conflict(f"sample {sample_id} is completed", "state", code="sample_completed")
    kept = check_results(results, {r["record_id"] for r in doc["records"]}, doc["institution_kind"],
                         inspections.catalogue())
    now, who = _now(), _who(by)
    merged = {r["record_id"]: r for r in doc.get("results") or []}
    for r in kept:
        merged[r["record_id"]] = {**r, "by": who, "at": now}
    order = {r["record_id"]: n for n, r in enumerate(doc["records"])}
    changes: Doc = {"results": sorted(merged.values(), key=lambda r: order[r["record_id"]])}
    events = None
    if len(merged) == len(doc["records"]):
        changes |= {"state": "completed", "completed_at": now}
        events = [_completed_event(tenant, {**doc, **changes}, carrier)]
    if not await store.change(sample_id, int(doc["version"]), changes, events):
        raise Conflict(f"sample {sample_id} changed meanwhile; read it again and retry", code="sample_changed")
    return sample_view({**doc, **changes})

