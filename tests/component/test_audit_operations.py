"""Fund operation reports (基金运行分析) and anomaly checks (异常预警) on the embedded platform: settlement's fund
events folded into audit's read model, monthly and yearly reports with their PNG chart and Excel workbook, the
anomaly check opening one warning, and tenancy: carriers apart, the agency supervisor across its program only."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from contracts.v1 import events_pb2
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support import tokens
from tests.unit.audit.builders import build_stored, granted, person, policy, publish, settled

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
P = [person(i) for i in range(1, 9)]


def supervisor(tenant: str, program: str) -> dict[str, str]:
    return {"authorization": f"Bearer {tokens.user_token(tenant, 'supervisor', 'agency-1', program=program)}"}


def allocation(entry: str, amount: str, program: str = "hz-chronic") -> tuple:
    return ("ledger.posted", events_pb2.LedgerPosted(
        entry_id=entry, program=program, year=2025, date="2025-01-06", kind="allocation", amount=amount,
        postings=[events_pb2.LedgerPosting(account="bank", debit=amount),
                  events_pb2.LedgerPosting(account="fund_payable", credit=amount)]), entry)


HZ_P1 = [policy(), *[granted(f"q{i}", P[i], "HTN", "2025-01-05", "2025-02-01") for i in range(5)],
         # May: five persons at 100.00; June: 100, 110, 90, 105 at H1..H4 and 400 at H5 (805.00, +61%).
         *[settled(P[i], f"H{i + 1}", "2025-05", "120.00", "100.00") for i in range(5)],
         *[settled(P[i], f"H{i + 1}", "2025-06", "150.00", amount)
           for i, amount in enumerate(("100.00", "110.00", "90.00", "105.00", "400.00"))],
         allocation("hz-p1-a1", "72000000.00")]
HZ_P2 = [settled(P[6], "H9", "2025-06", "300.00", "250.00"), allocation("hz-p2-a1", "48000000.00")]
QZ = [("critical_claim.settled", events_pb2.CriticalClaimSettled(
          claim_id="qc1", person_id=P[7], date="2025-06-12", care="inpatient", area="in_area", networked=True,
          source="platform", institution_code="Q1", self_pay="32000.00", payable="9800.00", disease="C34",
          total_cost="60000.00", review_required=True), P[7]),
      ("critical_review.completed", events_pb2.CriticalReviewCompleted(
          review_id="qr1", claim_id="qc1", person_id=P[7], stratum="in_area_large", outcome="adjusted",
          recovered="120.50", completed_at="2025-06-20T10:00:00+08:00"), P[7]),
      ("fund_year.closed", events_pb2.FundYearClosed(program="qz-critical", year=2025, outcome="surplus",
                                                     amount="700000.00", carrier_share="450000.00",
                                                     fund_share="250000.00"), "qz-critical:2025")]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
async def platform(data_dir: Path) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(data_dir)}, port_offset=embedded_port_offset())
    await p.start()
    await publish(p.bus, *[build_stored(e, "hz-p1") for e in HZ_P1], *[build_stored(e, "hz-p2") for e in HZ_P2],
                  *[build_stored(e, "qz-ci") for e in QZ])
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:
        yield client


def url(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('audit')}/v1{path}"


@pytest.fixture(scope="module")
async def folded(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> bool:
    async def all_in() -> bool:
        for tenant, count in (("hz-p1", len(HZ_P1)), ("hz-p2", len(HZ_P2)), ("qz-ci", len(QZ))):
            r = await http.get(url(platform, "/trail"), headers=auth(tenant, "inspector"))
            if r.status_code != 200 or len(r.json()["entries"]) < count:
                return False
        return True

    return await eventually(all_in, what="every fund event in its tenant's trail")


async def produce(platform: EmbeddedPlatform, http: httpx.AsyncClient, headers: dict, kind: str,
                  period: str) -> dict:
    r = await http.post(url(platform, "/operation-reports"), headers=headers, json={"kind": kind, "period": period})
    assert r.status_code == 201, r.text
    return r.json()


async def test_monthly_report_with_chart_and_workbook(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                      folded: bool) -> None:
    report = await produce(platform, http, auth("hz-p1", "inspector", "insp-1"), "monthly", "2025-06")
    assert (report["scope"], report["tenants"], report["due_on"], report["overdue"]) == (
        "tenant", ["hz-p1"], "2025-07-10", True)
    total = report["figures"]["total"]
    s = total["spending"]
    assert (s["payable"], s["persons"], s["per_capita"]) == ("805.00", 5, "161.00")
    assert s["by_institution"]["H5"]["payable"] == "400.00" and s["by_disease"]["HTN"]["payable"] == "805.00"
    b = total["budget"]
    # 480,000,000 × 0.6; 72,000,000 allocated = 0.2500; 905.00 spent since January (May 500 + June 805 = 1305.00).
    assert (b["budget"], b["allocated_to_date"], b["allocated_share"], b["spent_to_date"], b["elapsed_share"]) == (
        "288000000.00", "72000000.00", "0.2500", "1305.00", "0.5000")
    assert report["settings"].startswith("programs/hz-chronic/program.yaml sha256:")

    chart = await http.get(url(platform, f"/operation-reports/{report['report_id']}/files/chart"),
                           headers=auth("hz-p1", "finance"))
    assert chart.status_code == 200 and chart.content.startswith(PNG_MAGIC)
    assert chart.headers["x-content-sha256"] == report["files"]["chart"]["sha256"]
    xlsx = await http.get(url(platform, f"/operation-reports/{report['report_id']}/files/workbook"),
                          headers=auth("hz-p1", "supervisor"))
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    summary = {row[0].value: row[1].value for row in wb["Summary"].iter_rows()}
    assert Decimal(str(summary["Spending"])) == Decimal("805.00") and summary["Due on"] == "2025-07-10"
    institutions = {row[0]: Decimal(str(row[1])) for row in wb["By institution"].iter_rows(min_row=2,
                                                                                           values_only=True)}
    assert institutions["H5"] == Decimal("400.00") and institutions["Total"] == Decimal("805.00")

    async def produced() -> bool:
        trail = (await http.get(url(platform, "/trail"), params={"business_key": report["report_id"]},
                                headers=auth("hz-p1", "inspector"))).json()["entries"]
        return [e["type"] for e in trail] == ["report.produced"]

    await eventually(produced, what="report.produced")


async def test_yearly_report_and_critical_figures(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                  folded: bool) -> None:
    report = await produce(platform, http, auth("hz-p1", "ops"), "yearly", "2025")
    # By the 10th of the next January; 2026-01-10 is a Saturday, so Friday the 9th (never later).
    assert (report["kind"], report["due_on"], report["overdue"]) == ("yearly", "2026-01-09", True)
    assert report["deadline"]["provisional"] is False
    s = report["figures"]["total"]["spending"]
    assert s["payable"] == "1305.00" and list(s["by_month"]) == [f"2025-{m:02d}" for m in range(1, 13)]
    assert s["by_month"]["2025-05"]["payable"] == "500.00"
    wb = load_workbook(io.BytesIO((await http.get(
        url(platform, f"/operation-reports/{report['report_id']}/files/workbook"),
        headers=auth("hz-p1", "ops"))).content))
    months = {row[0]: Decimal(str(row[1])) for row in wb["By month"].iter_rows(min_row=2, values_only=True)}
    assert months["2025-06"] == Decimal("805.00") and months["Total"] == Decimal("1305.00")

    qz = await produce(platform, http, auth("qz-ci", "finance"), "yearly", "2025")
    t = qz["figures"]["total"]
    # The sample bid 142.50 (not the ceiling 149.00) × 2,257,900 insured; one claim paid 9,800.00; its review
    # recovered 120.50; the year closed in surplus.
    assert (t["spending"]["payable"], t["spending"]["by_care"]["inpatient"]["payable"], t["budget"]["budget"]) == (
        "9800.00", "9800.00", "321750750.00")
    assert (t["reviews"]["completed"], t["reviews"]["recovered"]) == (1, "120.50")
    assert t["year_result"][0]["outcome"] == "surplus" and t["year_result"][0]["carrier_share"] == "450000.00"


async def test_carriers_are_kept_apart(platform: EmbeddedPlatform, http: httpx.AsyncClient, folded: bool) -> None:
    mine = await produce(platform, http, auth("hz-p1", "inspector"), "monthly", "2025-06")
    theirs = await produce(platform, http, auth("hz-p2", "inspector"), "monthly", "2025-06")
    assert theirs["figures"]["total"]["spending"]["payable"] == "250.00"  # never hz-p1's 805.00
    assert list(theirs["figures"]["by_tenant"]) == ["hz-p2"]
    assert theirs["figures"]["total"]["budget"]["budget"] == "192000000.00"  # 480,000,000 × 0.4
    for path in (f"/operation-reports/{mine['report_id']}", f"/operation-reports/{mine['report_id']}/files/chart"):
        r = await http.get(url(platform, path), headers=auth("hz-p2", "inspector"))
        assert r.status_code == 404, r.text
    listed = (await http.get(url(platform, "/operation-reports"), headers=auth("hz-p2", "finance"))).json()
    assert mine["report_id"] not in [x["report_id"] for x in listed] and theirs["report_id"] in [
        x["report_id"] for x in listed]
    assert (await http.get(url(platform, "/operation-reports"), headers=auth("hz-p2", "clerk"))).status_code == 403


async def test_the_agency_supervisor_reads_across_its_program_only(platform: EmbeddedPlatform,
                                                                  http: httpx.AsyncClient, folded: bool) -> None:
    report = await produce(platform, http, supervisor("hz-p1", "hz-chronic"), "monthly", "2025-06")
    f = report["figures"]
    assert (report["scope"], report["tenants"], report["stored_in"]) == ("program", ["hz-p1", "hz-p2"], "hz-p1")
    assert {t: v["spending"]["payable"] for t, v in f["by_tenant"].items()} == {"hz-p1": "805.00", "hz-p2": "250.00"}
    assert (f["total"]["spending"]["payable"], f["total"]["spending"]["persons"]) == ("1055.00", 6)
    # 72,000,000 + 48,000,000 allocated of 480,000,000.
    assert (f["total"]["budget"]["budget"], f["total"]["budget"]["allocated_share"]) == ("480000000.00", "0.2500")
    wb = load_workbook(io.BytesIO((await http.get(
        url(platform, f"/operation-reports/{report['report_id']}/files/workbook"),
        headers=supervisor("hz-p1", "hz-chronic"))).content))
    rows = {row[0]: Decimal(str(row[1])) for row in wb["By tenant"].iter_rows(min_row=2, values_only=True)}
    assert rows == {"hz-p1": Decimal("805.00"), "hz-p2": Decimal("250.00"), "Total": Decimal("1055.00")}

    # Another supervisor of the program (token tenant hz-p2) reads it; a carrier's staff never do (it holds the
    # other carrier's figures), nor the Quzhou agency.
    other = await http.get(url(platform, f"/operation-reports/{report['report_id']}"),
                           headers=supervisor("hz-p2", "hz-chronic"))
    assert other.status_code == 200 and other.json()["figures"]["total"]["spending"]["payable"] == "1055.00"
    for headers in (auth("hz-p1", "inspector"), auth("hz-p2", "inspector"), supervisor("qz-ci", "qz-critical"),
                    auth("hz-p1", "supervisor")):  # a supervisor token without its program claim: its tenant only
        r = await http.get(url(platform, f"/operation-reports/{report['report_id']}"), headers=headers)
        assert r.status_code == 404, (headers, r.text)
    qz = await produce(platform, http, supervisor("qz-ci", "qz-critical"), "monthly", "2025-06")
    assert (qz["scope"], qz["tenants"], qz["figures"]["total"]["spending"]["payable"]) == (
        "program", ["qz-ci"], "9800.00")
    listed = (await http.get(url(platform, "/operation-reports"), headers=supervisor("qz-ci", "qz-critical"))).json()
    assert {x["program"] for x in listed} == {"qz-critical"}
    # A supervisor token claiming another program than its tenant's gets its own tenant's figures only.
    cross = await produce(platform, http, supervisor("hz-p2", "qz-critical"), "monthly", "2025-06")
    assert (cross["scope"], cross["tenants"], cross["figures"]["total"]["spending"]["payable"]) == (
        "tenant", ["hz-p2"], "250.00")


async def test_anomaly_check_opens_one_warning(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                               folded: bool) -> None:
    body = {"month": "2025-06", "detected_on": "2025-07-02",
            # Only the institution check: growth (+61%) and the person above peers are silenced here.
            "thresholds": {"growth": "10", "person_k": "100"}}
    r = await http.post(url(platform, "/warnings/checks/anomalies"), headers=auth("hz-p1", "inspector"), json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["spending_growth"]["growth"] == "0.6100" and out["spending_growth"]["triggered"] is False
    [hit] = out["hits"]
    w = hit["warning"]
    assert (hit["check"], hit["subject"], hit["created"]) == ("institution_outlier", "H5", True)
    assert (w["kind"], w["due_on"], w["status"], w["overdue"]) == ("institution_outlier", "2025-07-11", "open", True)
    finding = w["evidence"]["findings"][0]
    # 100, 110, 90, 105, 400: median 105, MAD 5, z = 0.6745 × 295 / 5
    assert (finding["value"], finding["peer_median"], finding["modified_z"]) == ("400.00", "105.00", "39.80")
    assert {r["code"] for r in hit["reason_codes"]} == {"institution_outlier"}
    again = (await http.post(url(platform, "/warnings/checks/anomalies"), headers=auth("hz-p1", "inspector"),
                             json=body)).json()
    assert again["created"] == 0 and again["hits"][0]["warning"]["warning_id"] == w["warning_id"]
    listed = (await http.get(url(platform, "/warnings"), params={"overdue": "true"},
                             headers=auth("hz-p1", "inspector"))).json()
    assert w["warning_id"] in [x["warning_id"] for x in listed]
    # Not hz-p2's warning, and hz-p2's month has nothing to flag.
    assert (await http.get(url(platform, f"/warnings/{w['warning_id']}"), headers=auth("hz-p2", "inspector"))
            ).status_code == 404
    p2 = (await http.post(url(platform, "/warnings/checks/anomalies"), headers=auth("hz-p2", "inspector"),
                          json=body)).json()
    assert p2["hits"] == [] and p2["spending_growth"]["current"] == "250.00"

    async def issued() -> bool:
        trail = (await http.get(url(platform, "/trail"), params={"business_key": w["warning_id"]},
                                headers=auth("hz-p1", "inspector"))).json()["entries"]
        return [e["type"] for e in trail] == ["warning.issued"]

    await eventually(issued, what="warning.issued")


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/operation-reports", {"kind": "weekly", "period": "2025-06"}, "kind"),
    ("/operation-reports", {"kind": "yearly", "period": "2025-06"}, "period"),
    ("/operation-reports", {"kind": "monthly", "period": "2099-01"}, "period"),
    ("/warnings/checks/anomalies", {"month": "2025-6"}, "month"),
    ("/warnings/checks/anomalies", {"month": "2025-06", "thresholds": {"k": "1"}}, "thresholds.k"),
    ("/warnings/checks/anomalies", {"month": "2025-06", "detected_on": "2999-01-01"}, "detected_on"),
])
async def test_bad_requests_write_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient, path: str, body: dict,
                                          field: str) -> None:
    r = await http.post(url(platform, path), headers=auth("qz-ci", "inspector"), json=body)
    assert r.status_code == 422, r.text
    assert field in [f["field"] for f in r.json()["error"]["fields"]], r.text
    warnings = (await http.get(url(platform, "/warnings"), headers=auth("qz-ci", "inspector"))).json()
    assert warnings == []
