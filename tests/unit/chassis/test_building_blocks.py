"""The chassis pieces every room uses: errors with stable codes, reasons as data, the one money parser, the tenant
scope and the workbook helper."""

from __future__ import annotations

import io
from decimal import Decimal

import httpx
import pytest
from fastapi import Request

from chassis.errors import Conflict, InvalidInput, JingbanError, NotFound, TenantNotServed
from chassis.http import create_app, read_json
from chassis.identity import Identity
from chassis.money import parse_amount, yuan
from chassis.reasons import Reason, ReasonCatalogue, UnknownReason
from chassis.scope import event_scope, tenant_scope
from chassis.workbook import Sheet, safe, workbook


def test_errors_carry_stable_codes_and_the_field() -> None:
    assert InvalidInput("amount is required", "amount").to_json() == {
        "code": "invalid_input", "message": "amount is required", "field": "amount",
        "fields": [{"field": "amount", "message": "amount is required"}]}
    assert NotFound("no such batch").to_json() == {"code": "not_found", "message": "no such batch"}
    assert Conflict("busy", code="batch_in_progress", params={"batch": "b1"}).to_json()["code"] == "batch_in_progress"

    class InsufficientFunds(Conflict):
        pass

    assert InsufficientFunds("short").code == "insufficient_funds"
    assert TenantNotServed("x").code == "tenant_not_served"
    assert JingbanError("x").code == "invalid_request"


def test_reasons_are_data_and_keep_their_old_sentence() -> None:
    catalogue = ReasonCatalogue("test", {"ratio": "fund pays its ratio"})
    r = catalogue.reason("ratio", "fund pays 60%", ratio="0.6")
    assert r.to_json() == {"code": "ratio", "detail": "fund pays 60%", "params": {"ratio": "0.6"}}
    assert str(r) == "ratio: fund pays 60%"
    assert Reason.from_json(r.to_json()) == r
    with pytest.raises(UnknownReason):
        catalogue.reason("made_up")
    with pytest.raises(UnknownReason):
        ReasonCatalogue("bad", {"undocumented": " "})


@pytest.mark.parametrize("raw", [1.5, "1E+30", "NaN", "12.345", "abc", "", None, True, "-1"])
def test_the_one_money_parser_refuses_with_a_code_and_the_field(raw: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_amount(raw, "lines[3].amount", minimum=Decimal(0))
    assert caught.value.code == "invalid_amount" and caught.value.field == "lines[3].amount"


def test_the_one_money_parser_accepts_yuan_strings_and_ints() -> None:
    assert parse_amount("12.3") == Decimal("12.30")
    assert parse_amount(7) == Decimal("7.00")
    assert parse_amount("-5.01") == Decimal("-5.01")
    assert yuan(1234) == "12.34"


def test_a_scope_opens_only_its_tenant_and_what_it_may_read() -> None:
    opened: list[str] = []
    served = frozenset({"hz-p1", "hz-p2", "qz-ci"})
    clerk = tenant_scope(Identity("hz-p1", "clerk", "u1"), served, lambda t: opened.append(t) or t)
    assert clerk.db() == "hz-p1" and clerk.program == "hz-chronic"
    with pytest.raises(JingbanError) as caught:
        clerk.db("hz-p2")
    assert caught.value.code == "forbidden"
    supervisor = tenant_scope(Identity("hz-p1", "supervisor", "s1", "hz-chronic"), served, lambda t: t)
    assert supervisor.db("hz-p2") == "hz-p2" and not supervisor.may_read("qz-ci")
    with pytest.raises(TenantNotServed):
        tenant_scope(Identity("wz-a", "clerk", "u"), served, lambda t: t)
    with pytest.raises(JingbanError):
        clerk.require("finance")
    assert event_scope("qz-ci", "settlement", served, lambda t: t).role == "service"
    assert opened == ["hz-p1"]


def test_the_workbook_keeps_formulas_as_text_and_money_as_numbers() -> None:
    from openpyxl import load_workbook

    rows = [["=HYPERLINK(\"x\")", Decimal("12.50")], ["-3.00", "+cmd|' /C calc'!A0"]]
    data = workbook([Sheet("diseases", rows, ["name", "cap"])])
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "name" and ws["A2"].value == "'=HYPERLINK(\"x\")" and ws["B2"].value == 12.5
    assert ws["A3"].value == "-3.00" and ws["B3"].value == "'+cmd|' /C calc'!A0"
    assert safe("@SUM(A1)") == "'@SUM(A1)"


async def test_every_json_error_of_a_door_has_a_stable_code() -> None:
    async def ready() -> dict[str, object]:
        return {"ready": True}

    app = create_app("t", "t", ready)

    @app.post("/echo")
    async def echo(request: Request) -> object:
        return await read_json(request)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        missing = await http.get("/nowhere")
        wrong = await http.get("/echo")
        text = await http.post("/echo", content=b"a=1", headers={"content-type": "text/plain"})
        broken = await http.post("/echo", content=b"{", headers={"content-type": "application/json"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")
    assert (text.status_code, text.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert broken.status_code == 422 and broken.json()["error"] | {"message": ""} == {
        "code": "invalid_json", "message": "", "field": "body", "fields": [
            {"field": "body", "message": broken.json()["error"]["message"]}]}


def test_an_unauthenticated_caller_learns_nothing_of_a_body_it_may_not_send() -> None:
    """FastAPI parses a JSON body before dependencies run; the answer to a caller without a valid token is still 401
    (not 422 with the body's fields), while a public route keeps its 422."""
    import asyncio

    import httpx
    from fastapi import Query
    from pydantic import BaseModel

    from chassis.dev_issuer import DevIssuer
    from chassis.http import Scope, admit, create_app

    class Body(BaseModel):
        amount: int

    async def ready() -> dict[str, object]:
        return {"checks": {}}

    issuer = DevIssuer.generate()
    app = create_app("intake", "t", ready, verifier=issuer.verifier("intake"))
    app.state.tenants, app.state.open_db = frozenset({"hz-p1"}), lambda tenant: None

    @app.post("/v1/things", dependencies=[admit("clerk")])
    async def things(body: Body, scope: Scope) -> dict[str, int]:
        return {"amount": body.amount}

    @app.get("/v1/public")
    async def public(n: int = Query()) -> dict[str, int]:
        return {"n": n}

    async def run() -> list[httpx.Response]:
        clerk = {"authorization": f"Bearer {issuer.token('hz-p1', 'clerk', 'c')}"}
        finance = {"authorization": f"Bearer {issuer.token('hz-p1', 'finance', 'f')}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            return [
                await http.post("/v1/things", content=b"{not json", headers={"content-type": "application/json"}),
                await http.post("/v1/things", json={"amount": "x"},
                                headers={"authorization": "Bearer forged.token.here"}),
                await http.post("/v1/things", json={"amount": "x"}, headers=clerk),
                await http.post("/v1/things", json={"amount": "x"}, headers=finance),
                await http.get("/v1/public", params={"n": "x"}),
            ]

    anonymous, forged, clerk_bad, finance_bad, public_bad = asyncio.run(run())
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
    assert "fields" not in anonymous.json()["error"]
    assert forged.status_code == 401
    assert clerk_bad.status_code == 422  # the admitted role is told what is wrong
    assert finance_bad.status_code == 403
    assert public_bad.status_code == 422


def test_a_body_fastapi_cannot_parse_is_invalid_json_with_its_field() -> None:
    import asyncio

    import httpx
    from pydantic import BaseModel

    from chassis.dev_issuer import DevIssuer
    from chassis.http import Scope, admit, create_app

    class Memo(BaseModel):
        memo: str

    globals()["Memo"] = Memo  # the route's annotation is resolved from the module (postponed annotations)

    async def ready() -> dict[str, object]:
        return {"checks": {}}

    issuer = DevIssuer.generate()
    app = create_app("intake", "t", ready, verifier=issuer.verifier("intake"))
    app.state.tenants, app.state.open_db = frozenset({"hz-p1"}), lambda tenant: None

    @app.post("/v1/memos", dependencies=[admit("clerk")])
    async def memos(body: Memo, scope: Scope) -> dict[str, str]:
        return {"memo": body.memo}

    deep = b"[" * 100_000 + b"]" * 100_000

    async def run() -> tuple[httpx.Response, httpx.Response]:
        clerk = {"authorization": f"Bearer {issuer.token('hz-p1', 'clerk', 'c')}", "content-type": "application/json"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            return (await http.post("/v1/memos", content=deep, headers=clerk),
                    await http.post("/v1/memos", content=deep, headers={"content-type": "application/json"}))

    known, anonymous = asyncio.run(run())
    assert known.status_code == 422, known.text
    assert known.json()["error"]["code"] == "invalid_json" and known.json()["error"]["field"] == "body"
    assert anonymous.status_code == 401
