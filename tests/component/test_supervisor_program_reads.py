"""The agency supervisor (医保经办机构) watches every carrier of its program (issue 14, item 7): the worklist
(intake `GET /v1/applications`), the appraisal clocks (`GET /v1/cases`, `GET /v1/alerts/overdue`), the
warnings (audit `GET /v1/warnings`) and the carriers' reports (audit `GET /v1/reports`, one report, its chart and
workbook) take `tenant=` — one of the program's tenants named by the token's `program`
claim. Anyone else naming another tenant, and the supervisor naming another program's, is refused (403), nothing
read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset

AGENCY = auth("hz-p1", "supervisor", "agency-1", program="hz-chronic")


@pytest.fixture(scope="module")
async def platform(fixture_business_date: str) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": "hz-p1,hz-p2,qz-ci"}, port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def test_the_supervisor_reads_each_carrier_of_its_program(platform: EmbeddedPlatform,
                                                              http: httpx.AsyncClient) -> None:
    audit = platform.url("audit")
    r = await http.post(f"{audit}/v1/warnings", headers=auth("hz-p2", "inspector"),
                        json={"kind": "spending_growth", "description": "hz-p2 spends fast"})
    assert r.status_code == 201, r.text
    issued = r.json()

    r = await http.get(f"{audit}/v1/warnings", params={"tenant": "hz-p2"}, headers=AGENCY)
    assert r.status_code == 200, r.text
    assert [w["warning_id"] for w in r.json()] == [issued["warning_id"]]
    assert r.json()[0]["due_on"] == issued["due_on"]
    # Its own carrier by default: hz-p1 has none.
    r = await http.get(f"{audit}/v1/warnings", headers=AGENCY)
    assert r.status_code == 200 and r.json() == []

    # hz-p2's month report, produced by its inspector: listed, read and downloaded by the agency.
    r = await http.post(f"{audit}/v1/reports", headers=auth("hz-p2", "inspector"),
                        json={"kind": "monthly", "period": "2026-10"})
    assert r.status_code == 201, r.text
    report_id = r.json()["report_id"]
    r = await http.get(f"{audit}/v1/reports", params={"tenant": "hz-p2"}, headers=AGENCY)
    assert [x["report_id"] for x in r.json()] == [report_id]
    r = await http.get(f"{audit}/v1/reports/{report_id}", params={"tenant": "hz-p2"}, headers=AGENCY)
    assert r.status_code == 200 and "figures" in r.json()
    r = await http.get(f"{audit}/v1/reports/{report_id}/chart.png", params={"tenant": "hz-p2"}, headers=AGENCY)
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    r = await http.get(f"{audit}/v1/reports/{report_id}/workbook.xlsx", params={"tenant": "hz-p2"}, headers=AGENCY)
    assert r.status_code == 200 and r.content.startswith(b"PK")
    # Not in hz-p1's (the token's own, the default).
    r = await http.get(f"{audit}/v1/reports/{report_id}", headers=AGENCY)
    assert r.status_code == 404, r.text

    for url in (f"{platform.url('intake')}/v1/applications", f"{platform.url('appraisal')}/v1/cases",
                f"{platform.url('appraisal')}/v1/alerts/overdue"):
        for tenant in ("hz-p1", "hz-p2"):
            r = await http.get(url, params={"tenant": tenant}, headers=AGENCY)
            assert r.status_code == 200 and r.json() == [], (url, tenant, r.text)


async def test_nobody_else_reads_another_tenant(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    audit, intake, appraisal = platform.url("audit"), platform.url("intake"), platform.url("appraisal")
    refused = [
        (f"{audit}/v1/warnings", auth("hz-p1", "inspector"), "hz-p2"),
        (f"{audit}/v1/warnings", AGENCY, "qz-ci"),  # another program's carrier
        (f"{audit}/v1/reports", auth("hz-p1", "finance"), "hz-p2"),
        (f"{audit}/v1/reports", AGENCY, "qz-ci"),
        (f"{intake}/v1/applications", auth("hz-p1", "clerk"), "hz-p2"),
        (f"{intake}/v1/applications", AGENCY, "qz-ci"),
        (f"{intake}/v1/applications", auth("hz-p1", "supervisor", "agency-1"), "hz-p2"),  # no program claim
        (f"{appraisal}/v1/cases", auth("hz-p2", "reviewer"), "hz-p1"),
        (f"{appraisal}/v1/cases", AGENCY, "qz-ci"),
        (f"{appraisal}/v1/alerts/overdue", auth("hz-p1", "clerk"), "hz-p2"),
        (f"{appraisal}/v1/alerts/overdue", AGENCY, "qz-ci"),
        (f"{appraisal}/v1/alerts/overdue", auth("qz-ci", "supervisor", "agency-2", program="hz-chronic"), "hz-p1"),
    ]
    for url, headers, tenant in refused:
        r = await http.get(url, params={"tenant": tenant}, headers=headers)
        assert r.status_code == 403, (url, tenant, r.status_code, r.text)
        assert r.json()["error"]["field"] == "tenant", r.text
