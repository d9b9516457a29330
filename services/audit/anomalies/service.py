"""The anomaly checks' use case: one month of the tenant's fund spending (chronic benefits and critical-illness
claims, from the read model) checked for growth, outlying institutions and unusual persons; every hit opens a
warning through the warnings room (written report due in 7 working days), once per check, subject and month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from chassis.calendar import today_cn
from services.audit.anomalies.domain.anomalies import AnomalyResult, Hit, detect, months_needed, parse_thresholds
from services.audit.operations.domain.operations import as_json, chronic_spends, critical_spends
from services.audit.readmodel import service as readmodel
from services.audit.reports.domain.periods import parse_period
from services.audit.sampling.domain.ids import derived_id
from services.audit.warnings import service as warnings
from services.audit.warnings.domain.warnings import check_detected_on


def warning_id(hit: Hit, pseudonym: Callable[[str], str]) -> str:
    # The fund's growth shares its id with POST /warnings/checks/spending-growth: one warning per month either way.
    if hit.check == "spending_growth":
        return warnings.spending_growth_id(hit.month)
    # A person's pattern: derived from their pseudonym, never from a hash of the identity number.
    subject = pseudonym(hit.subject) if hit.check == "person_pattern" else hit.subject
    return derived_id(hit.check, subject, hit.month)


async def check_month(db: Any, tenant: str, by: dict[str, str], month: str, thresholds: dict[str, Any] | None,
                      detected_on: date | None, carrier: dict[str, str]
                      ) -> tuple[AnomalyResult, list[tuple[Hit, dict[str, Any], bool]]]:
    """The checks' result and, per hit, its warning (as stored) and whether this run created it."""
    # Everything is validated before the first write.
    parse_period(month, ("month",), field="month")
    th = parse_thresholds(thresholds)
    detected_on = detected_on or today_cn()
    check_detected_on(detected_on, today_cn())
    months = months_needed(month, th)
    benefits = await readmodel.benefits(db, months)
    cases = await readmodel.cases_of(db, sorted({b["person_id"] for b in benefits if b.get("person_id")}))
    spends = chronic_spends(tenant, benefits, cases) + critical_spends(tenant, await readmodel.ci_claims(db, months))
    result = detect(spends, month, th)
    opened = []
    pseudonym = warnings.pseudonym_of(db)
    for hit in result.hits:
        warning, created = await warnings.issue(db, tenant, by, warning_id(hit, pseudonym), hit.check, hit.description,
                                                detected_on, "check", carrier, as_json(hit.evidence),
                                                subject=hit.subject, month=hit.month)
        opened.append((hit, warning, created))
    return result, opened
