"""The pre-visit dossier (数据提取与筛查, tender 二(一)1(2)): what the data say of an institution before inspectors go
there — its smart-review hits (智能审核: by rule, with counts, amounts and how reviewers decided them, pointing at the
catalogue items to look at on site) and the anomaly warnings (异常预警) raised about it. Kept with the inspection as
built (a snapshot: the visit is prepared on it). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from chassis.money import CENT
from services.audit.inspections.domain.catalogue import Catalogue

MAX_LISTED_HITS = 200   # the largest hits listed one by one; every hit counts in the figures


def build(catalogue: Catalogue, kind: str, hits: Iterable[Mapping[str, Any]],
          warnings: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """`hits`: {hit_id, rule, claim_id, line_ids, amount, state, month, source}; `warnings`: {warning_id, kind,
    month, description, status}. The checklist items the hits point at are the ones to verify on site first."""
    by_rule: dict[str, dict[str, Any]] = {}
    listed = []
    total = Decimal("0.00")
    for h in hits:
        amount = Decimal(str(h.get("amount") or "0"))
        total += amount
        row = by_rule.setdefault(h["rule"], {"rule": h["rule"], "hits": 0, "amount": Decimal("0.00"),
                                             "states": {}, "catalogue_codes": catalogue.codes_of_rule(h["rule"])})
        row["hits"] += 1
        row["amount"] += amount
        state = str(h.get("state") or "open")
        row["states"][state] = row["states"].get(state, 0) + 1
        listed.append({"hit_id": h.get("hit_id"), "rule": h["rule"], "claim_id": h.get("claim_id"),
                       "line_ids": list(h.get("line_ids") or []), "amount": str(amount.quantize(CENT)),
                       "state": state, "month": h.get("month"), "source": h.get("source")})
    rules = sorted(by_rule.values(), key=lambda r: (-r["amount"], r["rule"]))
    for r in rules:
        r["amount"] = str(r["amount"].quantize(CENT))
    valid = {i.code for i in catalogue.checklist(kind)}
    focus = sorted({c for r in rules for c in r["catalogue_codes"] if c in valid})
    listed.sort(key=lambda h: (-Decimal(h["amount"]), str(h["hit_id"])))
    anomalies = [{"warning_id": w.get("warning_id"), "kind": w.get("kind"), "month": w.get("month"),
                  "status": w.get("status"), "description": w.get("description", "")} for w in warnings]
    return {"hits": {"count": sum(r["hits"] for r in rules), "amount": str(total.quantize(CENT)), "by_rule": rules,
                     "largest": listed[:MAX_LISTED_HITS]},
            "anomalies": anomalies, "focus_codes": focus, "catalogue_version": catalogue.version}
