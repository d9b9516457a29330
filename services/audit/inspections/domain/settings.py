"""The fund-supervision program's settings (program.yaml `supervision:`), read into one value the rules take. Pure:
it is given the section as data (the service reads the program)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

KINDS = ("hospital", "pharmacy", "agency")
METHODS = ("daily_patrol", "audit", "undercover_visit", "special_campaign", "cross_inspection", "flight_inspection",
           "double_random")


@dataclass(frozen=True)
class SupervisionSettings:
    report_days: Mapping[str, int]        # calendar days after an inspection ends, by institution kind
    methods: tuple[str, ...]
    min_team: int
    sampling_rate: Decimal                # of the records of the last `sampling_years` years
    sampling_years: int
    problem_rate_expected: Decimal        # hospitals' problem-record rate expected (问题病历发现率)
    term_from: date
    term_to: date
    coverage: Decimal                     # on-site inspection rate over the term (1 = 100%)
    catalogue: str
    roster: str
    institutions: Mapping[str, int]       # the tender's counts, by kind
    trainings: int
    flight_inspection_trips: Mapping[str, int]


def parse_settings(section: Mapping[str, Any]) -> SupervisionSettings:
    """The `supervision:` section as the rules read it; a missing or malformed value raises (the program file is
    part of the release: it is checked by the tests, not at a request)."""
    days = {str(k): int(v) for k, v in dict(section["report_days"]).items()}
    missing = [k for k in KINDS if k not in days]
    if missing or any(v < 0 for v in days.values()):
        raise ValueError(f"supervision.report_days needs a day count for {', '.join(KINDS)}")
    methods = tuple(str(m) for m in section["methods"])
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"supervision.methods names unknown methods {unknown}")
    term = dict(section["term"])
    settings = SupervisionSettings(
        report_days=days, methods=methods, min_team=int(section.get("min_team", 2)),
        sampling_rate=Decimal(str(section["sampling_rate"])), sampling_years=int(section.get("sampling_years", 2)),
        problem_rate_expected=Decimal(str(section["problem_rate_expected"])),
        term_from=date.fromisoformat(str(term["from"])), term_to=date.fromisoformat(str(term["to"])),
        coverage=Decimal(str(section.get("coverage", "1"))), catalogue=str(section["catalogue"]),
        roster=str(section.get("roster", "")),
        institutions={str(k): int(v) for k, v in dict(section.get("institutions") or {}).items()},
        trainings=int(section.get("trainings", 0)),
        flight_inspection_trips={str(k): int(v) for k, v in dict(section.get("flight_inspection_trips") or {}).items()})
    if settings.min_team < 2:
        raise ValueError("supervision.min_team is at least 2")
    if not Decimal(0) < settings.sampling_rate <= 1:
        raise ValueError("supervision.sampling_rate is within (0, 1]")
    if settings.term_to < settings.term_from:
        raise ValueError("supervision.term ends before it starts")
    return settings
