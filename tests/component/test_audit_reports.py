"""audit's warnings and reports on the embedded platform: deadlines in working days, the spending check,
monthly and quarterly reports with their PNG chart and Excel workbook, bad input, isolation."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually
from tests.unit.audit.builders import PERSON_A, PERSON_B, build_stored, finding, granted, policy, publish, settled

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
async def platform(data_dir: Path) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(data_dir)}, port_offset=embedded_port_offset())
    await p.start()
    await publish(p.bus, *[build_stored(e) for e in (
        policy(),
        granted("qa", PERSON_A, "DL", "2025-03-03"),
        granted("qb", PERSON_B, "HTN", "2025-04-10", "2025-05-01"),
        settled(PERSON_A, "H610702001", "2025-05", "800.00", "700.00"),
        settled(PERSON_B, "H610702001", "2025-05", "400.00", "300.00"),
        settled(PERSON_A, "H610702001", "2025-06", "1500.00", "1350.25"),
        settled(PERSON_B, "H610702002", "2025-06", "500.00", "400.10"),
        finding("f-ext", PERSON_B, "on_site", "99.90", "2025-06-18T02:00:00+00:00"),
    )])
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:
        yield client


def url(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('audit')}/v1{path}"


@pytest.fixture(scope="module")
async def settled_in(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> dict:
    async def ready() -> dict | None:
        r = await http.get(url(platform, "/figures"), params={"period": "2025-06"}, headers=auth("hz-p1", "inspector"))
        f = r.json()
        return f if r.status_code == 200 and f["benefits"]["payable"] == "1750.35" and f["findings"]["count"] else None

    return await eventually(ready, what="June's benefits in the read model")


async def test_live_figures(settled_in: dict) -> None:
    assert settled_in["benefits"]["by_disease"]["DL"]["payable"] == "1350.25"
    assert settled_in["benefits"]["by_institution"]["H610702002"]["payable"] == "400.10"
    assert settled_in["uncapped_diseases"] == ["DL", "MT", "OT"]


async def test_warning_due_in_seven_working_days_across_national_day(platform: EmbeddedPlatform,
                                                                     http: httpx.AsyncClient) -> None:
    r = await http.post(url(platform, "/warnings"), headers=auth("hz-p1", "supervisor", "sup-1"),
                        json={"kind": "abnormal_claims", "description": "dialysis claims doubled at one hospital",
                              "detected_on": "2025-09-30"})
    assert r.status_code == 201, r.text
    w = r.json()
    assert (w["due_on"], w["status"], w["overdue"]) == ("2025-10-16", "open", True)  # today is long past it
    listed = (await http.get(url(platform, "/warnings"), params={"overdue": "true", "status": "open"},
                             headers=auth("hz-p1", "inspector"))).json()
    assert w["warning_id"] in [x["warning_id"] for x in listed]
    report_url = url(platform, f"/warnings/{w['warning_id']}/report")
    r = await http.post(report_url, headers=auth("hz-p1", "inspector", "insp-1"),
                        json={"report": "书面预警：……", "sent_to": "汉中市医疗保障局"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "reported" and r.json()["overdue"] is True  # filed after the due date
    assert (await http.post(report_url, headers=auth("hz-p1", "inspector"), json={"report": "again"})
            ).status_code == 409

    async def issued_event() -> bool:
        trail = (await http.get(url(platform, "/trail"), params={"business_key": w["warning_id"]},
                                headers=auth("hz-p1", "inspector"))).json()["entries"]
        return [e["type"] for e in trail] == ["warning.issued"]

    await eventually(issued_event, what="warning.issued published and back in the trail")


async def test_spending_growth_check_issues_one_warning_per_month(platform: EmbeddedPlatform,
                                                                  http: httpx.AsyncClient, settled_in: dict) -> None:
    body = {"month": "2025-06", "threshold": "0.40", "detected_on": "2025-07-02"}
    r = await http.post(url(platform, "/warnings/checks/spending-growth"), headers=auth("hz-p1", "inspector"),
                        json=body)
    assert r.status_code == 200, r.text
    check = r.json()
    # 1750.35 against 1000.00: +75.04%.
    assert (check["current"], check["previous"], check["growth"], check["triggered"], check["created"]) == (
        "1750.35", "1000.00", "0.7504", True, True)
    assert check["warning"]["due_on"] == "2025-07-11" and check["warning"]["kind"] == "spending_growth"
    again = (await http.post(url(platform, "/warnings/checks/spending-growth"), headers=auth("hz-p1", "inspector"),
                             json=body)).json()
    assert again["created"] is False and again["warning"]["warning_id"] == check["warning"]["warning_id"]
    calm = (await http.post(url(platform, "/warnings/checks/spending-growth"), headers=auth("hz-p1", "inspector"),
                            json={**body, "threshold": "0.80"})).json()
    assert calm["triggered"] is False and calm["warning"] is None


async def test_monthly_report_with_chart_and_workbook(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                      settled_in: dict, data_dir: Path) -> None:
    r = await http.post(url(platform, "/reports"), headers=auth("hz-p1", "inspector", "insp-1"),
                        json={"kind": "monthly", "period": "2025-06"})
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["due_on"], report["overdue"], report["program"]) == ("2025-07-10", True, "hz-chronic")
    assert report["figures"]["benefits"]["payable"] == "1750.35"
    assert report["figures"]["warnings"]["issued"] == 0  # the warnings above were issued in 2025-07 and later

    chart = await http.get(url(platform, f"/reports/{report['report_id']}/chart.png"),
                           headers=auth("hz-p1", "supervisor"))
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(PNG_MAGIC)
    assert hashlib.sha256(chart.content).hexdigest() == report["files"]["chart"]["sha256"] == \
        chart.headers["x-content-sha256"]

    xlsx = await http.get(url(platform, f"/reports/{report['report_id']}/workbook.xlsx"),
                          headers=auth("hz-p1", "finance"))
    assert xlsx.status_code == 200 and hashlib.sha256(xlsx.content).hexdigest() == report["files"]["workbook"]["sha256"]
    wb = load_workbook(io.BytesIO(xlsx.content))
    summary = {row[0].value: row[1].value for row in wb["Summary"].iter_rows()}
    assert summary["Period"] == "2025-06" and summary["Due on"] == "2025-07-10" and summary["Overdue"] is True
    assert Decimal(str(summary["Benefits payable"])) == Decimal("1750.35")
    total = list(wb["Benefits by disease"].iter_rows(values_only=True))[-1]
    assert total[0] == "Total" and Decimal(str(total[3])) == Decimal("2000.00") and \
        Decimal(str(total[4])) == Decimal("1750.35")
    institutions = {row[0]: Decimal(str(row[4])) for row in wb["Benefits by institution"].iter_rows(
        min_row=2, values_only=True)}
    assert institutions == {"H610702001": Decimal("1350.25"), "H610702002": Decimal("400.10"),
                            "Total": Decimal("1750.35")}
    findings = list(wb["Findings"].iter_rows(values_only=True))
    assert findings[-1][0] == "Total" and findings[-1][1] == 1 and Decimal(str(findings[-1][2])) == Decimal("99.90")

    files = sorted(p.name for p in (data_dir / "reports" / "hz-p1").iterdir())
    assert files == sorted([f"{report['report_id']}-chart.png", f"{report['report_id']}-workbook.xlsx"])
    assert not (data_dir / "reports" / "hz-p2").exists()

    async def produced() -> bool:
        trail = (await http.get(url(platform, "/trail"), params={"business_key": report["report_id"]},
                                headers=auth("hz-p1", "inspector"))).json()["entries"]
        return [e["type"] for e in trail] == ["report.produced"]

    await eventually(produced, what="report.produced")


async def test_quarterly_report_and_a_due_date_before_a_holiday(platform: EmbeddedPlatform,
                                                                 http: httpx.AsyncClient) -> None:
    r = await http.post(url(platform, "/reports"), headers=auth("hz-p1", "ops"),
                        json={"kind": "quarterly", "period": "2025-Q2"})
    assert r.status_code == 201, r.text
    assert r.json()["due_on"] == "2025-07-10" and r.json()["figures"]["benefits"]["payable"] == "2750.35"
    # January 2024's report: 2024-02-10 opens the Spring Festival holiday; due by the 10th ("10日前"), so the last
    # working day before it, Friday the 9th — never the adjusted working Sunday the 18th after it.
    r = await http.post(url(platform, "/reports"), headers=auth("hz-p1", "ops"),
                        json={"kind": "monthly", "period": "2024-01"})
    assert r.status_code == 201 and r.json()["due_on"] == "2024-02-09"
    assert r.json()["deadline"]["provisional"] is False
    assert r.json()["deadline"]["calendar"].startswith("official:chinese_calendar")
    listed = (await http.get(url(platform, "/reports"), params={"kind": "quarterly"},
                             headers=auth("hz-p1", "supervisor"))).json()
    assert [x["period"] for x in listed] == ["2025-Q2"] and "figures" not in listed[0]


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "weekly", "period": "2025-06"}, "kind"),
    ({"kind": "monthly", "period": "2025-Q2"}, "period"),
    ({"kind": "quarterly", "period": "2025-06"}, "period"),
    ({"kind": "monthly", "period": "2099-01"}, "period"),  # not started
    ({"kind": "monthly", "period": "2003-11"}, "date"),  # due 2003-12-10: no official calendar for 2003
    ({"kind": "monthly"}, "period"),
])
async def test_bad_report_requests(platform: EmbeddedPlatform, http: httpx.AsyncClient, body: dict,
                                   field: str) -> None:
    r = await http.post(url(platform, "/reports"), headers=auth("hz-p1", "inspector"), json=body)
    assert r.status_code == 422, r.text
    assert field in [f["field"] for f in r.json()["error"]["fields"]], r.text


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/warnings", {"kind": "x", "description": "d", "detected_on": "2025-01-01"}, "kind"),
    ("/warnings", {"kind": "spending", "description": "", "detected_on": "2025-01-01"}, "description"),
    ("/warnings", {"kind": "spending", "description": "d", "detected_on": "2999-01-01"}, "detected_on"),
    ("/warnings", {"kind": "spending", "description": "d", "detected_on": "2025-02-30"}, "detected_on"),
    ("/warnings/checks/spending-growth", {"month": "2025-6"}, "month"),
    ("/warnings/checks/spending-growth", {"month": "2025-06", "threshold": "lots"}, "threshold"),
])
async def test_bad_warning_requests(platform: EmbeddedPlatform, http: httpx.AsyncClient, path: str, body: dict,
                                    field: str) -> None:
    r = await http.post(url(platform, path), headers=auth("hz-p1", "inspector"), json=body)
    assert r.status_code == 422, r.text
    assert field in [f["field"] for f in r.json()["error"]["fields"]], r.text


async def test_roles(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    assert (await http.post(url(platform, "/reports"), headers=auth("hz-p1", "clerk"),
                            json={"kind": "monthly", "period": "2025-06"})).status_code == 403
    assert (await http.post(url(platform, "/warnings"), headers=auth("hz-p1", "ops"),
                            json={"kind": "spending", "description": "d"})).status_code == 403
    assert (await http.get(url(platform, "/warnings"), headers=auth("hz-p1", "applicant"))).status_code == 403
    assert (await http.get(url(platform, "/reports"))).status_code == 401


async def test_a_tampered_file_is_not_served(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                             data_dir: Path) -> None:
    report = (await http.post(url(platform, "/reports"), headers=auth("hz-p1", "inspector"),
                              json={"kind": "monthly", "period": "2025-05"})).json()
    path = data_dir / "reports" / "hz-p1" / f"{report['report_id']}-workbook.xlsx"
    path.write_bytes(path.read_bytes() + b"x")
    r = await http.get(url(platform, f"/reports/{report['report_id']}/workbook.xlsx"),
                       headers=auth("hz-p1", "inspector"))
    assert r.status_code == 409 and "sha256" in r.json()["error"]["message"]


async def test_another_tenant_sees_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    mine = auth("hz-p1", "inspector")
    reports = (await http.get(url(platform, "/reports"), headers=mine)).json()
    warnings = (await http.get(url(platform, "/warnings"), headers=mine)).json()
    assert reports and warnings
    other = auth("hz-p2", "inspector")
    rid, wid = reports[0]["report_id"], warnings[0]["warning_id"]
    for path in (f"/reports/{rid}", f"/reports/{rid}/chart.png", f"/reports/{rid}/workbook.xlsx",
                 f"/warnings/{wid}"):
        theirs = await http.get(url(platform, path), headers=other)
        none = await http.get(url(platform, path.replace(rid, "nope").replace(wid, "nope")), headers=other)
        assert theirs.status_code == none.status_code == 404, path
        assert theirs.json()["error"]["message"].replace(rid, "nope").replace(wid, "nope") == \
            none.json()["error"]["message"]
    r = await http.post(url(platform, f"/warnings/{wid}/report"), headers=auth("hz-p2", "supervisor"),
                        json={"report": "not mine"})
    assert r.status_code == 404
    assert (await http.get(url(platform, "/reports"), headers=other)).json() == []
    assert (await http.get(url(platform, "/warnings"), headers=other)).json() == []
    f = (await http.get(url(platform, "/figures"), params={"period": "2025-06"}, headers=other)).json()
    assert f["benefits"]["payable"] == "0.00" and f["findings"]["count"] == 0
    check = (await http.post(url(platform, "/warnings/checks/spending-growth"), headers=auth("hz-p2", "inspector"),
                             json={"month": "2025-06", "detected_on": "2025-07-02"})).json()
    assert check["current"] == "0.00" and check["triggered"] is False


async def test_a_running_month_gives_an_interim_report(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    from chassis.calendar import today_cn

    this_month = today_cn().strftime("%Y-%m")
    r = await http.post(url(platform, "/reports"), headers=auth("hz-p1", "inspector"),
                        json={"kind": "monthly", "period": this_month})
    assert r.status_code == 201, r.text
    assert r.json()["interim"] is True and r.json()["overdue"] is False
