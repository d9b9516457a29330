"""How the sampling room's documents look over HTTP (no internal fields, amounts as "0.00" strings)."""

from __future__ import annotations

from typing import Any

from chassis.money import fmt, from_fen
from services.audit.sampling.domain.sampling import attainment


def finding_view(f: dict[str, Any]) -> dict[str, Any]:
    return {"finding_id": f["_id"], "person_id": f.get("person_id", ""), "kind": f.get("kind", ""),
            "description": f.get("description", ""), "amount": fmt(from_fen(f.get("amount_fen", 0))),
            "raised_at": f.get("raised_at", ""), "raised_on": f.get("raised_on", ""),
            "source": f.get("source", "event"), "plan_id": f.get("plan_id"), "raised_by": f.get("raised_by"),
            "carrier_caused": bool(f.get("carrier_caused")), "carrier_reason": f.get("carrier_reason"),
            "fund_year": f.get("fund_year")}


def task_view(t: dict[str, Any]) -> dict[str, Any]:
    keys = ("plan_id", "case_id", "person_id", "disease_code", "uncapped", "status", "outcome", "notes",
            "checked_by", "checked_at", "finding_id")
    return {"task_id": t["_id"], **{k: t.get(k) for k in keys}}


def callback_view(c: dict[str, Any]) -> dict[str, Any]:
    keys = ("plan_id", "person_id", "case_ids", "disease_codes", "status", "attempts", "finding_id", "created_at")
    return {"callback_id": c["_id"], **{k: c.get(k) for k in keys}}


def plan_view(plan: dict[str, Any], checked: dict[str, int], population: bool = False) -> dict[str, Any]:
    keys = ("period", "start", "end", "seed", "method", "uncapped_ratio", "other_ratio", "program",
            "policy_version", "created_at", "created_by")
    strata = [{"disease_code": s["disease_code"], "uncapped": s["uncapped"], "population": len(s["population"]),
               "required": s["required"], "sample": s["sample"],
               **({"population_ids": s["population"]} if population else {})} for s in plan["strata"]]
    return {"plan_id": plan["_id"], **{k: plan.get(k) for k in keys}, "strata": strata,
            "attainment": attainment(plan["strata"], checked)}
