"""Critical illness statements and payables (大病保险月度结算与零星报销支付): the pure rules. No I/O.

- **Insurance type (险种类型, `insutype`)**: 310 employees' basic insurance (职工基本医疗保险), 390 urban-rural
  residents' (城乡居民基本医疗保险). A claim, an import record or a manual reimbursement may name it; when absent
  it is **390** (choice: the larger insured group in Quzhou, and the provincial client's default) and the claim
  records that the type was defaulted (`insutype_source: default`). Any other value is refused.
- **Clearing type (清算类别, `clr_type`)** of a claim for the provincial reconciliation (3201), from the kind of
  the institution and the care: a designated retail pharmacy (定点零售药店, institution code starting with `P`)
  clears as **41** whatever it dispensed; a hospital (code starting with `H`) clears an inpatient stay as **21**
  and outpatient care (chronic or special-disease outpatient, special drugs dispensed in the hospital) as **11**;
  an institution of another kind clears as **99** (other).
- **Statement month (结算月份)**: the month of the claim's date. One statement per institution and month takes the
  institution's settled claims the fund pays (payable > 0) of that month, except manual reimbursements (零星报销),
  which are paid to the person, one payable each. **Late claims**: a claim settled after its month's statement
  began closing goes to a supplementary statement (补充结算单) of the same institution and month — `<id>-2`, then
  `-3`… — never to a statement that is closing or closed, and never to another month (so a statement and its
  payment always belong to the claims' benefit year, which the year-end corridor counts). A month's statement
  closes only once the month is over (China time).
- **Reconciliation groups**: one 3201 per (insutype, clr_type) of the statement's claims; the statement is
  reconciled only when every group balances."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from chassis.errors import InvalidInput, JingbanError

EMPLOYEE_BASIC = "310"   # 职工基本医疗保险
RESIDENT_BASIC = "390"   # 城乡居民基本医疗保险
INSUTYPES = (EMPLOYEE_BASIC, RESIDENT_BASIC)
DEFAULT_INSUTYPE = RESIDENT_BASIC

CLR_OUTPATIENT = "11"    # 门诊
CLR_INPATIENT = "21"     # 住院
CLR_PHARMACY = "41"      # 定点药店
CLR_OTHER = "99"         # 其他

# Reason codes (data, not prose) carried by statements and their lines.
LATE_CLAIMS = "late_claims"          # a supplementary statement: claims settled after the month's statement closed
DEFAULTED_INSUTYPE = "insutype_defaulted"

STATUSES = ("open", "closing", "closed", "reconciled", "paid")
PREFIX = "CI"


class NotBalanced(JingbanError):
    """The provincial platform's totals differ from the statement's in at least one group (对账不平): 422
    `not_balanced`, the result stored."""

    http_status = 422
    code = "not_balanced"


def parse_insutype(value: Any, field: str) -> str | None:
    """The insurance type as given (None when absent); refuses anything but 310 and 390."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value not in INSUTYPES:
        raise InvalidInput(f"{field} must be {EMPLOYEE_BASIC} (职工基本医疗保险) or {RESIDENT_BASIC} "
                           f"(城乡居民基本医疗保险), got {value!r}", field)
    return str(value)


def insutype_or_default(given: str | None) -> tuple[str, str]:
    """(insutype, source): the given type, or the documented default."""
    return (given, "given") if given else (DEFAULT_INSUTYPE, "default")


def institution_kind(code: str) -> str:
    """pharmacy (P…), hospital (H…) or other, from the designated institution's code (定点医药机构编码)."""
    head = (code or "")[:1].upper()
    return {"P": "pharmacy", "H": "hospital"}.get(head, "other")


def clr_type_of(care: str, institution_code: str) -> str:
    kind = institution_kind(institution_code)
    if kind == "pharmacy":
        return CLR_PHARMACY
    if kind == "hospital":
        return CLR_INPATIENT if care == "inpatient" else CLR_OUTPATIENT
    return CLR_OTHER


def statement_month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def month_over(month: str, today: date) -> bool:
    """Whether the month has ended on `today` (a month's statement closes only after it)."""
    return today > month_bounds(month)[1]


def statement_id(institution: str, month: str, seq: int = 1) -> str:
    """`CI-<institution>-<YYYY-MM>`; a supplementary statement of the same month adds `-<seq>` (2, 3 …)."""
    base = f"{PREFIX}-{institution}-{month}"
    return base if seq == 1 else f"{base}-{seq}"


def payable_id(claim_key: str) -> str:
    """A person's payable for a manual reimbursement: one per claim (named by its key, domain/claims.py)."""
    return f"PP-{claim_key}"


@dataclass(frozen=True)
class Line:
    """One claim on a statement (结算明细): what the fund pays for it and how it clears."""

    claim_id: str
    person_id: str
    date: str
    insutype: str
    clr_type: str
    claimed_fen: int       # the stay's total medical cost (医疗费总额)
    payable_fen: int       # what critical illness insurance pays (大病保险基金支付)
    policy_version: str
    late: bool = False

    def doc(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "person_id": self.person_id, "date": self.date,
                "insutype": self.insutype, "clr_type": self.clr_type, "claimed_fen": self.claimed_fen,
                "payable_fen": self.payable_fen, "policy_version": self.policy_version, "late": self.late}

    @staticmethod
    def of(doc: Mapping[str, Any]) -> Line:
        return Line(doc["claim_id"], doc["person_id"], doc["date"], doc["insutype"], doc["clr_type"],
                    int(doc["claimed_fen"]), int(doc["payable_fen"]), doc.get("policy_version", ""),
                    bool(doc.get("late", False)))


@dataclass(frozen=True)
class Group:
    """The totals of one reconciliation group (one 3201 call)."""

    insutype: str
    clr_type: str
    claims: int
    claimed_fen: int
    payable_fen: int


def unique_lines(lines: Iterable[Line]) -> list[Line]:
    """Each claim once (a retried assignment may have pushed a line twice), first occurrence kept."""
    seen: set[str] = set()
    out = []
    for line in lines:
        if line.claim_id not in seen:
            seen.add(line.claim_id)
            out.append(line)
    return out


def groups(lines: Iterable[Line]) -> list[Group]:
    """Totals per (insutype, clr_type), in a stable order."""
    acc: dict[tuple[str, str], list[int]] = {}
    for line in unique_lines(lines):
        g = acc.setdefault((line.insutype, line.clr_type), [0, 0, 0])
        g[0] += 1
        g[1] += line.claimed_fen
        g[2] += line.payable_fen
    return [Group(i, c, n, claimed, payable) for (i, c), (n, claimed, payable) in sorted(acc.items())]


def totals(lines: Iterable[Line]) -> dict[str, Any]:
    unique = unique_lines(lines)
    return {"claims": len(unique), "persons": len({line.person_id for line in unique}),
            "claimed_fen": sum(line.claimed_fen for line in unique),
            "payable_fen": sum(line.payable_fen for line in unique),
            "late_claims": sum(1 for line in unique if line.late),
            "policy_versions": sorted({line.policy_version for line in unique if line.policy_version})}


# ---- a person's bank account (零星报销 is paid to the person) --------------------------------------------------

ACCOUNT_NO = re.compile(r"^\d{8,30}$")


def parse_bank_account(value: Any, field: str = "bank_account") -> dict[str, str] | None:
    """`{"bank_name", "account_name", "account_no"}`; None when absent. The account number is 8–30 digits."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{field} must be an object with bank_name, account_name and account_no", field)
    out = {}
    for key, limit in (("bank_name", 60), ("account_name", 50)):
        text = value.get(key)
        if not isinstance(text, str) or not text.strip() or len(text.strip()) > limit:
            raise InvalidInput(f"{field}.{key} is required: a text of 1 to {limit} characters", f"{field}.{key}")
        out[key] = text.strip()
    number = value.get("account_no")
    if not isinstance(number, str) or not ACCOUNT_NO.match(number.replace(" ", "")):
        raise InvalidInput(f"{field}.account_no must be 8 to 30 digits", f"{field}.account_no")
    out["account_no"] = number.replace(" ", "")
    unknown = sorted(set(value) - {"bank_name", "account_name", "account_no"})
    if unknown:
        raise InvalidInput(f"{field} has unknown keys {unknown}", f"{field}.{unknown[0]}")
    return out


def mask_account(account: Mapping[str, str] | None) -> dict[str, str] | None:
    """What views and logs may show of a bank account: the bank, the holder's first character, the last 4 digits."""
    if not account:
        return None
    number, name = account.get("account_no", ""), account.get("account_name", "")
    return {"bank_name": account.get("bank_name", ""),
            "account_name": (name[:1] + "*" * max(len(name) - 1, 1)) if name else "",
            "account_no": "*" * max(len(number) - 4, 0) + number[-4:]}
