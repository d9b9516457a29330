"""`AgencyClient`: one carrier's typed async calls to the agency's long-term care system over its one POST endpoint."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from agency import envelope as env
from agency.envelope import LOTS, SENDER_CODE_LENGTH, Codec, PlainCodec, Response
from agency.errors import AgencyError, AgencyProtocolError, AgencyUnavailable
from agency.messages import AssessmentConclusion, Receipt, ServiceRecordBatch, Settlement

log = logging.getLogger("agency.client")


class _Transient(Exception):
    """A failure worth another attempt: no answer, a timeout, or HTTP 5xx. Never a business error."""


def _count(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


class AgencyClient:
    """One carrier (经办机构: `sender`, its lot A–E) sending to the agency's system at `base_url`.

    `retries` is how many times a transport failure (connection error, timeout, HTTP 5xx) is retried after the first
    attempt, with exponential backoff and jitter, re-sending the same msgid so the system answers it once. A refusal
    (code != 0) raises `AgencyError` at once; no answer after every attempt raises `AgencyUnavailable`. Give each
    call the msgid kept with the work (`new_msgid()` once, stored): a later retry of the same work then re-sends the
    same msgid and cannot be counted twice."""

    def __init__(self, base_url: str, sender: str, sender_name: str, lot: str, *, division: str = "330300",
                 operator: str = "jingban", transport: httpx.AsyncBaseTransport | None = None,
                 codec: Codec = PlainCodec(), retries: int = 3, timeout: float = 10.0, backoff: float = 0.5) -> None:
        if len(sender) != SENDER_CODE_LENGTH:
            raise ValueError(f"sender must be {SENDER_CODE_LENGTH} characters: {sender!r}")
        if lot not in LOTS:
            raise ValueError(f"lot must be one of {', '.join(LOTS)}: {lot!r}")
        if len(division) != 6 or not division.isdigit():
            raise ValueError(f"division must be 6 digits (行政区划): {division!r}")
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.base_url = base_url
        self.sender, self.sender_name, self.lot, self.division = sender, sender_name, lot, division
        self.operator = operator
        self._codec, self._retries, self._timeout, self._backoff = codec, retries, timeout, backoff
        self._http = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout))

    async def __aenter__(self) -> AgencyClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def new_msgid(self) -> str:
        """A fresh msgid of this sender, to keep with the work it will carry."""
        return env.make_msgid(self.sender)

    # --- transactions ---------------------------------------------------------------------------------------

    async def push_assessment(self, conclusion: AssessmentConclusion, *, msgid: str | None = None) -> Receipt:
        """失能等级评定结论上传 (LTC01)."""
        return await self.send(env.ASSESSMENT_CONCLUSION, conclusion.to_wire(), msgid=msgid)

    async def push_service_records(self, batch: ServiceRecordBatch, *, msgid: str | None = None) -> Receipt:
        """护理服务记录上传 (LTC02): one message of an upload (messages.split_batch makes them)."""
        return await self.send(env.SERVICE_RECORDS, batch.to_wire(), msgid=msgid)

    async def push_settlement(self, settlement: Settlement, *, msgid: str | None = None) -> Receipt:
        """护理费用结算信息上传 (LTC03)."""
        return await self.send(env.SETTLEMENT, settlement.to_wire(), msgid=msgid)

    async def send(self, txn: str, data: Mapping[str, Any], *, msgid: str | None = None) -> Receipt:
        """Any transaction with its wire data (what a sender stored); the receipt, or AgencyError /
        AgencyUnavailable / AgencyProtocolError."""
        if txn not in env.TRANSACTIONS:
            raise ValueError(f"unknown transaction {txn!r}: one of {', '.join(env.TRANSACTIONS)}")
        request = env.build_request(txn, data, sender=self.sender, sender_name=self.sender_name, lot=self.lot,
                                    admdvs=self.division, operator=self.operator, msgid=msgid or self.new_msgid(),
                                    codec=self._codec)
        response, attempts = await self._post(txn, request)
        if response.warn_msg:
            log.warning("agency %s warns (msgid %s)", txn, request["msgid"])
        if not response.ok:
            raise AgencyError(txn, response.code, response.err_msg, msgid=request["msgid"],
                              rcv_msgid=response.rcv_msgid)
        out = response.output
        return Receipt(txn=txn, msgid=request["msgid"], rcv_msgid=response.rcv_msgid,
                       rcv_no=str(out.get("rcv_no") or ""), accepted=_count(out.get("acpt_cnt")),
                       duplicates=_count(out.get("dup_cnt")),
                       respond_time=response.respond_time, warn_msg=response.warn_msg, attempts=attempts, output=out)

    # --- plumbing -------------------------------------------------------------------------------------------

    async def _post(self, txn: str, request: dict[str, Any]) -> tuple[Response, int]:
        body = env.dumps(request)
        attempts = 0

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning("agency %s attempt %d failed (%s); retrying", txn, state.attempt_number, exc)

        async def once() -> Response:
            nonlocal attempts
            attempts += 1
            return await self._post_once(txn, body)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries + 1),
            wait=wait_exponential_jitter(multiplier=self._backoff, jitter=self._backoff, max=self._backoff * 16),
            retry=retry_if_exception_type(_Transient),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return await retrying(once), attempts
        except _Transient as exc:
            raise AgencyUnavailable(f"the agency's system is unavailable for {txn} after {attempts} attempts: "
                                    f"{exc}") from exc

    async def _post_once(self, txn: str, body: bytes) -> Response:
        try:
            # asyncio.timeout as well as httpx's: in-process transports do not enforce httpx timeouts.
            async with asyncio.timeout(self._timeout):
                reply = await self._http.post(self.base_url, content=body,
                                              headers={"content-type": "application/json;charset=utf-8"})
        except TimeoutError as exc:
            raise _Transient(f"no answer within {self._timeout}s") from exc
        except httpx.TransportError as exc:
            raise _Transient(f"{type(exc).__name__}: {exc or 'transport error'}") from exc
        if reply.status_code >= 500:
            raise _Transient(f"HTTP {reply.status_code}")
        if reply.status_code != 200:
            raise AgencyProtocolError(f"the agency's system answered {txn} with HTTP {reply.status_code}")
        try:
            return env.parse_response(reply.content, txn, self._codec)
        except ValueError as exc:
            raise AgencyProtocolError(f"the agency's system answered {txn} with no envelope: {exc}") from exc
