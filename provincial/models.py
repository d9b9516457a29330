"""Typed results of the transactions, with readable names; each `from_wire` names the platform's fields.

Amounts are Decimal inside and `"0.00"` strings on the wire; dates are `date` inside and `yyyy-MM-dd` outside.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chassis.money import fmt, parse_yuan
from provincial.envelope import BEIJING, now_beijing

# Identity types (人员身份类别, psn_idet_type) of medical-assistance recipients (医疗救助对象): 特困人员,
# 低保对象, 低保边缘家庭成员, 返贫致贫人口. The simulator issues these codes; confirm against the province's
# code table (码表) before production and extend here, not at the call sites.
ASSISTANCE_IDENTITY_TYPES: frozenset[str] = frozenset({"2301", "2302", "2303", "2304"})

INSURED = "1"  # psn_insu_stas 1 参保缴费 (insured and paying); 2 暂停参保, 4 终止参保
RESIDENT_BASIC = "390"  # insutype 城乡居民基本医疗保险
EMPLOYEE_BASIC = "310"  # insutype 职工基本医疗保险


# --- wire helpers -------------------------------------------------------------------------------------------

def wire_amount(amount: Decimal | int | str, name: str = "amount") -> str:
    """Decimal in, `"0.00"` out; floats and sub-fen amounts are refused (chassis.money)."""
    return fmt(parse_yuan(amount, name))


def wire_date(day: date | None) -> str:
    return day.isoformat() if day else ""


def text(value: Any) -> str:
    return "" if value is None else str(value)


def parse_amount(value: Any) -> Decimal:
    """An amount from the platform: a string or a JSON number (read as Decimal, never float); empty is zero."""
    if value is None or value == "":
        return Decimal("0.00")
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def parse_date(value: Any) -> date | None:
    """`yyyy-MM-dd`, also the date part of `yyyy-MM-dd HH:mm:ss` or `yyyyMMdd`; empty is None."""
    raw = text(value).strip()
    if not raw:
        return None
    if len(raw) == 8 and raw.isdigit():
        return datetime.strptime(raw, "%Y%m%d").date()
    return date.fromisoformat(raw[:10])


def parse_datetime(value: Any) -> datetime | None:
    raw = text(value).strip()
    if not raw:
        return None
    if len(raw) == 10:
        return datetime.fromisoformat(raw)
    return datetime.strptime(raw[:19], "%Y-%m-%d %H:%M:%S")


# --- 9001 sign-in -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignIn:
    """签到: the session number every later transaction carries."""

    sign_no: str
    signed_in_at: datetime | None  # sign_time

    @classmethod
    def from_wire(cls, output: Mapping[str, Any]) -> SignIn:
        node = output.get("signinoutb") or {}
        sign_no = text(node.get("sign_no"))
        if not sign_no:
            raise ValueError("9001 output has no signinoutb.sign_no")
        return cls(sign_no=sign_no, signed_in_at=parse_datetime(node.get("sign_time")))


# --- 1101 person info ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Insurance:
    """One insurance line (参保信息, insuinfo)."""

    insurance_type: str  # insutype: 310 employee basic, 390 resident basic
    person_type: str  # psn_type
    status: str  # psn_insu_stas: 1 insured, 2 suspended, 4 terminated
    balance: Decimal  # balc: personal account balance
    insured_since: date | None  # psn_insu_date
    suspended_since: date | None  # paus_insu_date
    civil_servant: bool  # cvlserv_flag == "1"
    division: str  # insuplc_admdvs: where insured
    employer: str  # emp_name

    @property
    def active(self) -> bool:
        return self.status == INSURED

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> Insurance:
        return cls(
            insurance_type=text(row.get("insutype")),
            person_type=text(row.get("psn_type")),
            status=text(row.get("psn_insu_stas")),
            balance=parse_amount(row.get("balc")),
            insured_since=parse_date(row.get("psn_insu_date")),
            suspended_since=parse_date(row.get("paus_insu_date")),
            civil_servant=text(row.get("cvlserv_flag")) == "1",
            division=text(row.get("insuplc_admdvs")),
            employer=text(row.get("emp_name")),
        )


@dataclass(frozen=True)
class SpecialIdentity:
    """One identity (身份信息, idetinfo), such as a medical-assistance recipient (医疗救助对象)."""

    identity_type: str  # psn_idet_type
    level: str  # psn_type_lv
    begins: datetime | None  # begntime
    ends: datetime | None  # endtime (None: open-ended)
    memo: str

    def valid_on(self, moment: datetime) -> bool:
        # The platform's times are Beijing wall-clock without an offset.
        naive = moment.astimezone(BEIJING).replace(tzinfo=None) if moment.tzinfo else moment
        return (self.begins is None or self.begins <= naive) and (self.ends is None or naive <= self.ends)

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> SpecialIdentity:
        return cls(
            identity_type=text(row.get("psn_idet_type")),
            level=text(row.get("psn_type_lv")),
            begins=parse_datetime(row.get("begntime")),
            ends=parse_datetime(row.get("endtime")),
            memo=text(row.get("memo")),
        )


@dataclass(frozen=True)
class PersonInfo:
    """人员信息 (1101): who the person is (baseinfo), how insured (insuinfo), special identities (idetinfo)."""

    person_no: str  # psn_no: the platform's person number, the key of every later transaction
    cert_type: str  # psn_cert_type: 01 resident ID card
    cert_no: str  # certno
    name: str  # psn_name
    gender: str  # gend: 1 male, 2 female
    nationality: str  # naty (民族)
    birth_date: date | None  # brdy
    age: int | None
    insurances: tuple[Insurance, ...] = ()
    identities: tuple[SpecialIdentity, ...] = ()
    checked_at: datetime | None = None  # when we asked: identities are judged valid at that moment

    @property
    def insured(self) -> bool:
        """Insured and paying (psn_insu_stas == "1") under at least one insurance type."""
        return any(line.active for line in self.insurances)

    @property
    def insured_division(self) -> str:
        """insuplc_admdvs of the active insurance (else of the first): goes into later envelopes."""
        for line in self.insurances:
            if line.active:
                return line.division
        return self.insurances[0].division if self.insurances else ""

    def insurance(self, insurance_type: str) -> Insurance | None:
        return next((line for line in self.insurances if line.insurance_type == insurance_type), None)

    # The platform's own words, for callers that carry them on into later envelopes.
    @property
    def psn_no(self) -> str:
        return self.person_no

    @property
    def insuplc_admdvs(self) -> str:
        return self.insured_division

    @property
    def insutype(self) -> str:
        """insutype of the active insurance (else of the first); "" when the platform listed none."""
        line = next((line for line in self.insurances if line.active), None) or next(iter(self.insurances), None)
        return line.insurance_type if line else ""

    @property
    def assistance_recipient(self) -> bool:
        """A medical-assistance recipient (医疗救助对象) by an identity valid when we asked."""
        moment = self.checked_at or now_beijing()
        return any(
            ident.identity_type in ASSISTANCE_IDENTITY_TYPES and ident.valid_on(moment) for ident in self.identities
        )

    @classmethod
    def from_wire(cls, output: Mapping[str, Any], checked_at: datetime | None = None) -> PersonInfo:
        base = output.get("baseinfo") or {}
        if not text(base.get("psn_no")):
            raise ValueError("1101 output has no baseinfo.psn_no")
        age = text(base.get("age"))
        return cls(
            person_no=text(base.get("psn_no")),
            cert_type=text(base.get("psn_cert_type")),
            cert_no=text(base.get("certno")),
            name=text(base.get("psn_name")),
            gender=text(base.get("gend")),
            nationality=text(base.get("naty")),
            birth_date=parse_date(base.get("brdy")),
            age=int(Decimal(age)) if age else None,
            insurances=tuple(Insurance.from_wire(row) for row in output.get("insuinfo") or ()),
            identities=tuple(SpecialIdentity.from_wire(row) for row in output.get("idetinfo") or ()),
            checked_at=checked_at,
        )


# --- 2503 / 5301 filings ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FilingResult:
    """备案 (2503) accepted: the serial number (trt_dcla_detl_sn) that revokes it later."""

    serial: str  # trt_dcla_detl_sn
    person_no: str
    disease_code: str


@dataclass(frozen=True)
class Filing:
    """An active chronic/special disease filing (慢特病备案) as 5301 lists it (feedetail)."""

    disease_code: str  # opsp_dise_code
    disease_name: str  # opsp_dise_name
    begins: date | None  # begndate
    ends: date | None  # enddate (None: open-ended)
    serial: str = ""  # trt_dcla_detl_sn, when the platform returns it

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> Filing:
        return cls(
            disease_code=text(row.get("opsp_dise_code")),
            disease_name=text(row.get("opsp_dise_name")),
            begins=parse_date(row.get("begndate")),
            ends=parse_date(row.get("enddate")),
            serial=text(row.get("trt_dcla_detl_sn")),
        )


# --- 3201 / 3202 reconciliation -----------------------------------------------------------------------------

BALANCED = "0"  # stmt_rslt 0 平 (balanced), 1 不平


@dataclass(frozen=True)
class TotalsResult:
    """对总账 (3201): balanced or not, and the platform's words for the difference."""

    balanced: bool
    result: str  # stmt_rslt
    description: str  # stmt_rslt_dscr
    settlement_agency: str  # setl_optins

    @classmethod
    def from_wire(cls, output: Mapping[str, Any]) -> TotalsResult:
        info = output.get("stmtinfo") or {}
        result = text(info.get("stmt_rslt"))
        if not result:
            raise ValueError("3201 output has no stmtinfo.stmt_rslt")
        return cls(balanced=result == BALANCED, result=result, description=text(info.get("stmt_rslt_dscr")),
                   settlement_agency=text(info.get("setl_optins")))


# Per-row stmt_rslt in a 3202 answer.
ONLY_ON_PLATFORM = "1"  # 中心有、机构无
ONLY_AT_INSTITUTION = "2"  # 机构有、中心无
AMOUNTS_DIFFER = "3"  # 金额不符


@dataclass(frozen=True)
class DetailRow:
    """One settlement (结算明细) of the detail file 3202 reconciles, as uploaded with 9101."""

    settlement_id: str  # setl_id
    visit_id: str  # mdtrt_id
    person_no: str  # psn_no
    medical_fee_total: Decimal  # medfee_sumamt
    fund_paid: Decimal  # fund_pay_sumamt
    account_paid: Decimal = Decimal("0.00")  # acct_pay
    refund: bool = False  # refd_setl_flag == "1"

    def to_wire(self) -> dict[str, str]:
        return {
            "setl_id": self.settlement_id,
            "mdtrt_id": self.visit_id,
            "psn_no": self.person_no,
            "medfee_sumamt": wire_amount(self.medical_fee_total, "medfee_sumamt"),
            "fund_pay_sumamt": wire_amount(self.fund_paid, "fund_pay_sumamt"),
            "acct_pay": wire_amount(self.account_paid, "acct_pay"),
            "refd_setl_flag": "1" if self.refund else "0",
        }

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> DetailRow:
        return cls(
            settlement_id=text(row.get("setl_id")),
            visit_id=text(row.get("mdtrt_id")),
            person_no=text(row.get("psn_no")),
            medical_fee_total=parse_yuan(row.get("medfee_sumamt", "0"), "medfee_sumamt"),
            fund_paid=parse_yuan(row.get("fund_pay_sumamt", "0"), "fund_pay_sumamt"),
            account_paid=parse_yuan(row.get("acct_pay") or "0", "acct_pay"),
            refund=text(row.get("refd_setl_flag")) == "1",
        )


@dataclass(frozen=True)
class DetailMismatch:
    """A row that does not reconcile (fileinfo); amounts are the platform's when it has the row."""

    settlement_id: str  # setl_id
    visit_id: str  # mdtrt_id
    person_no: str  # psn_no
    medical_fee_total: Decimal  # medfee_sumamt
    fund_paid: Decimal  # fund_pay_sumamt
    result: str  # stmt_rslt: 1 only on the platform, 2 only at the institution, 3 amounts differ
    memo: str

    @classmethod
    def from_wire(cls, row: Mapping[str, Any]) -> DetailMismatch:
        return cls(
            settlement_id=text(row.get("setl_id")),
            visit_id=text(row.get("mdtrt_id")),
            person_no=text(row.get("psn_no")),
            medical_fee_total=parse_amount(row.get("medfee_sumamt")),
            fund_paid=parse_amount(row.get("fund_pay_sumamt")),
            result=text(row.get("stmt_rslt")),
            memo=text(row.get("memo")),
        )


@dataclass(frozen=True)
class DetailsResult:
    """对明细账 (3202): balanced or not, and the rows that differ."""

    balanced: bool
    result: str  # stmt_rslt
    description: str  # stmt_rslt_dscr
    mismatches: tuple[DetailMismatch, ...] = field(default_factory=tuple)

    @classmethod
    def from_wire(cls, output: Mapping[str, Any]) -> DetailsResult:
        info = output.get("stmtinfo") or {}
        result = text(info.get("stmt_rslt"))
        if not result:
            raise ValueError("3202 output has no stmtinfo.stmt_rslt")
        rows = output.get("fileinfo") or ()
        return cls(balanced=result == BALANCED, result=result, description=text(info.get("stmt_rslt_dscr")),
                   mismatches=tuple(DetailMismatch.from_wire(row) for row in rows))


# --- the detail file (明细文件) -----------------------------------------------------------------------------

DETAIL_FIELDS = ("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay", "refd_setl_flag")


def encode_detail_file(rows: Iterable[DetailRow], name: str = "detail.txt") -> bytes:
    """A zip holding one tab-separated text file, one settlement a line, fields in `DETAIL_FIELDS` order."""
    lines = ["\t".join(row.to_wire()[key] for key in DETAIL_FIELDS) for row in rows]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, "\n".join(lines) + ("\n" if lines else ""))
    return buffer.getvalue()


def decode_detail_file(content: bytes) -> list[DetailRow]:
    """Rows of a detail file; raises ValueError naming the first bad line."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if len(names) != 1:
                raise ValueError(f"detail file must hold exactly one file, holds {len(names)}")
            body = archive.read(names[0]).decode("utf-8")
    except zipfile.BadZipFile as exc:
        raise ValueError("detail file is not a zip archive") from exc
    rows: list[DetailRow] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        values = line.split("\t")
        if len(values) != len(DETAIL_FIELDS):
            raise ValueError(f"detail file line {number}: {len(values)} fields, expected {len(DETAIL_FIELDS)}")
        try:
            rows.append(DetailRow.from_wire(dict(zip(DETAIL_FIELDS, values, strict=True))))
        except Exception as exc:  # InvalidInput from parse_yuan: say which line
            raise ValueError(f"detail file line {number}: {exc}") from exc
    return rows


def totals(rows: Sequence[DetailRow]) -> tuple[Decimal, Decimal, int]:
    """(medical fee total, fund paid total, count) of some rows."""
    return (sum((r.medical_fee_total for r in rows), Decimal("0.00")),
            sum((r.fund_paid for r in rows), Decimal("0.00")), len(rows))
