"""Policy tables (待遇政策表): the per-disease deductible, ratio, annual cap and benefit start the agency
publishes (《汉中市基本医疗保险门诊慢特病待遇和复审时限》), versioned by effective dates. Pure: parsing and
lookup only; loading files and publishing versions belong to the service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from chassis import money
from chassis.errors import InvalidInput, NotFound

NEXT_MONTH = "next_month"
IMMEDIATE = "immediate"
STARTS = (NEXT_MONTH, IMMEDIATE)
MAX_AMOUNT = Decimal("999999999999.99")  # yuan


@dataclass(frozen=True)
class DiseaseRule:
    """One row of the table: a disease's benefits (待遇) and re-review period (复审时限)."""

    code: str
    name: str
    category: str                # chronic (慢性病) | special (特殊病); free text, the table decides
    annual_cap: Decimal | None   # 年度最高支付限额, yuan; None = uncapped
    deductible: Decimal          # 起付线, yuan
    ratio: Decimal               # 报销比例, the fund's share in [0, 1]
    start: str                   # next_month (次月享受) | immediate (即时享受)
    review_months: int = 0       # 0 = no re-review
    specialty: str = ""          # appraisal experts are drawn from this specialty
    required_documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    """One version of a program's table, in force on [effective_from, effective_to] (None = open)."""

    program: str
    version: str
    effective_from: date
    effective_to: date | None
    monthly_cap_multiple: int        # a month pays at most this × (annual cap / 12) (月均限额的3倍)
    second_disease_weight: Decimal   # 0.2: the 2nd disease adds 20% of its cap, the 3rd 10%, halving onward
    diseases: dict[str, DiseaseRule]
    label: str = ""

    @property
    def year(self) -> int:
        return self.effective_from.year

    def covers(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


# ---- parsing ---------------------------------------------------------------------------------------------------


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _required(data: Mapping[str, Any], key: str, prefix: str) -> Any:
    if key not in data:
        raise InvalidInput(f"{_path(prefix, key)} is required", _path(prefix, key))
    return data[key]


def _text(value: Any, field: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise InvalidInput(f"{field} must be a non-empty string, got {value!r}", field)
    return value.strip()


def policy_amount(value: Any, field: str) -> Decimal:
    """A table's amount (a cap, a deductible): non-negative yuan read by the one money parser, up to MAX_AMOUNT (far
    above any real figure; beyond it Decimal's 28 digits could round products silently)."""
    return money.parse_amount(value, field, minimum=Decimal(0), maximum=MAX_AMOUNT)


def parse_date(value: Any, field: str) -> date:
    """An ISO date (YYYY-MM-DD) given as a string, or a date YAML already parsed."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be an ISO date such as \"2025-06-03\", got {value!r}", field)
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(f"{field} is not an ISO date (YYYY-MM-DD): {value!r}", field) from exc


def parse_fraction(value: Any, field: str) -> Decimal:
    """A share in [0, 1] such as "0.80" (string, int or Decimal; floats are refused like amounts)."""
    if value is None or isinstance(value, bool | float):
        raise InvalidInput(f"{field} must be a decimal string such as \"0.80\", got {value!r}", field)
    try:
        fraction = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(f"{field} is not a number: {value!r}", field) from exc
    if not fraction.is_finite() or not Decimal(0) <= fraction <= Decimal(1):
        raise InvalidInput(f"{field} must be between 0 and 1: {value!r}", field)
    return fraction


def _count(value: Any, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInput(f"{field} must be an integer ≥ {minimum}, got {value!r}", field)
    return value


def _parse_disease(data: Any, prefix: str) -> DiseaseRule:
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{prefix} must be an object", prefix)
    code = _text(_required(data, "code", prefix), _path(prefix, "code"))
    # The key must be present even for uncapped diseases: a typo must not silently lift a cap.
    cap = _required(data, "annual_cap", prefix)
    start = _required(data, "start", prefix)
    if start not in STARTS:
        raise InvalidInput(f"{_path(prefix, 'start')} must be one of {', '.join(STARTS)}, got {start!r}",
                           _path(prefix, "start"))
    documents = data.get("required_documents") or []
    if not isinstance(documents, list | tuple) or not all(isinstance(d, str) for d in documents):
        raise InvalidInput(f"{_path(prefix, 'required_documents')} must be a list of strings",
                           _path(prefix, "required_documents"))
    specialty = data.get("specialty") or ""
    return DiseaseRule(
        code=code,
        name=_text(_required(data, "name", prefix), _path(prefix, "name"), allow_empty=True),
        category=_text(_required(data, "category", prefix), _path(prefix, "category"), allow_empty=True),
        annual_cap=None if cap is None or cap == "" else policy_amount(cap, _path(prefix, "annual_cap")),
        deductible=policy_amount(_required(data, "deductible", prefix), _path(prefix, "deductible")),
        ratio=parse_fraction(_required(data, "ratio", prefix), _path(prefix, "ratio")),
        start=start,
        review_months=_count(data.get("review_months", 0), _path(prefix, "review_months"), 0),
        specialty=_text(specialty, _path(prefix, "specialty"), allow_empty=True),
        required_documents=tuple(documents),
    )


def parse_policy(data: dict[str, Any], *, prefix: str = "") -> Policy:
    """A table from its YAML/JSON form (as in programs/hz-chronic/policy-2025.yaml).

    `prefix` is prepended to field paths in errors when the table is embedded in a larger document."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{prefix or 'policy'} must be an object", prefix or "policy")
    version = _required(data, "version", prefix)
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    effective_from = parse_date(_required(data, "effective_from", prefix), _path(prefix, "effective_from"))
    raw_to = data.get("effective_to")
    effective_to = None if raw_to in (None, "") else parse_date(raw_to, _path(prefix, "effective_to"))
    if effective_to is not None and effective_to < effective_from:
        raise InvalidInput(f"{_path(prefix, 'effective_to')} {effective_to} is before effective_from "
                           f"{effective_from}", _path(prefix, "effective_to"))
    rows = _required(data, "diseases", prefix)
    if not isinstance(rows, list) or not rows:
        raise InvalidInput(f"{_path(prefix, 'diseases')} must be a non-empty list", _path(prefix, "diseases"))
    diseases: dict[str, DiseaseRule] = {}
    for i, row in enumerate(rows):
        rule = _parse_disease(row, _path(prefix, f"diseases[{i}]"))
        if rule.code in diseases:
            raise InvalidInput(f"disease {rule.code} is listed twice", _path(prefix, f"diseases[{i}].code"))
        diseases[rule.code] = rule
    label = data.get("label") or ""
    return Policy(
        program=_text(_required(data, "program", prefix), _path(prefix, "program")),
        version=_text(version, _path(prefix, "version")),
        effective_from=effective_from,
        effective_to=effective_to,
        monthly_cap_multiple=_count(_required(data, "monthly_cap_multiple", prefix),
                                    _path(prefix, "monthly_cap_multiple"), 1),
        second_disease_weight=parse_fraction(_required(data, "second_disease_weight", prefix),
                                             _path(prefix, "second_disease_weight")),
        diseases=diseases,
        label=_text(label, _path(prefix, "label"), allow_empty=True),
    )


def _yuan(amount: Decimal) -> str:
    return f"{amount:.2f}"


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """The YAML/JSON form; `parse_policy(policy_to_dict(p)) == p`. Amounts are "0.00" strings, null = uncapped."""
    return {
        "program": policy.program,
        "version": policy.version,
        "label": policy.label,
        "effective_from": policy.effective_from.isoformat(),
        "effective_to": policy.effective_to.isoformat() if policy.effective_to else None,
        "monthly_cap_multiple": policy.monthly_cap_multiple,
        "second_disease_weight": str(policy.second_disease_weight),
        "diseases": [
            {
                "code": d.code, "name": d.name, "category": d.category,
                "annual_cap": None if d.annual_cap is None else _yuan(d.annual_cap),
                "deductible": _yuan(d.deductible), "ratio": str(d.ratio), "start": d.start,
                "review_months": d.review_months, "specialty": d.specialty,
                "required_documents": list(d.required_documents),
            }
            for d in policy.diseases.values()
        ],
    }


# ---- versions ---------------------------------------------------------------------------------------------------


def check_versions(versions: Sequence[Policy]) -> None:
    """Versions of one program must not overlap: on any date at most one table is in force."""
    programs = {p.program for p in versions}
    if len(programs) > 1:
        raise InvalidInput(f"versions of several programs mixed: {sorted(programs)}", "program")
    seen: set[str] = set()
    for p in versions:
        if p.version in seen:
            raise InvalidInput(f"version {p.version} of {p.program} is given twice", "version")
        seen.add(p.version)
    ordered = sorted(versions, key=lambda p: p.effective_from)
    for before, after in pairwise(ordered):
        if before.effective_to is None or before.effective_to >= after.effective_from:
            raise InvalidInput(
                f"versions {before.version} and {after.version} of {before.program} overlap "
                f"(from {after.effective_from}, {before.version} is still in force)", "effective_from")


def in_force(versions: Sequence[Policy], on: date) -> Policy:
    """The version whose [effective_from, effective_to] covers `on`."""
    check_versions(versions)
    for p in versions:
        if p.covers(on):
            return p
    program = versions[0].program if versions else "the program"
    raise NotFound(f"no policy version of {program} is in force on {on.isoformat()}")
