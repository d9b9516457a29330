"""The simulator over HTTP: the platform's one POST endpoint, health, and admin endpoints for tests and demos."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, BeforeValidator, Field

from chassis.errors import InvalidInput
from chassis.money import fmt, parse_yuan
from provincial import envelope as env
from provincial.models import RESIDENT_BASIC, DetailRow
from provincial.simulator import platform
from provincial.simulator.state import DEFAULT_ASSISTANCE_TYPE, CallRecord, Identity, SimulatorState

# The path real provinces expose; the simulator answers on `/` as well.
PLATFORM_PATH = "/fsi/api/rsfComIfsService/callService"


def _yuan(value: Any) -> Decimal:
    try:
        return parse_yuan(value)
    except InvalidInput as exc:  # pydantic reports ValueError, not our domain error
        raise ValueError(exc.message) from exc


Yuan = Annotated[Decimal, BeforeValidator(_yuan)]


class IdentityIn(BaseModel):
    """An idetinfo line; times as `yyyy-MM-dd HH:mm:ss` (Beijing)."""

    psn_idet_type: str = Field(min_length=1)
    psn_type_lv: str = ""
    begntime: datetime | None = None
    endtime: datetime | None = None
    memo: str = ""


class PersonIn(BaseModel):
    """POST /admin/persons: one person, or a list of them."""

    certno: str = Field(description="resident ID number; must pass the GB 11643 check")
    status: Literal["insured", "suspended", "unknown"] = "insured"
    psn_name: str | None = Field(None, description="when set, a 1101 with another name is refused")
    insutype: str = RESIDENT_BASIC
    insuplc_admdvs: str | None = Field(None, description="default: the ID number's first six digits")
    paus_insu_date: date | None = None
    assistance_recipient: bool = Field(False, description=f"shortcut: adds psn_idet_type {DEFAULT_ASSISTANCE_TYPE}")
    idetinfo: list[IdentityIn] = Field(default_factory=list)


class DetailIn(BaseModel):
    setl_id: str = Field(min_length=1)
    mdtrt_id: str = ""
    psn_no: str = ""
    medfee_sumamt: Yuan
    fund_pay_sumamt: Yuan
    acct_pay: Yuan = Decimal("0.00")
    refd_setl_flag: Literal["0", "1"] = "0"


class SettlementIn(BaseModel):
    """POST /admin/settlements: what the platform holds for an institution's period (totals and/or rows)."""

    fixmedins_code: str = Field(min_length=12, max_length=12)
    stmt_begndate: date
    stmt_enddate: date
    clr_type: Literal["11", "21", "41", "99"] | None = Field(None, description="None: any clearing type")
    insutype: str | None = Field(None, pattern=r"^\d{3}$", description="None: any insurance type (310, 390 …)")
    medfee_sumamt: Yuan | None = None
    fund_pay_sumamt: Yuan | None = None
    fixmedins_setl_cnt: int | None = Field(None, ge=0)
    details: list[DetailIn] | None = None


class FaultIn(BaseModel):
    """POST /admin/faults: the next `count` calls (of `infno`, or any) fail this way."""

    mode: Literal["http_503", "delay"] = "http_503"
    count: int = Field(1, ge=1)
    delay_seconds: float = Field(5.0, ge=0)
    infno: str | None = None


def _invalid(message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": "invalid_input", "message": message}}, status_code=422)


def create_app(state: SimulatorState | None = None) -> FastAPI:
    """The simulated provincial platform; `app.state.simulator` is its memory, for in-process configuration."""
    sim = state or SimulatorState()
    app = FastAPI(title="Provincial platform simulator (医保信息平台模拟)", version="0.1.0")
    app.state.simulator = sim

    async def call_service(request: Request) -> Response:
        received = sim.clock()
        document = platform.parse(await request.body())
        infno = str(document.get("infno") or "") if isinstance(document, dict) else ""
        fault = sim.take_fault(infno)
        if fault is not None and fault.mode == "http_503":
            msgid = str(document.get("msgid") or "") if isinstance(document, dict) else ""
            sim.record_call(CallRecord(infno, msgid, "http_503"))
            return PlainTextResponse("Service Unavailable", status_code=503)
        answer = platform.process(sim, document, received)
        if fault is not None:
            # Processed, then answered late: the caller may time out and retry; the msgid replay answers it.
            await asyncio.sleep(fault.delay_seconds)
        return Response(env.dumps(answer), media_type="application/json;charset=utf-8")

    app.add_api_route("/", call_service, methods=["POST"], tags=["platform"], summary="call a transaction")
    app.add_api_route(PLATFORM_PATH, call_service, methods=["POST"], tags=["platform"], include_in_schema=False)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "provincial-simulator"}

    @app.post("/admin/persons", tags=["admin"])
    async def add_persons(body: PersonIn | list[PersonIn]) -> Any:
        persons = body if isinstance(body, list) else [body]
        added = []
        for person in persons:
            identities = [Identity(i.psn_idet_type, i.psn_type_lv, _naive(i.begntime), _naive(i.endtime), i.memo)
                          for i in person.idetinfo]
            if person.assistance_recipient:
                identities.append(Identity(DEFAULT_ASSISTANCE_TYPE, "", datetime(sim.clock().year, 1, 1), None,
                                           "医疗救助对象"))
            try:
                sim.add_person(person.certno, status=person.status, name=person.psn_name, insutype=person.insutype,
                               division=person.insuplc_admdvs, suspended_on=person.paus_insu_date,
                               identities=identities)
            except ValueError as exc:
                return _invalid(str(exc))
            found = sim.person(person.certno)
            added.append({"certno": person.certno.strip().upper(), "status": person.status,
                          "psn_no": found.psn_no if found else None})
        return {"persons": added}

    @app.post("/admin/settlements", tags=["admin"])
    async def record_settlements(body: SettlementIn) -> Any:
        details = None if body.details is None else [
            DetailRow(d.setl_id, d.mdtrt_id, d.psn_no, d.medfee_sumamt, d.fund_pay_sumamt, d.acct_pay,
                      d.refd_setl_flag == "1") for d in body.details]
        try:
            record = sim.record_settlements(
                body.fixmedins_code, body.stmt_begndate, body.stmt_enddate, clr_type=body.clr_type,
                medical_fee_total=body.medfee_sumamt, fund_paid_total=body.fund_pay_sumamt,
                count=body.fixmedins_setl_cnt, details=details, insutype=body.insutype)
        except ValueError as exc:
            return _invalid(str(exc))
        return {"recorded": {
            "fixmedins_code": record.fixmedins_code, "stmt_begndate": record.begin.isoformat(),
            "stmt_enddate": record.end.isoformat(), "clr_type": record.clr_type, "insutype": record.insutype,
            "medfee_sumamt": fmt(record.medical_fee_total), "fund_pay_sumamt": fmt(record.fund_paid_total),
            "fixmedins_setl_cnt": record.count, "details": None if record.details is None else len(record.details),
        }}

    @app.post("/admin/faults", tags=["admin"])
    async def inject_fault(body: FaultIn) -> dict[str, Any]:
        sim.inject_fault(body.mode, body.count, delay_seconds=body.delay_seconds, infno=body.infno)
        return {"pending": _faults(sim)}

    @app.get("/admin/faults", tags=["admin"])
    async def list_faults() -> dict[str, Any]:
        return {"pending": _faults(sim)}

    @app.delete("/admin/faults", tags=["admin"])
    async def clear_faults() -> dict[str, Any]:
        with sim.lock:
            sim.faults.clear()
        return {"pending": []}

    @app.post("/admin/sessions/expire", tags=["admin"])
    async def expire_sessions() -> dict[str, int]:
        return {"expired": sim.expire_sessions()}

    @app.get("/admin/calls", tags=["admin"])
    async def calls() -> dict[str, Any]:
        with sim.lock:
            return {"calls": [c.__dict__ for c in sim.calls]}

    @app.get("/admin/filings", tags=["admin"])
    async def filings() -> dict[str, Any]:
        with sim.lock:
            return {"filings": [{"trt_dcla_detl_sn": f.serial, "psn_no": f.psn_no, "fixmedins_code": f.fixmedins_code,
                                 "opsp_dise_code": f.data.get("opsp_dise_code"), "begndate": f.data.get("begndate"),
                                 "insutype": f.data.get("insutype"),
                                 "enddate": f.data.get("enddate") or None,
                                 "revoked": f.revoked_at is not None} for f in sim.filings.values()]}

    @app.post("/admin/reset", tags=["admin"])
    async def reset() -> dict[str, bool]:
        sim.reset()
        return {"reset": True}

    return app


def _naive(moment: datetime | None) -> datetime | None:
    """Identity times are Beijing wall-clock; an offset given by the caller is converted, then dropped."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(env.BEIJING).replace(tzinfo=None)


def _faults(sim: SimulatorState) -> list[dict[str, Any]]:
    with sim.lock:
        return [{"mode": f.mode, "remaining": f.remaining, "delay_seconds": f.delay_seconds, "infno": f.infno}
                for f in sim.faults]
