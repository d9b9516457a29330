"""`ProvincialClient`: typed async calls to the provincial platform (医保信息平台) over its one POST endpoint."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from provincial import envelope as env
from provincial.envelope import Codec, MessageSequence, Operator, PlainCodec, Response
from provincial.errors import ProvincialError, ProvincialProtocolError, ProvincialUnavailable
from provincial.models import (
    RESIDENT_BASIC,
    DetailRow,
    DetailsResult,
    Filing,
    FilingResult,
    PersonInfo,
    SignIn,
    TotalsResult,
    encode_detail_file,
    text,
    wire_amount,
    wire_date,
)

log = logging.getLogger("provincial.client")
T = TypeVar("T")

CLEARING_TYPES = frozenset({"11", "21", "41", "99"})  # clr_type: outpatient, inpatient, pharmacy, other


class _Transient(Exception):
    """A failure worth another attempt: no answer, a timeout, or HTTP 5xx. Never a business error."""


class ProvincialClient:
    """One institution's session with the provincial platform.

    `retries` is how many times a transport failure (connection error, timeout, HTTP 5xx) is retried after the
    first attempt, with exponential backoff and jitter; a retry re-sends the same msgid so the platform can
    answer it once. A business refusal (infcode != 0) raises `ProvincialError` at once, except an expired
    sign-in, which signs in again and repeats the call once.
    """

    def __init__(
        self,
        base_url: str,
        fixmedins_code: str,
        fixmedins_name: str,
        operator: str,
        *,
        division: str = "610700",
        transport: httpx.AsyncBaseTransport | None = None,
        codec: Codec = PlainCodec(),
        retries: int = 3,
        operator_name: str | None = None,
        operator_type: str = "1",
        timeout: float = 10.0,
        backoff: float = 0.5,
        mac: str = "",
        ip: str = "",
    ) -> None:
        if len(fixmedins_code) != env.INSTITUTION_CODE_LENGTH:
            raise ValueError(f"fixmedins_code must be {env.INSTITUTION_CODE_LENGTH} characters: {fixmedins_code!r}")
        if len(division) != 6 or not division.isdigit():
            raise ValueError(f"division must be 6 digits (行政区划): {division!r}")
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.base_url = base_url
        self.fixmedins_code = fixmedins_code
        self.fixmedins_name = fixmedins_name
        self.division = division
        self.operator = Operator(id=operator, name=operator_name or operator, type=operator_type)
        self._codec = codec
        self._retries = retries
        self._timeout = timeout
        self._backoff = backoff
        self._mac = mac
        self._ip = ip
        self._sequence: MessageSequence | None = None  # None: the process-wide sequence
        self._http = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout))
        self._sign_no: str | None = None
        self._sign_lock = asyncio.Lock()

    async def __aenter__(self) -> ProvincialClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def sign_no(self) -> str | None:
        return self._sign_no

    # --- transactions ---------------------------------------------------------------------------------------

    async def sign_in(self) -> SignIn:
        """签到 (9001): a new session; its sign_no is cached for every later call."""
        output = await self._exchange(env.SIGN_IN, {"opter_no": self.operator.id, "mac": self._mac, "ip": self._ip})
        result = self._typed(env.SIGN_IN, SignIn.from_wire, output)
        self._sign_no = result.sign_no
        return result

    async def person_info(self, cert_no: str, name: str, *, cert_type: str = "02", card_sn: str = "",
                          at: datetime | None = None) -> PersonInfo:
        """人员信息获取 (1101) by resident ID number (`cert_type` 02; 01 e-voucher, 03 social security card)."""
        moment = at or env.now_beijing()
        payload = {
            "mdtrt_cert_type": cert_type,
            "mdtrt_cert_no": cert_no,
            "card_sn": card_sn,
            "begntime": env.inf_time(moment),
            "psn_cert_type": "01",
            "certno": cert_no,
            "psn_name": name,
        }
        output = await self._call(env.PERSON_INFO, payload)
        return self._typed(env.PERSON_INFO, lambda o: PersonInfo.from_wire(o, checked_at=moment), output)

    async def file_qualification(
        self,
        person_no: str,
        disease_code: str,
        disease_name: str,
        begins: date,
        *,
        ends: date | None = None,
        insurance_type: str = RESIDENT_BASIC,
        tel: str = "",
        addr: str = "",
        insu_optins: str | None = None,
        hospital_code: str = "",
        hospital_name: str = "",
        appraised_on: date | None = None,
        doctor_code: str = "",
        doctor_name: str = "",
        insuplc_admdvs: str | None = None,
    ) -> FilingResult:
        """人员慢特病备案 (2503): file a qualification; returns the serial (trt_dcla_detl_sn) to revoke it by.

        `person_no` is psn_no from 1101; `begins`/`ends` the benefit period (begndate/enddate); `appraised_on`
        the hospital's appraisal date (hosp_ide_date); `insu_optins` defaults to the client's division.
        """
        if ends is not None and ends < begins:
            raise ValueError(f"ends {ends} is before begins {begins}")
        payload = {
            "psn_no": person_no,
            "insutype": insurance_type,
            "opsp_dise_code": disease_code,
            "opsp_dise_name": disease_name,
            "tel": tel,
            "addr": addr,
            "insu_optins": insu_optins or self.division,
            "ide_fixmedins_no": hospital_code,
            "ide_fixmedins_name": hospital_name,
            "hosp_ide_date": wire_date(appraised_on),
            "diag_dr_codg": doctor_code,
            "diag_dr_name": doctor_name,
            "begndate": wire_date(begins),
            "enddate": wire_date(ends),
        }
        output = await self._call(env.FILING, payload, insuplc_admdvs=insuplc_admdvs)

        def parse(o: dict[str, Any]) -> FilingResult:
            serial = text((o.get("result") or {}).get("trt_dcla_detl_sn"))
            if not serial:
                raise ValueError("2503 output has no result.trt_dcla_detl_sn")
            return FilingResult(serial=serial, person_no=person_no, disease_code=disease_code)

        return self._typed(env.FILING, parse, output)

    async def revoke_filing(self, person_no: str, serial: str, memo: str, *,
                            insuplc_admdvs: str | None = None) -> None:
        """人员慢特病备案撤销 (2504): revoke filing `serial` (trt_dcla_detl_sn) of psn_no `person_no`."""
        await self._call(env.FILING_REVOCATION, {"psn_no": person_no, "trt_dcla_detl_sn": serial, "memo": memo},
                         insuplc_admdvs=insuplc_admdvs)

    async def query_filings(self, person_no: str, *, insuplc_admdvs: str | None = None) -> list[Filing]:
        """人员慢特病备案查询 (5301): the active filings of psn_no `person_no`."""
        output = await self._call(env.FILING_QUERY, {"psn_no": person_no}, insuplc_admdvs=insuplc_admdvs)
        return self._typed(env.FILING_QUERY, lambda o: [Filing.from_wire(row) for row in o.get("feedetail") or ()],
                           output)

    async def reconcile_totals(
        self,
        *,
        clr_type: str,
        begin_date: date,
        end_date: date,
        medical_fee_total: Decimal,
        fund_paid_total: Decimal,
        settlement_count: int,
        account_paid_total: Decimal = Decimal("0.00"),
        insutype: str = RESIDENT_BASIC,
        setl_optins: str | None = None,
        include_refunds: bool = False,
    ) -> TotalsResult:
        """医药机构费用结算对总账 (3201): our totals for a period against the platform's."""
        self._check_period(clr_type, begin_date, end_date)
        payload = {
            "insutype": insutype,
            "clr_type": clr_type,
            "setl_optins": setl_optins or self.division,
            "stmt_begndate": wire_date(begin_date),
            "stmt_enddate": wire_date(end_date),
            "medfee_sumamt": wire_amount(medical_fee_total, "medical_fee_total"),
            "fund_pay_sumamt": wire_amount(fund_paid_total, "fund_paid_total"),
            "acct_pay": wire_amount(account_paid_total, "account_paid_total"),
            "fixmedins_setl_cnt": _count(settlement_count),
            "refd_setl_flag": "1" if include_refunds else "0",
        }
        output = await self._call(env.RECONCILE_TOTALS, payload)
        return self._typed(env.RECONCILE_TOTALS, TotalsResult.from_wire, output)

    async def upload_file(self, filename: str, content: bytes) -> str:
        """文件上传 (9101): returns the file_qury_no later transactions refer to."""
        payload = {"in": base64.b64encode(content).decode("ascii"), "filename": filename,
                   "fixmedins_code": self.fixmedins_code}
        output = await self._call(env.FILE_UPLOAD, payload)

        def parse(o: dict[str, Any]) -> str:
            number = text(o.get("file_qury_no"))
            if not number:
                raise ValueError("9101 output has no file_qury_no")
            return number

        return self._typed(env.FILE_UPLOAD, parse, output)

    async def reconcile_details(
        self,
        *,
        clr_type: str,
        begin_date: date,
        end_date: date,
        medical_fee_total: Decimal,
        fund_paid_total: Decimal,
        cash_paid_total: Decimal,
        settlement_count: int,
        rows: Sequence[DetailRow] | None = None,
        file_qury_no: str | None = None,
        setl_optins: str | None = None,
        include_refunds: bool = False,
    ) -> DetailsResult:
        """医药机构费用结算对明细账 (3202): our settlements one by one against the platform's.

        Give the `rows` (uploaded first with 9101) or the `file_qury_no` of a detail file already uploaded.
        """
        if (rows is None) == (file_qury_no is None):
            raise ValueError("give exactly one of rows or file_qury_no")
        self._check_period(clr_type, begin_date, end_date)
        if rows is not None:
            name = f"{self.fixmedins_code}_{begin_date:%Y%m%d}_{end_date:%Y%m%d}.zip"
            file_qury_no = await self.upload_file(name, encode_detail_file(rows))
        payload = {
            "setl_optins": setl_optins or self.division,
            "file_qury_no": file_qury_no,
            "stmt_begndate": wire_date(begin_date),
            "stmt_enddate": wire_date(end_date),
            "medfee_sumamt": wire_amount(medical_fee_total, "medical_fee_total"),
            "fund_pay_sumamt": wire_amount(fund_paid_total, "fund_paid_total"),
            "cash_payamt": wire_amount(cash_paid_total, "cash_paid_total"),
            "fixmedins_setl_cnt": _count(settlement_count),
            "refd_setl_flag": "1" if include_refunds else "0",
            "clr_type": clr_type,
        }
        output = await self._call(env.RECONCILE_DETAILS, payload)
        return self._typed(env.RECONCILE_DETAILS, DetailsResult.from_wire, output)

    # --- plumbing -------------------------------------------------------------------------------------------

    @staticmethod
    def _check_period(clr_type: str, begin_date: date, end_date: date) -> None:
        if clr_type not in CLEARING_TYPES:
            raise ValueError(f"clr_type must be one of {sorted(CLEARING_TYPES)}: {clr_type!r}")
        if end_date < begin_date:
            raise ValueError(f"end_date {end_date} is before begin_date {begin_date}")

    def _typed(self, infno: str, parse: Callable[[dict[str, Any]], T], output: dict[str, Any]) -> T:
        """Map an output to its dataclass; a shape we cannot read is a protocol error, not a crash."""
        try:
            return parse(output)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ProvincialProtocolError(f"provincial platform answered {infno} with an unreadable output: {exc}") \
                from exc

    async def _ensure_signed_in(self) -> str:
        async with self._sign_lock:
            if self._sign_no is None:
                await self.sign_in()
            assert self._sign_no is not None
            return self._sign_no

    async def _invalidate(self, sign_no: str) -> None:
        # Only the session that failed: a concurrent call may already have signed in again.
        async with self._sign_lock:
            if self._sign_no == sign_no:
                self._sign_no = None

    async def _call(self, infno: str, payload: dict[str, Any], *, insuplc_admdvs: str | None = None) -> dict[str, Any]:
        """A business transaction: signed in first; signs in again once if the platform lost our session."""
        for attempt in range(2):
            sign_no = await self._ensure_signed_in()
            try:
                return await self._exchange(infno, payload, sign_no=sign_no, insuplc_admdvs=insuplc_admdvs)
            except ProvincialError as exc:
                if attempt == 0 and exc.session_expired:
                    log.info("provincial session expired on %s; signing in again", infno)
                    await self._invalidate(sign_no)
                    continue
                raise
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _exchange(self, infno: str, payload: dict[str, Any], *, sign_no: str = "",
                        insuplc_admdvs: str | None = None) -> dict[str, Any]:
        """Build one envelope, post it (retrying transport failures), return the output or raise."""
        request = env.build_request(
            infno, payload,
            fixmedins_code=self.fixmedins_code, fixmedins_name=self.fixmedins_name, operator=self.operator,
            mdtrtarea_admvs=self.division, insuplc_admdvs=insuplc_admdvs or self.division, sign_no=sign_no,
            codec=self._codec, sequence=self._sequence,
        )
        response = await self._post(infno, request)
        if response.warn_msg:
            log.warning("provincial %s warns: %s", infno, response.warn_msg)
        if not response.ok:
            raise ProvincialError(infno, response.infcode, response.err_msg, msgid=request["msgid"],
                                  inf_refmsgid=response.inf_refmsgid, warn_msg=response.warn_msg)
        return response.output

    async def _post(self, infno: str, request: dict[str, Any]) -> Response:
        body = env.dumps(request)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning("provincial %s attempt %d failed (%s); retrying", infno, state.attempt_number, exc)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries + 1),
            # backoff, 2x, 4x ... up to 16x, each plus up to one backoff of jitter so callers do not retry in step.
            wait=wait_exponential_jitter(multiplier=self._backoff, jitter=self._backoff, max=self._backoff * 16),
            retry=retry_if_exception_type(_Transient),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return await retrying(self._post_once, infno, body)
        except _Transient as exc:
            raise ProvincialUnavailable(
                f"provincial platform unavailable for {infno} after {self._retries + 1} attempts: {exc}"
            ) from exc

    async def _post_once(self, infno: str, body: bytes) -> Response:
        try:
            # asyncio.timeout as well as httpx's: in-process transports do not enforce httpx timeouts.
            async with asyncio.timeout(self._timeout):
                reply = await self._http.post(
                    self.base_url, content=body, headers={"content-type": "application/json;charset=utf-8"}
                )
        except TimeoutError as exc:
            raise _Transient(f"no answer within {self._timeout}s") from exc
        except httpx.TransportError as exc:
            raise _Transient(f"{type(exc).__name__}: {exc or 'transport error'}") from exc
        if reply.status_code >= 500:
            raise _Transient(f"HTTP {reply.status_code}")
        if reply.status_code != 200:
            raise ProvincialProtocolError(
                f"provincial platform answered {infno} with HTTP {reply.status_code}: {reply.text[:200]}"
            )
        try:
            return env.parse_response(reply.content, infno, self._codec)
        except ValueError as exc:
            raise ProvincialProtocolError(f"provincial platform answered {infno} with no envelope: {exc}") from exc


def _count(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"settlement_count must be a non-negative int: {value!r}")
    return value
