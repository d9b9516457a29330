"""Critical illness insurance (大病保险): RULES.md section B (Quzhou).

In one calendar year (结算年度) a person's self-paid costs (自付) of inpatient care, chronic and special-disease
outpatient care and listed special drugs (大病保险特殊用药) accumulate (累计自付). Above the deductible (起付标准)
the fund pays the ratio (补助比例), at most the year cap (最高支付限额). Assistance recipients (救助对象) have
their own, lower deductible, higher ratio and no cap.

Each claim pays the increase of the cumulative benefit it causes:
    benefit(cum) = min(cap, max(0, cum − deductible) × ratio), rounded half up to the fen;
    payable = benefit(cumulative after) − paid so far (never negative).
With one tier all year, "paid so far" is benefit(cumulative before), so the payables of any split of the same
self-pay add up to benefit(total). When the tier changes mid-year (a person becomes, or stops being, an
assistance recipient; a new policy version) the cumulative benefit is recomputed under the tier in force on the
claim's date and only what exceeds the amount already paid is paid (**choice**: nothing is clawed back).

The account is per calendar year: a claim dated in another year than the account's is refused here; the service
opens the year's own account (cumulative figures start at zero every 1 January). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from chassis.errors import InvalidInput
from chassis.money import MAX_AMOUNT, parse_amount, round_yuan
from chassis.reasons import Reason
from services.settlement.critical.domain.reasons import REASONS
from services.settlement.policies.domain.policy import parse_date as policy_parse_date
from services.settlement.policies.domain.policy import parse_fraction

ZERO = Decimal("0.00")

# Care kinds whose self-pay accumulates (纳入大病保险支付范围).
INPATIENT = "inpatient"                      # 住院
CHRONIC_OUTPATIENT = "chronic_outpatient"    # 慢性病门诊
SPECIAL_OUTPATIENT = "special_outpatient"    # 特殊病种门诊
SPECIAL_DRUG = "special_drug"                # 浙江省大病保险特殊用药
CARE_KINDS = (INPATIENT, CHRONIC_OUTPATIENT, SPECIAL_OUTPATIENT, SPECIAL_DRUG)

# Reason codes (domain/reasons.py): every claim not paid in full carries at least one reason — as data
# (`reason_codes`) and as the "<code>: <detail>" sentence it always was (`reasons`).
DEDUCTIBLE = "deductible"
RATIO = "ratio"
YEAR_CAP = "year_cap"
OUTSIDE_POLICY_YEAR = "outside_policy_year"
TIER_CHANGE = "tier_change"
ALREADY_PAID = "already_paid"

# An institution's claim ids are its own: two institutions may send the same id for different stays. A claim is kept
# (and its review, payable, documents and events named) under its id within its institution's namespace. The
# separator is in no claim id (letters, digits, `_ . : -`) nor institution code, and is safe in a URL.
KEY_SEPARATOR = "~"


def claim_key(institution_code: str, claim_id: str) -> str:
    """`<institution>~<claim id>`; a claim with no institution (a manual reimbursement entered without one) keeps
    its bare id — the agency's own namespace, apart from every institution's."""
    return f"{institution_code}{KEY_SEPARATOR}{claim_id}" if institution_code else claim_id


def manual_claim_id(as_sent: Mapping[str, Any], document_sha256s: Iterable[str], person: str) -> str:
    """The id of a manual reimbursement (零星报销) sent without one: `M-` + sha256 of the claim as sent (its JSON
    fields, sorted, without the bank account: where it is paid is not the claim) and its documents' sha256, so the
    same claim and documents sent again make the same id. `person` stands in for the claim's `person_id`: the
    service gives the person's keyed pseudonym (`CriticalStore.pseudonym` of the number as sent), so the id is no
    hash of the identity number that trying every number could reverse."""
    basis = json.dumps({**as_sent, "person_id": person}, sort_keys=True) + "|".join(sorted(document_sha256s))
    return "M-" + hashlib.sha256(basis.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Tier:
    """One benefit level: 起付标准, 补助比例, 最高支付限额 (None = 不设封顶线)."""

    deductible: Decimal
    ratio: Decimal
    cap: Decimal | None

    def benefit(self, cumulative_self_pay: Decimal) -> Decimal:
        """The cumulative benefit (累计补助) due on a cumulative self-pay, to the fen (half up)."""
        above = max(ZERO, cumulative_self_pay - self.deductible)
        amount = above * self.ratio
        if self.cap is not None:
            amount = min(self.cap, amount)
        return round_yuan(amount)


@dataclass(frozen=True)
class CriticalPolicy:
    """One version of the critical illness policy, in force on [effective_from, effective_to] (None = open)."""

    version: str
    ordinary: Tier       # 普通人员
    assistance: Tier     # 救助对象
    effective_from: date | None = None
    effective_to: date | None = None
    program: str = "qz-critical"
    label: str = ""

    def covers(self, on: date) -> bool:
        return ((self.effective_from is None or self.effective_from <= on)
                and (self.effective_to is None or on <= self.effective_to))

    def tier(self, assistance: bool) -> Tier:
        return self.assistance if assistance else self.ordinary


@dataclass(frozen=True)
class CriticalClaim:
    """One settled stay or visit: its self-pay (自付) is what accumulates."""

    id: str
    date: date
    self_pay: Decimal
    care: str = INPATIENT


@dataclass(frozen=True)
class CriticalAccount:
    """A person's year account (年度累计): cumulative self-pay and cumulative paid, and the claims applied."""

    year: int
    cumulative_self_pay: Decimal = ZERO
    cumulative_paid: Decimal = ZERO
    applied: tuple[str, ...] = ()


@dataclass(frozen=True)
class CriticalResult:
    id: str
    payable: Decimal
    reasons: tuple[str, ...]
    self_pay: Decimal
    cumulative_self_pay_before: Decimal
    cumulative_self_pay_after: Decimal
    paid_before: Decimal
    benefit_after: Decimal
    tier: str                       # ordinary | assistance
    deductible: Decimal
    ratio: Decimal
    cap: Decimal | None
    policy_version: str
    accumulated: bool = True        # False: outside the policy's dates, the self-pay was not counted
    extra: dict[str, Any] = field(default_factory=dict)
    reason_codes: tuple[Reason, ...] = ()   # the reasons as data; `reasons` are their sentences


# ---- parsing ---------------------------------------------------------------------------------------------------


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# The table parsers of the chronic policy hold for this table too (same shares and dates); amounts are read by
# chassis' one money parser, never negative.
parse_ratio = parse_fraction
parse_date = policy_parse_date


def parse_care(value: Any, field: str) -> str:
    if value not in CARE_KINDS:
        raise InvalidInput(f"{field} must be one of {', '.join(CARE_KINDS)} (the care whose self-pay accumulates "
                           f"in critical illness insurance), got {value!r}", field)
    return str(value)


def _required(data: Mapping[str, Any], key: str, prefix: str) -> Any:
    if key not in data:
        raise InvalidInput(f"{_path(prefix, key)} is required", _path(prefix, key))
    return data[key]


def parse_tier(data: Any, prefix: str) -> Tier:
    """`{deductible, ratio, cap}`; `cap` must be present, null meaning no cap (a typo must not lift a cap)."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{prefix or 'policy'} must be an object", prefix or "policy")
    cap = _required(data, "cap", prefix)
    return Tier(
        deductible=parse_amount(_required(data, "deductible", prefix), _path(prefix, "deductible"), minimum=ZERO),
        ratio=parse_ratio(_required(data, "ratio", prefix), _path(prefix, "ratio")),
        cap=None if cap is None else parse_amount(cap, _path(prefix, "cap"), minimum=ZERO),
    )


def parse_critical_policy(data: Any, *, prefix: str = "", require_version: bool = True) -> CriticalPolicy:
    """A policy from its YAML/JSON form (programs/qz-critical/policy-2025.yaml, or a calc case's `policy`):
    the ordinary tier's `deductible`, `ratio`, `cap` at the top, the assistance tier under `assistance`,
    plus `version`, `effective_from`, `effective_to` (optional for a calc case)."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{prefix or 'policy'} must be an object", prefix or "policy")
    ordinary = parse_tier(data, prefix)
    assistance = parse_tier(_required(data, "assistance", prefix), _path(prefix, "assistance"))
    version: Any = data.get("version")
    if version is None and not require_version:
        version = "calc"
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        raise InvalidInput(f"{_path(prefix, 'version')} must be a non-empty string, got {version!r}",
                           _path(prefix, "version"))
    raw_from, raw_to = data.get("effective_from"), data.get("effective_to")
    if require_version and raw_from in (None, ""):
        raise InvalidInput(f"{_path(prefix, 'effective_from')} is required", _path(prefix, "effective_from"))
    effective_from = None if raw_from in (None, "") else parse_date(raw_from, _path(prefix, "effective_from"))
    effective_to = None if raw_to in (None, "") else parse_date(raw_to, _path(prefix, "effective_to"))
    if effective_from and effective_to and effective_to < effective_from:
        raise InvalidInput(f"{_path(prefix, 'effective_to')} {effective_to} is before effective_from "
                           f"{effective_from}", _path(prefix, "effective_to"))
    program = data.get("program", "qz-critical")
    label = data.get("label") or ""
    if not isinstance(program, str) or not isinstance(label, str):
        raise InvalidInput(f"{_path(prefix, 'program')} and label must be strings", _path(prefix, "program"))
    return CriticalPolicy(version=version.strip(), ordinary=ordinary, assistance=assistance,
                          effective_from=effective_from, effective_to=effective_to, program=program, label=label)


def in_force(versions: Sequence[CriticalPolicy], on: date) -> CriticalPolicy | None:
    for p in versions:
        if p.covers(on):
            return p
    return None


# ---- adjudication ----------------------------------------------------------------------------------------------


def _pct(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


def _reasons(claim: CriticalClaim, tier: Tier, before: Decimal, after: Decimal, paid_before: Decimal,
             benefit_after: Decimal, payable: Decimal) -> list[Reason]:
    """Why this claim's self-pay was not paid in full, part by part."""
    reasons: list[Reason] = []
    below = min(after, tier.deductible) - min(before, tier.deductible)
    if below > 0:
        reasons.append(REASONS.reason(
            DEDUCTIBLE, f"{below:.2f} of this claim's self-pay counts toward the {tier.deductible:.2f} deductible "
                        f"(起付标准); cumulative self-pay {after:.2f}",
            below=f"{below:.2f}", deductible=f"{tier.deductible:.2f}", cumulative_self_pay=f"{after:.2f}"))
    above = max(ZERO, after - tier.deductible) - max(ZERO, before - tier.deductible)
    uncapped = round_yuan(above * tier.ratio)
    if above > 0 and tier.ratio < 1:
        reasons.append(REASONS.reason(
            RATIO, f"fund pays {_pct(tier.ratio)} of the {above:.2f} above the deductible "
                   f"(patient share {above - uncapped:.2f})",
            ratio=str(tier.ratio), above=f"{above:.2f}", patient_share=f"{above - uncapped:.2f}"))
    if tier.cap is not None and max(ZERO, after - tier.deductible) * tier.ratio > tier.cap and above > 0:
        reasons.append(REASONS.reason(
            YEAR_CAP, f"the year's benefit is capped at {tier.cap:.2f} (最高支付限额); paid this year "
                      f"{paid_before + payable:.2f}",
            cap=f"{tier.cap:.2f}", paid_this_year=f"{paid_before + payable:.2f}"))
    benefit_before = tier.benefit(before)
    if paid_before != benefit_before and above > 0:
        reasons.append(REASONS.reason(
            TIER_CHANGE, f"{paid_before:.2f} was already paid this year (under another tier or version); the "
                         f"benefit due under this one is {benefit_after:.2f}, so this claim pays {payable:.2f}",
            paid_before=f"{paid_before:.2f}", benefit_after=f"{benefit_after:.2f}", payable=f"{payable:.2f}"))
    if payable < claim.self_pay and not reasons:
        reasons.append(REASONS.reason(
            ALREADY_PAID, f"the cumulative benefit {benefit_after:.2f} was already paid",
            benefit_after=f"{benefit_after:.2f}"))
    return reasons


def adjudicate(policy: CriticalPolicy, assistance: bool, claims: Sequence[CriticalClaim],
               account: CriticalAccount) -> tuple[list[CriticalResult], CriticalAccount]:
    """Pay `claims` (taken in date order, ties in the given order) on `account` under one policy version and one
    assistance status. Returns the results in input order and the new account.

    Refused (InvalidInput, field `claims[i].<name>`): a claim of another year than the account's, a care kind
    that does not accumulate, a negative or over-precise amount, a claim id twice or already applied."""
    seen = set(account.applied)
    for i, c in enumerate(claims):
        if c.date.year != account.year:
            raise InvalidInput(f"claim {c.id} is dated {c.date.isoformat()}, outside the account's benefit year "
                               f"{account.year}: each calendar year has its own account", f"claims[{i}].date")
        parse_care(c.care, f"claims[{i}].care")
        if not isinstance(c.self_pay, Decimal) or not c.self_pay.is_finite() or c.self_pay < 0 \
                or c.self_pay.as_tuple().exponent < -2 or c.self_pay > MAX_AMOUNT:  # type: ignore[operator]
            raise InvalidInput(f"claim {c.id}: self_pay must be a non-negative amount with at most two decimals",
                               f"claims[{i}].self_pay")
        if c.id in seen:
            raise InvalidInput(f"claim id {c.id!r} is given twice or was already applied", f"claims[{i}].id")
        seen.add(c.id)
    tier_name = "assistance" if assistance else "ordinary"
    tier = policy.tier(assistance)
    order = sorted(range(len(claims)), key=lambda i: claims[i].date)
    results: list[CriticalResult | None] = [None] * len(claims)
    for i in order:
        c = claims[i]
        before, paid = account.cumulative_self_pay, account.cumulative_paid
        if not policy.covers(c.date):
            outside = REASONS.reason(OUTSIDE_POLICY_YEAR, f"policy {policy.version} is not in force on "
                                                          f"{c.date.isoformat()}",
                                     policy_version=policy.version, date=c.date.isoformat())
            results[i] = CriticalResult(
                c.id, ZERO, (str(outside),), c.self_pay, before, before, paid, paid, tier_name,
                tier.deductible, tier.ratio, tier.cap, policy.version, accumulated=False, reason_codes=(outside,))
            account = replace(account, applied=(*account.applied, c.id))
            continue
        after = before + c.self_pay
        benefit_after = tier.benefit(after)
        payable = max(ZERO, benefit_after - paid)
        # explained when not paid in full, or when an earlier tier makes it differ from the increase of benefit
        explain = payable < c.self_pay or paid != tier.benefit(before)
        reasons = _reasons(c, tier, before, after, paid, benefit_after, payable) if explain else []
        results[i] = CriticalResult(c.id, payable, tuple(str(r) for r in reasons), c.self_pay, before, after, paid,
                                    benefit_after, tier_name, tier.deductible, tier.ratio, tier.cap, policy.version,
                                    reason_codes=tuple(reasons))
        account = CriticalAccount(account.year, after, paid + payable, (*account.applied, c.id))
    return [r for r in results if r is not None], account
