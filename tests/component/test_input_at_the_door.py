"""Input at the door (issue 11, item 6) on the embedded platform, over real HTTP (uvicorn):

- the streaming body limit runs before parsing and authentication: a declared length over the route's limit is 413
  at once with no byte of the body sent (a request without a token too: 413, not 401); a chunked body is refused
  while it streams; an upload route takes its larger limit;
- a handover import that is a zip bomb is refused with its own code before anything is decompressed or imported;
- amounts beyond the books ("1E+30", 10^30) are 422 `invalid_amount` naming the field on every amount path, and a
  corridor year end given an absurd head count is 422 naming it, never 500 — nothing stored either way;
- downloads (a person's document, a report's chart and workbook, the reconciliation workbook, a handover zip) carry
  `nosniff` and `attachment`;
- an application naming a program that is not the tenant's is 422 `program_not_carried` on `application.program`,
  and nothing is filed."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from chassis.body_limit import DEFAULT_LIMIT
from chassis.config import Settings
from jingban.embedded import EmbeddedPlatform
from services.archive.handover.domain.handover import MAX_MEMBER_BYTES
from services.intake.applications.api import upload_limit
from tests.conftest import application_form, auth, embedded_port_offset, eventually

SAMPLE = Path(__file__).resolve().parents[2] / "programs" / "hz-chronic" / "policy-2025.yaml"
HOSP = "H61070000001"
QZ_HOSP = "H330802001"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
async def platform(data_dir: Path) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(data_dir), "JINGBAN_TENANTS": "hz-p1,hz-p2,qz-ci"},
                         port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def error_of(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["error"]


# ---- the body limit, on the wire ---------------------------------------------------------------------------------


async def raw_exchange(base: str, head: str, chunks: int = 0, chunk: bytes = b"") -> tuple[int, dict[str, Any], int]:
    """Send a request's head (and then, chunked, up to `chunks` pieces while no answer has come); return the status,
    the JSON error and how many body bytes were sent before the answer."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(head.encode() + b"\r\n")
    await writer.drain()
    received: list[bytes] = []

    async def drain() -> None:  # read as it comes: the server closes after a refusal (and may reset the rest)
        try:
            while block := await reader.read(65536):
                received.append(block)
        except ConnectionResetError:
            pass

    answer = asyncio.create_task(drain())
    sent = 0
    try:
        for _ in range(chunks):
            if answer.done():
                break
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            await writer.drain()
            sent += len(chunk)
            await asyncio.sleep(0)
    except (ConnectionResetError, BrokenPipeError):
        pass
    await asyncio.wait_for(answer, 20)
    writer.close()
    raw = b"".join(received)
    status_line, _, rest = raw.partition(b"\r\n")
    body = rest.split(b"\r\n\r\n", 1)[1]
    return int(status_line.split()[1]), json.loads(body)["error"], sent


def head(method: str, path: str, headers: dict[str, str]) -> str:
    lines = [f"{method} {path} HTTP/1.1", "host: jingban"] + [f"{k}: {v}" for k, v in headers.items()]
    return "\r\n".join(lines) + "\r\n"


async def test_a_declared_length_over_the_limit_is_413_before_any_byte_or_token(platform: EmbeddedPlatform) -> None:
    base = platform.url("settlement")
    status, error, _ = await raw_exchange(base, head("POST", "/v1/fund/advances", {
        "content-type": "application/json", "content-length": str(DEFAULT_LIMIT + 1)}))  # no token, no body sent
    assert (status, error["code"], error["field"]) == (413, "payload_too_large", "body")
    assert error["params"] == {"limit": str(DEFAULT_LIMIT)}


async def test_an_upload_route_takes_its_own_larger_limit(platform: EmbeddedPlatform) -> None:
    base, limit = platform.url("intake"), upload_limit(Settings().max_upload_bytes)
    over = {"content-type": "multipart/form-data; boundary=b", "content-length": str(limit + 1)}
    status, error, _ = await raw_exchange(base, head("POST", "/v1/applications", over))
    assert (status, error["code"], error["params"]) == (413, "payload_too_large", {"limit": str(limit)})
    within = {**over, "content-length": str(2 * DEFAULT_LIMIT)}  # over the JSON default, within the upload's
    status, error, _ = await raw_exchange(base, head("POST", "/v1/applications", within))
    assert (status, error["code"]) == (401, "unauthenticated")  # the door let it through to authentication


async def test_a_chunked_body_is_refused_while_it_streams(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    base = platform.url("settlement")
    finance = auth("hz-p1", "finance")
    offered = 1024  # 64 MiB in 64 KiB pieces, no declared length
    status, error, sent = await raw_exchange(base, head("POST", "/v1/fund/advances", {
        **finance, "content-type": "application/json", "transfer-encoding": "chunked"}), offered, b" " * 65536)
    assert (status, error["code"], error["field"]) == (413, "payload_too_large", "body")
    assert sent < offered * 65536 // 2  # answered while the client was still sending
    ledger = await http.get(f"{base}/v1/fund/ledger", params={"year": 2025}, headers=finance)
    assert ledger.status_code == 200 and ledger.json()["entries"] == []


# ---- zip bombs at the handover import ----------------------------------------------------------------------------


async def test_a_zip_bomb_import_is_refused_with_its_code_and_nothing_imported(platform: EmbeddedPlatform,
                                                                              http: httpx.AsyncClient) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", b"{}")
        zf.writestr("persons/p1.json", b"\0" * (MAX_MEMBER_BYTES + 1024 * 1024))
    bomb = out.getvalue()
    assert len(bomb) < 256 * 1024
    base = f"{platform.url('archive')}/v1/imports"
    r = await http.post(base, content=bomb, headers={**auth("hz-p2", "ops"), "content-type": "application/zip"})
    error = error_of(r, 422)
    assert (error["code"], error["field"]) == ("archive_member_too_large", "export")
    assert error["params"] == {"member": "persons/p1.json", "limit": str(MAX_MEMBER_BYTES)}
    assert (await http.get(base, headers=auth("hz-p2", "ops"))).status_code == 404
    assert await platform.store.database("archive", "hz-p2")["entries"].count_documents({}) == 0


# ---- amounts -------------------------------------------------------------------------------------------------------


async def test_critical_claims_refuse_amounts_beyond_the_books(platform: EmbeddedPlatform,
                                                               http: httpx.AsyncClient) -> None:
    base = f"{platform.url('settlement')}/v1/critical"
    for big in ("1E+30", 10**30, "1e400", "99999999999999999999.99"):
        claim = {"claim_id": "big-1", "person_id": "PBIG", "date": "2025-02-01", "care": "inpatient",
                 "area": "in_area", "networked": True, "total_cost": big, "self_pay": "1.00"}
        r = await http.post(f"{base}/claims", json={"claims": [claim]}, headers=auth("qz-ci", "institution", QZ_HOSP))
        error = error_of(r, 422)
        assert (error["code"], error["field"]) == ("invalid_amount", "claims[0].total_cost"), big
        assert error["fields"][0]["code"] == "invalid_amount"
        r = await http.post(f"{base}/imports", headers=auth("qz-ci", "clerk"), json=[{
            "setl_id": "S-BIG", "psn_no": "PBIG", "setl_time": "2025-05-06", "med_type": "21",
            "medfee_sumamt": big, "psn_part_amt": "1.00", "fulamt_ownpay_amt": "0.00", "fixmedins_code": QZ_HOSP,
            "mdtrt_admdvs": "330802"}])
        assert (error_of(r, 422)["code"], error_of(r, 422)["field"]) == ("invalid_amount", "records[0].medfee_sumamt")
    account = await http.get(f"{base}/persons/PBIG/account", params={"year": 2025}, headers=auth("qz-ci", "clerk"))
    assert account.status_code == 404  # nothing settled


async def test_chronic_uploads_and_visits_refuse_amounts_beyond_the_books(platform: EmbeddedPlatform,
                                                                          http: httpx.AsyncClient) -> None:
    s = platform.url("settlement")
    published = await http.post(f"{s}/v1/policies", content=SAMPLE.read_bytes(),
                                headers={**auth("hz-p1", "ops"), "content-type": "application/yaml"})
    assert published.status_code in (200, 201), published.text
    institution = auth("hz-p1", "institution", HOSP)
    line = '{"claim_id":"k1","person_id":"610702195803120012","date":"2025-06-03","disease":"HTN","amount":%s,' \
           '"covered":true}'
    for big in ("1E+30", '"1E+30"', "1" + "0" * 30):
        body = ('{"month":"2025-06","lines":[' + line % big + "]}").encode()
        r = await http.post(f"{s}/v1/claims/batches", content=body,
                            headers={**institution, "content-type": "application/json"})
        error = error_of(r, 422)
        assert (error["code"], error["field"]) == ("invalid_amount", "amount"), (big, error)
        assert error["fields"] == [{"line": 1, "field": "amount", "message": error["fields"][0]["message"],
                                    "code": "invalid_amount"}]
    csv = (b"claim_id,person_id,date,disease,amount,covered,item_code,description\n"
           b"k1,610702195803120012,2025-06-03,HTN,1E+30,true,,\n")
    r = await http.post(f"{s}/v1/claims/batches", content=csv, params={"month": "2025-06"},
                        headers={**institution, "content-type": "text/csv"})
    assert (error_of(r, 422)["code"], error_of(r, 422)["field"]) == ("invalid_amount", "amount")
    visit = {"claim_id": "v-big", "person_id": "610702195803120012", "date": "2025-06-03",
             "lines": [{"disease": "HTN", "amount": "1E+30", "covered": True}]}
    error = error_of(await http.post(f"{s}/v1/visits/settle", json=visit, headers=institution), 422)
    assert (error["code"], error["field"]) == ("invalid_amount", "lines[0].amount")
    statements = await http.get(f"{s}/v1/statements", params={"month": "2025-06"}, headers=auth("hz-p1", "finance"))
    assert statements.json()["statements"] == []  # nothing stored


async def test_fund_amounts_and_counts_are_bounded(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    s = platform.url("settlement")
    finance = auth("hz-p1", "finance")
    for big in ("1E+30", 10**30):
        r = await http.post(f"{s}/v1/fund/advances", headers=finance,
                            json={"advance_id": "A-big", "date": "2025-06-01", "amount": big})
        assert (error_of(r, 422)["code"], error_of(r, 422)["field"]) == ("invalid_amount", "amount")
    fee = await http.get(f"{s}/v1/fund/service-fee", headers=finance,
                         params={"year": 2025, "total_reimbursement": "1E+30"})
    assert (error_of(fee, 422)["code"], error_of(fee, 422)["field"]) == ("invalid_amount", "total_reimbursement")
    # a corridor year end with an absurd head count: 422 naming it (it was a 500), the year still open
    qz = auth("qz-ci", "finance")
    r = await http.post(f"{s}/v1/fund/years/2025/close", headers=qz,
                        json={"admin_cost": "1.00", "insured_persons": 10**30, "date": "2026-01-10"})
    assert error_of(r, 422)["field"] == "insured_persons"
    r = await http.post(f"{s}/v1/fund/years/2025/close", headers=qz, json={"admin_cost": "1E+30", "date": "2026-01-10"})
    assert (error_of(r, 422)["code"], error_of(r, 422)["field"]) == ("invalid_amount", "admin_cost")
    assert (await http.get(f"{s}/v1/fund/years/2025", headers=qz)).json()["status"] == "open"
    ledger = await http.get(f"{s}/v1/fund/ledger", params={"year": 2025}, headers=finance)
    assert ledger.json()["entries"] == []


# ---- downloads -------------------------------------------------------------------------------------------------------


def downloaded(r: httpx.Response, media: str) -> None:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.headers["cache-control"] == "no-store"


async def test_every_download_is_an_attachment_with_nosniff(platform: EmbeddedPlatform,
                                                            http: httpx.AsyncClient) -> None:
    intake = platform.url("intake")
    r = await http.post(f"{intake}/v1/applications", files=application_form(), headers=auth("hz-p1", "clerk"))
    assert r.status_code == 201, r.text
    app = r.json()
    doc = app["documents"][0]
    document = await http.get(f"{intake}/v1/applications/{app['application_id']}/documents/{doc['document_id']}",
                              headers=auth("hz-p1", "clerk"))
    downloaded(document, doc["content_type"])
    assert app["person_id"] not in document.headers["content-disposition"]  # named by ids, not by whose it is

    s = platform.url("settlement")
    xlsx = await http.get(f"{s}/v1/fund/reconciliation", params={"year": 2025, "format": "xlsx"},
                          headers=auth("hz-p1", "finance"))
    downloaded(xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert xlsx.headers["content-disposition"] == 'attachment; filename="reconciliation-hz-p1-2025.xlsx"'

    audit = platform.url("audit")
    report = await http.post(f"{audit}/v1/reports", headers=auth("hz-p1", "inspector", "insp-1"),
                             json={"kind": "monthly", "period": "2025-06"})
    assert report.status_code == 201, report.text
    rid = report.json()["report_id"]
    downloaded(await http.get(f"{audit}/v1/reports/{rid}/chart.png", headers=auth("hz-p1", "supervisor")),
               "image/png")
    downloaded(await http.get(f"{audit}/v1/reports/{rid}/workbook.xlsx", headers=auth("hz-p1", "supervisor")),
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    archive = platform.url("archive")

    async def filed() -> bool:
        r = await http.post(f"{archive}/v1/exports", headers=auth("hz-p1", "ops"), json={})
        assert r.status_code == 201, r.text
        return r.json()["persons"] >= 1 and r.json()

    export = await eventually(filed, what="the applicant's file in the archive")
    zipped = await http.get(f"{archive}/v1/exports/{export['export_id']}/download", headers=auth("hz-p1", "ops"))
    downloaded(zipped, "application/zip")
    assert zipped.headers["content-disposition"] == f'attachment; filename="hz-chronic-{export["export_id"]}.zip"'


# ---- an application's program ------------------------------------------------------------------------------------


async def test_an_application_of_another_program_is_refused_and_nothing_filed(platform: EmbeddedPlatform,
                                                                              http: httpx.AsyncClient) -> None:
    intake = platform.url("intake")
    before = (await http.get(f"{intake}/v1/applications", headers=auth("hz-p2", "clerk"))).json()
    form = application_form(program="qz-critical")
    r = await http.post(f"{intake}/v1/applications", files=form, headers=auth("hz-p2", "clerk"))
    error = error_of(r, 422)
    assert (error["code"], error["field"]) == ("program_not_carried", "application.program")
    assert error["params"] == {"program": "qz-critical"}
    assert (await http.get(f"{intake}/v1/applications", headers=auth("hz-p2", "clerk"))).json() == before
