"""An internal audit of the agency (经办机构内部审核), pure: who audits which period (a team of at least two), the
checks of its manual reimbursements (手工报销) and payments (支付) — conforming or not; a nonconforming one names the
catalogue's agency item (制度审核不全 A01, 违规支付医保费用 A02, 各项险种及待遇落实情况 A03), the amount in question and
a note — and the figures the written report states."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from chassis.errors import Conflict, InvalidInput
from chassis.money import fmt, parse_amount
from chassis.reasons import Reason
from services.audit.agency_audit.domain.reasons import REASONS
from services.audit.cases.domain.catalogue import ViolationCatalogue

AREAS = ("manual_reimbursement", "payment")
AREA_NAMES = {"manual_reimbursement": "手工报销", "payment": "基金支付"}
RESULTS = ("conforming", "nonconforming")
AGENCY_GROUP = "agency"     # the catalogue's group of the agency's items (A01…)
AGENCY_KIND = "agency"      # the registry's kind of the agency (经办机构)
OPEN, REPORTED = "open", "reported"
ZERO = Decimal("0.00")
DEFAULT_MIN_TEAM = 2


def _day(value: Any, field: str, today: date) -> date:
    try:
        parsed = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field} is not a date (YYYY-MM-DD): {value!r}", field) from None
    if parsed > today:
        raise InvalidInput(f"{field} {parsed} lies in the future", field, code="date_in_future")
    return parsed


def check_audit(body: Mapping[str, Any], today: date, min_team: int = DEFAULT_MIN_TEAM) -> dict[str, Any]:
    """The audit as opened: title, the agency audited, the period (both days inclusive, ended by today), a team of at
    least `min_team` distinct inspectors, the record-sampling sample it reads (optional) and its scope."""
    team = list(dict.fromkeys(body.get("team") or []))
    if len(team) < min_team:
        raise InvalidInput(f"an internal audit is made by at least {min_team} inspectors, not {len(team)}", "team",
                           code="audit_team_too_small", params={"min_team": str(min_team)})
    start = _day(body.get("period_from"), "period_from", today)
    end = _day(body.get("period_to"), "period_to", today)
    if end < start:
        raise InvalidInput(f"period_to {end} is before period_from {start}", "period_to", code="audit_period_reversed")
    return {"title": body["title"], "institution_id": body["institution_id"], "period_from": start.isoformat(),
            "period_to": end.isoformat(), "team": team, "sample_id": body.get("sample_id") or None,
            "scope": body.get("scope") or ""}


def check_items(audit: Mapping[str, Any], items: Sequence[Mapping[str, Any]], catalogue: ViolationCatalogue,
                today: date) -> list[dict[str, Any]]:
    """Checks added to an open audit, validated whole (field `checks[i].…`): each file or payment once per audit."""
    if audit["state"] != OPEN:
        raise Conflict("the audit's written report is out; it takes no more checks", "checks",
                       code="agency_audit_reported")
    seen = {(c["area"], c["reference"]) for c in audit.get("checks") or []}
    out: list[dict[str, Any]] = []
    first = len(audit.get("checks") or [])
    for n, item in enumerate(items):
        where = f"checks[{n}]"
        area, result = item.get("area"), item.get("result")
        if area not in AREAS:
            raise InvalidInput(f"area is one of {', '.join(AREAS)}", f"{where}.area")
        if result not in RESULTS:
            raise InvalidInput(f"result is one of {', '.join(RESULTS)}", f"{where}.result")
        reference = str(item.get("reference") or "").strip()
        if not reference:
            raise InvalidInput("a check names the file or payment it checked (reference)", f"{where}.reference")
        if (area, reference) in seen:
            raise InvalidInput(f"{AREA_NAMES[area]} {reference} is checked twice", f"{where}.reference",
                               code="check_reference_repeated")
        seen.add((area, reference))
        check: dict[str, Any] = {"check_id": f"C{first + n + 1:04d}", "area": area, "reference": reference,
                                 "result": result, "record_id": item.get("record_id") or None,
                                 "checked_on": _day(item.get("checked_on") or today, f"{where}.checked_on",
                                                    today).isoformat(),
                                 "note": str(item.get("note") or "").strip(), "code": None, "name": None,
                                 "amount": None, "catalogue_version": None}
        if result == "nonconforming":
            for required in ("code", "amount", "note"):
                if item.get(required) in (None, "") or (required == "note" and not check["note"]):
                    raise InvalidInput(f"a nonconforming check states its {required}", f"{where}.{required}",
                                       code="check_details_required")
            violation = catalogue.item(str(item["code"]), f"{where}.code")
            if violation.group != AGENCY_GROUP:
                raise InvalidInput(f"{violation.code} ({violation.name}) is not an item of the agency group",
                                   f"{where}.code", code="check_code_not_agency")
            check.update(code=violation.code, name=violation.name, catalogue_version=catalogue.version,
                         amount=fmt(parse_amount(item["amount"], f"{where}.amount", minimum=ZERO)))
        elif item.get("code") or item.get("amount") not in (None, ""):
            raise InvalidInput("a conforming check carries no code or amount", f"{where}.code")
        out.append(check)
    return out


def summary(checks: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per area: checked, conforming, nonconforming, the amount in question and the nonconforming rate; by code; the
    reasons."""
    by_area: dict[str, dict[str, Any]] = {a: {"checked": 0, "conforming": 0, "nonconforming": 0, "amount": ZERO}
                                          for a in AREAS}
    by_code: dict[str, dict[str, Any]] = {}
    reasons: list[Reason] = []
    for c in checks:
        row = by_area[c["area"]]
        row["checked"] += 1
        if c["result"] == "conforming":
            row["conforming"] += 1
            continue
        row["nonconforming"] += 1
        amount = Decimal(c["amount"])
        row["amount"] += amount
        code = by_code.setdefault(c["code"], {"name": c["name"], "count": 0, "amount": ZERO})
        code["count"] += 1
        code["amount"] += amount
        reasons.append(REASONS.reason("nonconforming_check", f"{AREA_NAMES[c['area']]} {c['reference']}: "
                                      f"{c['code']} {c['name']} {c['amount']}", check_id=c["check_id"],
                                      violation=c["code"], amount=c["amount"]))
    areas = {}
    for area, row in by_area.items():
        rate = (Decimal(row["nonconforming"]) / row["checked"]).quantize(Decimal("0.0001")) if row["checked"] else None
        areas[area] = {**row, "amount": fmt(row["amount"]), "rate": str(rate) if rate is not None else None}
        if row["checked"]:
            reasons.append(REASONS.reason("nonconforming_rate", f"{AREA_NAMES[area]}: {row['nonconforming']} / "
                                          f"{row['checked']}", area=area, rate=str(rate)))
    total = sum((Decimal(a["amount"]) for a in areas.values()), ZERO)
    return {"areas": areas, "by_code": {k: {**v, "amount": fmt(v["amount"])} for k, v in sorted(by_code.items())},
            "checked": sum(a["checked"] for a in areas.values()),
            "nonconforming": sum(a["nonconforming"] for a in areas.values()), "amount": fmt(total),
            "reason_codes": [r.to_json() for r in reasons]}
