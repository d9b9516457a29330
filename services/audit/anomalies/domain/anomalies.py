"""Anomaly detection (异常预警) over a month's fund spending: the month's growth over the month before, an
institution far from its peers, a person's unusual month. Pure statistics on the read model's spends; each hit
becomes a warning whose written report is due in 7 working days.

The peer statistic is the modified z-score of Iglewicz and Hoaglin: M = 0.6745 × (x − median) / MAD, where MAD
is the median absolute deviation from the median; robust to the outliers it looks for (one huge value hardly
moves the median, where it would inflate a mean and standard deviation). An institution or person is flagged
when M > k (k = 3.5, their recommendation). When more than half the peers share one value MAD is 0; M then
falls back to (x − median) / (1.253314 × mean absolute deviation), and when that is 0 too everyone is equal and
nothing is flagged. Only the upper side is flagged: spending too little is not a fund risk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from chassis.errors import InvalidInput
from chassis.money import from_fen, round_yuan
from chassis.reasons import Reason
from services.audit.anomalies.domain.reasons import REASONS
from services.audit.operations.domain.operations import Spend
from services.audit.reports.domain.periods import parse_period, previous_month
from services.audit.warnings.domain.warnings import SpendingGrowth, spending_growth

MAD_SCALE = Decimal("0.6745")       # Φ⁻¹(0.75): makes MAD comparable to a standard deviation for normal data
MEAN_AD_SCALE = Decimal("1.253314")  # √(π/2): the same for the mean absolute deviation
SCORE = Decimal("0.01")


@dataclass(frozen=True)
class Thresholds:
    """Every knob of the checks; a request may override any of them (`thresholds: {name: "value"}`)."""

    growth: Decimal = Decimal("0.30")                 # month-on-month spending growth above this warns
    institution_k: Decimal = Decimal("3.5")           # modified z-score above this among the institution's peers
    institution_min_peers: int = 5                    # fewer institutions of a kind: no peer comparison
    person_k: Decimal = Decimal("3.5")                # modified z-score of a person's month among peers
    person_min_peers: int = 5
    person_history_factor: Decimal = Decimal("3")     # this month above factor × the person's own usual month
    person_history_months: int = 6                    # how many months before count as the person's history
    person_min_history: int = 2                       # months paid in that history needed for a baseline
    person_min_excess: Decimal = Decimal("1000.00")   # and at least this much above it (yuan)
    person_institutions: int = 4                      # this many institutions or more in one month


_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "growth": (Decimal(0), Decimal(10)), "institution_k": (Decimal("0.5"), Decimal(100)),
    "institution_min_peers": (Decimal(3), Decimal(1000)), "person_k": (Decimal("0.5"), Decimal(100)),
    "person_min_peers": (Decimal(3), Decimal(100000)), "person_history_factor": (Decimal(1), Decimal(100)),
    "person_history_months": (Decimal(1), Decimal(24)), "person_min_history": (Decimal(1), Decimal(24)),
    "person_min_excess": (Decimal(0), Decimal(100000000)), "person_institutions": (Decimal(2), Decimal(100)),
}


def parse_thresholds(raw: Mapping[str, Any] | None) -> Thresholds:
    """Overrides as decimal strings (or whole numbers for counts); unknown names and values out of range are
    refused with the field named (`thresholds.person_k`)."""
    base = Thresholds()
    known = {f.name: f for f in fields(Thresholds)}
    values: dict[str, Any] = {}
    for name, value in (raw or {}).items():
        where = f"thresholds.{name}"
        if name not in known:
            raise InvalidInput(f"unknown threshold {name!r}; one of {', '.join(known)}", where)
        if isinstance(value, bool | float) or not isinstance(value, str | int):
            raise InvalidInput(f"{name} must be a decimal string such as \"3.5\"", where)
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise InvalidInput(f"{name} is not a number: {value!r}", where) from exc
        low, high = _LIMITS[name]
        if not number.is_finite() or not low <= number <= high:
            raise InvalidInput(f"{name} must be between {low} and {high}, got {value!r}", where)
        if isinstance(getattr(base, name), int):
            if number != number.to_integral_value():
                raise InvalidInput(f"{name} must be a whole number", where)
            values[name] = int(number)
        else:
            if name == "person_min_excess" and number.as_tuple().exponent < -2:  # type: ignore[operator]
                raise InvalidInput(f"{name} has more than two decimals", where)
            values[name] = number
    return Thresholds(**{**{k: getattr(base, k) for k in known}, **values})


def median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        raise ValueError("median of nothing")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def mad(values: list[Decimal]) -> Decimal:
    """Median absolute deviation from the median."""
    centre = median(values)
    return median([abs(v - centre) for v in values])


def modified_z(x: Decimal, values: list[Decimal]) -> Decimal | None:
    """x's modified z-score among `values` (x among them); None when all values are equal."""
    centre, spread = median(values), mad(values)
    if spread:
        return (MAD_SCALE * (x - centre) / spread).quantize(SCORE, ROUND_HALF_UP)
    mean_ad = sum((abs(v - centre) for v in values), Decimal(0)) / len(values)
    if not mean_ad:
        return None
    return ((x - centre) / (MEAN_AD_SCALE * mean_ad)).quantize(SCORE, ROUND_HALF_UP)


@dataclass(frozen=True)
class Hit:
    """One anomaly: which check, about whom (the fund, an institution code, a person), in which month."""

    check: str        # spending_growth | institution_outlier | person_pattern
    subject: str
    month: str
    description: str
    evidence: dict[str, Any]
    reasons: tuple[Reason, ...] = ()  # which rules fired (domain/reasons.py), the description's sentences as data


def growth_hit(result: SpendingGrowth) -> Hit | None:
    if not result.triggered:
        return None
    description = (f"Fund payments of {result.month} ({result.current:.2f}) grew {result.growth} over "
                   f"{result.previous_month} ({result.previous:.2f}), above the threshold {result.threshold}")
    return Hit("spending_growth", "fund", result.month, description,
               {"month": result.month, "previous_month": result.previous_month, "current": result.current,
                "previous": result.previous, "growth": str(result.growth), "threshold": str(result.threshold)},
               (REASONS.reason("spending_growth", description, growth=result.growth, threshold=result.threshold),))


def institution_outliers(spends: Iterable[Spend], month: str, th: Thresholds) -> list[Hit]:
    """Per institution in the month, the fund's payment per claim and per person paid, compared with the
    institutions of the same kind (source and care kind: chronic outpatient, critical inpatient...) in the same
    month and tenant."""
    groups: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(
        lambda: defaultdict(lambda: {"payable_fen": 0, "claims": 0, "persons": set()}))
    for s in spends:
        if s.month != month:
            continue
        row = groups[(s.source, s.care)][s.institution]
        row["payable_fen"] += s.payable_fen
        row["claims"] += 1
        if s.payable_fen > 0:
            row["persons"].add(s.person_id)
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (source, care), rows in sorted(groups.items()):
        if len(rows) < th.institution_min_peers:
            continue
        metrics = {
            "per_claim": {i: from_fen(r["payable_fen"]) / r["claims"] for i, r in rows.items()},
            "per_person": {i: from_fen(r["payable_fen"]) / len(r["persons"]) for i, r in rows.items() if r["persons"]},
        }
        for metric, by_inst in metrics.items():
            values = list(by_inst.values())
            if len(values) < th.institution_min_peers:
                continue
            for inst, value in sorted(by_inst.items()):
                z = modified_z(value, values)
                if z is not None and z > th.institution_k:
                    found[inst].append({
                        "source": source, "care": care, "metric": metric, "value": round_yuan(value),
                        "peer_median": round_yuan(median(values)), "peer_mad": round_yuan(mad(values)),
                        "modified_z": z, "k": th.institution_k, "peers": len(values),
                        "payable": from_fen(rows[inst]["payable_fen"]), "claims": rows[inst]["claims"],
                        "persons": len(rows[inst]["persons"])})
    out = []
    for inst, hits in sorted(found.items()):
        sentences = [f"{h['metric'].replace('_', ' ')} {h['value']:.2f} against a peer median of "
                     f"{h['peer_median']:.2f} ({h['source']} {h['care']}, {h['peers']} institutions), modified z "
                     f"{h['modified_z']} > {h['k']}" for h in hits]
        out.append(Hit("institution_outlier", inst, month, f"Institution {inst} in {month}: " + "; ".join(sentences),
                       {"month": month, "statistic": "modified z = 0.6745 (x - median) / MAD", "findings": hits},
                       tuple(REASONS.reason("institution_outlier", text, metric=h["metric"], modified_z=h["modified_z"],
                                            k=h["k"]) for text, h in zip(sentences, hits, strict=True))))
    return out


def history_months(month: str, n: int) -> list[str]:
    out, current = [], month
    for _ in range(n):
        current = previous_month(current)
        out.append(current)
    return out


def person_patterns(spends: Iterable[Spend], month: str, th: Thresholds) -> list[Hit]:
    """A person's month: (a) paid by `person_institutions` or more institutions; (b) far above their own history:
    more than `person_history_factor` × the mean of their paid months among the `person_history_months` before,
    with at least `person_min_history` such months, and at least `person_min_excess` above it; (c) far above
    their peers: modified z of the month's payment among the persons paid that month with the same main disease
    (the disease of their largest payment) and source."""
    history = set(history_months(month, th.person_history_months))
    now: dict[str, dict[str, Any]] = defaultdict(lambda: {"payable_fen": 0, "claims": 0, "institutions": set(),
                                                          "by_disease": defaultdict(int), "source": ""})
    past: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in spends:
        if s.month == month:
            row = now[s.person_id]
            row["payable_fen"] += s.payable_fen
            row["claims"] += 1
            row["institutions"].add(s.institution)
            row["by_disease"][(s.source, s.disease)] += s.payable_fen
        elif s.month in history:
            past[s.person_id][s.month] += s.payable_fen

    peers: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    for person, row in now.items():
        if row["payable_fen"] > 0:
            main = max(sorted(row["by_disease"].items()), key=lambda kv: kv[1])[0]
            row["group"] = main
            peers[main][person] = from_fen(row["payable_fen"])

    hits = []
    for person, row in sorted(now.items()):
        reasons: list[Reason] = []
        evidence: dict[str, Any] = {"month": month, "payable": from_fen(row["payable_fen"]), "claims": row["claims"],
                                    "institutions": sorted(row["institutions"]), "rules": []}
        if len(row["institutions"]) >= th.person_institutions:
            evidence["rules"].append({"rule": "many_institutions", "count": len(row["institutions"]),
                                      "limit": th.person_institutions})
            reasons.append(REASONS.reason(
                "many_institutions", f"{len(row['institutions'])} institutions in the month "
                f"(limit {th.person_institutions})", count=len(row["institutions"]), limit=th.person_institutions))
        paid = {m: v for m, v in past[person].items() if v > 0}
        if len(paid) >= th.person_min_history:
            baseline = round_yuan(from_fen(sum(paid.values())) / len(paid))
            current = from_fen(row["payable_fen"])
            if current > th.person_history_factor * baseline and current - baseline >= th.person_min_excess:
                evidence["rules"].append({"rule": "above_own_history", "baseline": baseline,
                                          "history_months": sorted(paid), "factor": th.person_history_factor,
                                          "min_excess": th.person_min_excess})
                reasons.append(REASONS.reason(
                    "above_own_history", f"{current:.2f} against a usual month of {baseline:.2f} over {len(paid)} "
                    f"paid months (more than {th.person_history_factor} x)", baseline=baseline,
                    factor=th.person_history_factor))
        group = row.get("group")
        if group is not None and len(peers[group]) >= th.person_min_peers:
            values = list(peers[group].values())
            z = modified_z(peers[group][person], values)
            if z is not None and z > th.person_k:
                evidence["rules"].append({"rule": "above_peers", "source": group[0], "disease": group[1],
                                          "peer_median": round_yuan(median(values)),
                                          "peer_mad": round_yuan(mad(values)), "modified_z": z, "k": th.person_k,
                                          "peers": len(values)})
                reasons.append(REASONS.reason(
                    "above_peers", f"modified z {z} > {th.person_k} among {len(values)} persons with {group[1]}",
                    modified_z=z, k=th.person_k))
        if reasons:
            hits.append(Hit("person_pattern", person, month,
                            f"Person {mask(person)} in {month}: " + "; ".join(r.detail for r in reasons),
                            {"person_id": person, **evidence}, tuple(reasons)))
    return hits


def mask(person_id: str) -> str:
    """A resident ID number as printed in texts (610702********0012); the full one stays in the evidence."""
    return person_id[:6] + "*" * 8 + person_id[14:] if len(person_id) == 18 else person_id


@dataclass(frozen=True)
class AnomalyResult:
    month: str
    thresholds: Thresholds
    growth: SpendingGrowth
    hits: list[Hit]


def detect(spends: Iterable[Spend], month: str, th: Thresholds) -> AnomalyResult:
    """Every check for the month over one tenant's spends (the month, the one before and the person history);
    hits are ordered by check and subject, so re-runs list them alike."""
    parse_period(month, ("month",), field="month")
    spends = list(spends)
    growth = spending_growth([{"month": s.month, "payable_fen": s.payable_fen} for s in spends], month,
                             str(th.growth))
    hits = [h for h in (growth_hit(growth),) if h] + institution_outliers(spends, month, th) + \
        person_patterns(spends, month, th)
    return AnomalyResult(month, th, growth, sorted(hits, key=lambda h: (h.check, h.subject)))


def months_needed(month: str, th: Thresholds) -> list[str]:
    """The months whose spends the checks read: the month, the one before and the person history."""
    return [month, *history_months(month, max(1, th.person_history_months))]


def thresholds_view(th: Thresholds) -> dict[str, str]:
    return {f.name: str(getattr(th, f.name)) for f in fields(Thresholds)}

