"""The written patrol plan (长护险监管巡查方案, tender 二、(二)5.1): the year's measures and each quarter's targets —
a sampling share of at least the tender's 20% and a share of the year's status surveys adding up to 100%. Each
writing is a new version; the latest is the one in force and steers the samples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chassis.errors import InvalidInput
from services.audit.patrols.domain.quotas import QUARTER_SHARE_PERCENT

QUARTERS = ("Q1", "Q2", "Q3", "Q4")


def check_targets(quarters: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The four quarters' targets, in order: `sample_percent` (≥ 20, ≤ 100) and `survey_percent` (0–100, the four
    adding up to at least 100)."""
    named = [str(q["quarter"]) for q in quarters]
    if sorted(named) != list(QUARTERS):
        raise InvalidInput(f"give each quarter once ({', '.join(QUARTERS)}), got {named}", "quarters",
                           code="plan_quarters_incomplete")
    out = []
    for n, q in enumerate(quarters):
        if q["sample_percent"] < QUARTER_SHARE_PERCENT:
            raise InvalidInput(f"{q['quarter']}: sampling {q['sample_percent']}% is below {QUARTER_SHARE_PERCENT}%",
                               f"quarters[{n}].sample_percent", code="plan_sample_below_quota")
        out.append({"quarter": str(q["quarter"]), "sample_percent": int(q["sample_percent"]),
                    "survey_percent": int(q["survey_percent"]), "on_site": "every designated institution"})
    if sum(q["survey_percent"] for q in out) < 100:
        raise InvalidInput("the quarters' status-survey targets add up to less than 100%", "quarters",
                           code="plan_surveys_short")
    return sorted(out, key=lambda q: q["quarter"])


def sample_percent(plan: Mapping[str, Any] | None, quarter: int) -> int:
    """The share a quarter's sample aims at: the plan's target, never below the tender's 20%."""
    for q in (plan or {}).get("quarters") or ():
        if q["quarter"] == f"Q{quarter}":
            return max(QUARTER_SHARE_PERCENT, int(q["sample_percent"]))
    return QUARTER_SHARE_PERCENT
