"""What the simulated platform knows: persons, sessions, filings, uploaded files, settlement totals, faults.

Persons are generated: any valid resident ID number is an insured resident of the division it was issued in,
unless configured otherwise (suspended, unknown, with identities such as medical-assistance recipient).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from provincial import ids
from provincial.envelope import now_beijing
from provincial.models import RESIDENT_BASIC, DetailRow, totals

PersonStatus = Literal["insured", "suspended", "unknown"]
FaultMode = Literal["http_503", "delay"]

RESIDENT_PERSON_TYPE = "1501"  # psn_type the simulator gives residents (城乡居民); provinces use their own codes
DEFAULT_ASSISTANCE_TYPE = "2302"  # 低保对象, one of models.ASSISTANCE_IDENTITY_TYPES
_REPLAY_LIMIT = 10_000  # responses kept by msgid so a retried request is answered once


def person_no(cert_no: str, division: str) -> str:
    """psn_no: a 26-character number, the same for the same person every time (province prefix + hash)."""
    digest = int(hashlib.sha256(cert_no.encode("ascii")).hexdigest(), 16) % 10**16
    return f"{division[:4]}000000{digest:016d}"


@dataclass
class Identity:
    """An idetinfo line (人员身份类别)."""

    psn_idet_type: str
    psn_type_lv: str = ""
    begntime: datetime | None = None
    endtime: datetime | None = None
    memo: str = ""


@dataclass
class PersonOverride:
    """A configured person; anything not configured falls back to the generator."""

    cert_no: str
    status: PersonStatus = "insured"
    name: str | None = None
    insutype: str = RESIDENT_BASIC
    division: str | None = None
    suspended_on: date | None = None
    identities: list[Identity] = field(default_factory=list)


@dataclass
class Person:
    psn_no: str
    cert_no: str
    name: str
    division: str
    insutype: str
    status: Literal["insured", "suspended"]
    suspended_on: date | None
    identities: list[Identity]


@dataclass
class Session:
    sign_no: str
    fixmedins_code: str
    opter: str
    expires_at: datetime


@dataclass
class FilingRecord:
    serial: str
    psn_no: str
    fixmedins_code: str
    data: dict[str, str]
    filed_at: datetime
    revoked_at: datetime | None = None
    revoke_memo: str = ""

    def active_on(self, day: date) -> bool:
        end = self.data.get("enddate") or ""
        return self.revoked_at is None and (not end or date.fromisoformat(end) >= day)


@dataclass
class SettlementRecord:
    """The platform's side of an institution's period (中心端结算数据): totals and, optionally, the rows."""

    fixmedins_code: str
    begin: date
    end: date
    clr_type: str | None
    medical_fee_total: Decimal
    fund_paid_total: Decimal
    count: int
    details: list[DetailRow] | None
    insutype: str | None = None  # None: the record answers a 3201 of any insurance type


@dataclass
class UploadedFile:
    file_qury_no: str
    fixmedins_code: str
    filename: str
    content: bytes


@dataclass
class Fault:
    mode: FaultMode
    remaining: int
    delay_seconds: float = 5.0
    infno: str | None = None


@dataclass(frozen=True)
class CallRecord:
    """One request as the platform saw it; `outcome` is ok, error, replayed, http_503 or delay."""

    infno: str
    msgid: str
    outcome: str
    infcode: int | None = None


class SimulatorState:
    """All the simulator's memory; thread-safe so an embedded host can configure it while it serves."""

    def __init__(self, *, division: str = "610000", session_ttl: timedelta = timedelta(hours=24),
                 clock: Callable[[], datetime] = now_beijing) -> None:
        self.division = division  # the platform's own division: first 6 of inf_refmsgid
        self.session_ttl = session_ttl
        self.clock = clock
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.overrides: dict[str, PersonOverride] = {}
            self.persons_by_no: dict[str, Person] = {}
            self.sessions: dict[str, Session] = {}
            self.filings: dict[str, FilingRecord] = {}
            self.files: dict[str, UploadedFile] = {}
            self.settlements: dict[tuple[str, date, date, str | None, str | None], SettlementRecord] = {}
            self.faults: list[Fault] = []
            self.calls: list[CallRecord] = []
            self.replies: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
            self._counter = itertools.count(1)

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def next_number(self) -> int:
        with self._lock:
            return next(self._counter)

    # --- persons --------------------------------------------------------------------------------------------

    def add_person(self, cert_no: str, *, status: PersonStatus = "insured", name: str | None = None,
                   insutype: str = RESIDENT_BASIC, division: str | None = None, suspended_on: date | None = None,
                   identities: Iterable[Identity] = ()) -> PersonOverride:
        """Configure one person; a name given here must match the name a 1101 asks with."""
        cert_no = ids.normalize(cert_no)
        if not ids.valid_resident_id(cert_no):
            raise ValueError(f"not a valid resident ID number (GB 11643 check character or birth date): {cert_no}")
        if division is not None and (len(division) != 6 or not division.isdigit()):
            raise ValueError(f"division must be 6 digits: {division!r}")
        override = PersonOverride(cert_no=cert_no, status=status, name=name, insutype=insutype, division=division,
                                  suspended_on=suspended_on, identities=list(identities))
        with self._lock:
            self.overrides[cert_no] = override
            # A person already looked up takes the new facts at once (2503 and 5301 look up by psn_no).
            stale = [no for no, p in self.persons_by_no.items() if p.cert_no == cert_no]
            for no in stale:
                del self.persons_by_no[no]
            if stale:
                self.person(cert_no)
        return override

    def add_assistance_recipient(self, cert_no: str, identity_type: str = DEFAULT_ASSISTANCE_TYPE, *,
                                 name: str | None = None, begins: datetime | None = None,
                                 ends: datetime | None = None, level: str = "") -> PersonOverride:
        """An insured resident who is also a medical-assistance recipient (医疗救助对象)."""
        begins = begins or datetime(self.clock().year, 1, 1)
        return self.add_person(cert_no, name=name,
                               identities=[Identity(identity_type, level, begins, ends, "医疗救助对象")])

    def suspend(self, cert_no: str, *, on: date | None = None) -> PersonOverride:
        return self.add_person(cert_no, status="suspended", suspended_on=on)

    def forget(self, cert_no: str) -> PersonOverride:
        """The platform has no such person (人员信息不存在)."""
        return self.add_person(cert_no, status="unknown")

    def person(self, cert_no: str) -> Person | None:
        """The person with this (valid) ID number, generated unless configured; None when unknown."""
        cert_no = ids.normalize(cert_no)
        with self._lock:
            override = self.overrides.get(cert_no) or PersonOverride(cert_no=cert_no)
            if override.status == "unknown":
                return None
            division = override.division or ids.division(cert_no)
            suspended_on = override.suspended_on
            if override.status == "suspended" and suspended_on is None:
                suspended_on = date(self.clock().year, 1, 1)
            found = Person(
                psn_no=person_no(cert_no, division), cert_no=cert_no, name=override.name or "", division=division,
                insutype=override.insutype, status=override.status, suspended_on=suspended_on,
                identities=list(override.identities),
            )
            self.persons_by_no[found.psn_no] = found
            return found

    def configured_name(self, cert_no: str) -> str | None:
        override = self.overrides.get(ids.normalize(cert_no))
        return override.name if override else None

    def person_by_no(self, psn_no: str) -> Person | None:
        """Only persons the platform has already answered a 1101 for (or configured and looked up)."""
        with self._lock:
            return self.persons_by_no.get(psn_no)

    # --- settlements ----------------------------------------------------------------------------------------

    def record_settlements(self, fixmedins_code: str, begin: date, end: date, *, clr_type: str | None = None,
                           medical_fee_total: Decimal | None = None, fund_paid_total: Decimal | None = None,
                           count: int | None = None, details: Sequence[DetailRow] | None = None,
                           insutype: str | None = None) -> SettlementRecord:
        """What the platform holds for an institution's period (of one insurance type, or of any); totals default to
        the sum of `details`."""
        if end < begin:
            raise ValueError("end is before begin")
        if details is None and (medical_fee_total is None or fund_paid_total is None or count is None):
            raise ValueError("give the totals (medfee_sumamt, fund_pay_sumamt, fixmedins_setl_cnt) or the details")
        if details is not None:
            fee, fund, n = totals(details)
            medical_fee_total = fee if medical_fee_total is None else medical_fee_total
            fund_paid_total = fund if fund_paid_total is None else fund_paid_total
            count = n if count is None else count
        assert medical_fee_total is not None and fund_paid_total is not None and count is not None
        record = SettlementRecord(fixmedins_code, begin, end, clr_type, medical_fee_total, fund_paid_total, count,
                                  list(details) if details is not None else None, insutype)
        with self._lock:
            self.settlements[(fixmedins_code, begin, end, clr_type, insutype)] = record
        return record

    def settlement_for(self, fixmedins_code: str, begin: date, end: date, clr_type: str,
                       insutype: str | None = None) -> SettlementRecord | None:
        """A record for this clearing type first, then one for every clearing type; within each, one for this
        insurance type first, then one for every insurance type."""
        with self._lock:
            for key in ((clr_type, insutype), (clr_type, None), (None, insutype), (None, None)):
                record = self.settlements.get((fixmedins_code, begin, end, *key))
                if record is not None:
                    return record
            return None

    # --- sessions and faults --------------------------------------------------------------------------------

    def expire_sessions(self) -> int:
        """Forget every sign_no, as the platform does overnight; returns how many were live."""
        with self._lock:
            count = len(self.sessions)
            self.sessions.clear()
            return count

    def inject_fault(self, mode: FaultMode, count: int = 1, *, delay_seconds: float = 5.0,
                     infno: str | None = None) -> Fault:
        """The next `count` calls (of `infno`, or any) answer HTTP 503, or are answered only after a delay."""
        if count < 1:
            raise ValueError("count must be >= 1")
        fault = Fault(mode=mode, remaining=count, delay_seconds=delay_seconds, infno=infno)
        with self._lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, infno: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.infno in (None, infno):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def record_call(self, call: CallRecord) -> None:
        with self._lock:
            self.calls.append(call)

    def calls_of(self, infno: str) -> list[CallRecord]:
        with self._lock:
            return [c for c in self.calls if c.infno == infno]

    def remember_reply(self, msgid: str, fingerprint: str, reply: dict[str, Any]) -> None:
        with self._lock:
            self.replies[msgid] = (fingerprint, reply)
            while len(self.replies) > _REPLAY_LIMIT:
                self.replies.popitem(last=False)

    def reply_for(self, msgid: str) -> tuple[str, dict[str, Any]] | None:
        with self._lock:
            return self.replies.get(msgid)
