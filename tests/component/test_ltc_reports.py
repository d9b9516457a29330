"""Long-term care's reports on the embedded platform: the LTC events of lot B put on the bus as their publishers
would, folded into audit's read model, and a quarterly business statistics report and a half-yearly operation report
produced from them — figures, a PNG chart and an Excel workbook whose sha256 match, `report.produced` in the trail.
Bad kinds and periods, roles, another lot (wz-a) and a tenant outside the program (hz-p1) are refused."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from contracts.v1 import events_pb2
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually
from tests.unit.audit.builders import PERSON_A, PERSON_B, build_stored, publish

T = "wz-b"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def lot_b_events() -> list[dict[str, Any]]:
    def app(app_id: str, person: str, status: str, at: str) -> tuple:
        return (f"care_application.{status}", events_pb2.CareApplicationChanged(
            application_id=app_id, person_id=person, status=status, lot="B", district="平阳县", channel="online",
            basis="old_age", insutype="390", occurred_at=at), person)

    records = [events_pb2.CareServiceRecord(record_id=f"r{i}", person_id=PERSON_A, caregiver_id="cg1",
                                            date="2025-05-06", items=["bath"], start="09:00", end="10:00")
               for i in range(10)]
    specs = [
        app("c1", PERSON_A, "submitted", "2025-04-01T09:00:00+08:00"),
        app("c1", PERSON_A, "accepted", "2025-04-03T09:00:00+08:00"),
        app("c2", PERSON_B, "submitted", "2025-05-01T09:00:00+08:00"),
        app("c2", PERSON_B, "rejected", "2025-05-06T09:00:00+08:00"),
        ("disability.concluded", events_pb2.DisabilityConcluded(
            assessment_id="d1", application_id="c1", person_id=PERSON_A, grade=5, eligible=True, scale_version="s1",
            concluded_at="2025-04-20T10:00:00+08:00", round=1, lot="B", kind="initial", assessment_fee="200.00"),
         PERSON_A),
        ("care_services.recorded", events_pb2.CareServicesRecorded(batch_id="b1", institution_id="WZB-C001",
                                                                   month="2025-05", records=records), "b1"),
        ("care_statement.paid", events_pb2.CareStatementPaid(
            statement_id="s1", institution_id="WZB-C001", month="2025-05", amount="1500.00", records=10, persons=1,
            benefits_version="wz-ltc-benefits-sample.2026", paid_at="2025-06-12T10:00:00+08:00",
            person_ids=[PERSON_A]), "s1"),
        ("assessment_fees.paid", events_pb2.AssessmentFeesPaid(
            statement_id="f1", month="2025-04", amount="200.00", assessments=1, paid_at="2025-05-15T10:00:00+08:00"),
         "f1"),
        ("patrol.completed", events_pb2.PatrolCompleted(
            patrol_id="p1", quarter="2025-Q2", institution_ids=["WZB-C001"], record_ids=["r0", "r1"],
            inspectors=["i1", "i2"], findings=["record_incomplete"], completed_at="2025-06-20T10:00:00+08:00",
            person_ids=[PERSON_A]), "p1"),
        ("status_survey.recorded", events_pb2.StatusSurveyRecorded(
            survey_id="v1", person_id=PERSON_A, year=2025, status="unchanged", surveyed_on="2025-06-21"), PERSON_A),
        ("institution.interviewed", events_pb2.InstitutionInterviewed(
            institution_id="WZB-C001", interview_id="iv1", held_on="2025-06-25", violations=["record_incomplete"],
            minutes_sha256="cd" * 32, outcome="rectify"), "WZB-C001"),
    ]
    return [build_stored(s, tenant=T) for s in specs]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
async def platform(data_dir: Path, fixture_business_date: str) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(data_dir)}, port_offset=embedded_port_offset())
    await p.start()
    await publish(p.bus, *lot_b_events())
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:
        yield client


def url(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('audit')}/v1{path}"


@pytest.fixture(scope="module")
async def folded(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    async def all_in() -> bool:
        trail = (await http.get(url(platform, "/trail"), params={"business_key": "WZB-C001"},
                                headers=auth(T, "inspector"))).json()["entries"]
        return [e["type"] for e in trail] == ["institution.interviewed"]

    await eventually(all_in, timeout=60, what="lot B's events in audit")


async def produce(http: httpx.AsyncClient, platform: EmbeddedPlatform, tenant: str, kind: str, period: str,
                  role: str = "inspector") -> httpx.Response:
    return await http.post(url(platform, "/reports"), json={"kind": kind, "period": period},
                           headers=auth(tenant, role, "insp-1"))


async def files_match(http: httpx.AsyncClient, platform: EmbeddedPlatform, report: dict) -> Any:
    chart = await http.get(url(platform, f"/reports/{report['report_id']}/chart.png"), headers=auth(T, "supervisor"))
    assert chart.status_code == 200 and chart.content.startswith(PNG_MAGIC)
    assert hashlib.sha256(chart.content).hexdigest() == report["files"]["chart"]["sha256"]
    xlsx = await http.get(url(platform, f"/reports/{report['report_id']}/workbook.xlsx"), headers=auth(T, "finance"))
    assert xlsx.status_code == 200 and hashlib.sha256(xlsx.content).hexdigest() == report["files"]["workbook"]["sha256"]
    return load_workbook(io.BytesIO(xlsx.content))


async def test_the_quarter_s_business_statistics(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                 folded: None) -> None:
    r = await produce(http, platform, T, "ltc_quarterly", "2025-Q2")
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["kind"], report["program"], report["due_on"], report["overdue"]) == (
        "ltc_quarterly", "wz-ltc", "2025-07-10", True)
    f = report["figures"]
    assert (f["applications"]["received"], f["applications"]["accepted"], f["applications"]["rejected"]) == (2, 1, 1)
    assert f["assessments"]["by_grade"]["5"] == 1 and f["persons_covered"]["at_end"] == 1
    assert f["care_services"]["records"] == 10 and f["care_statements"]["amount"] == "1500.00"
    assert f["accounting"]["total_paid"] == "1700.00"
    assert PERSON_A not in report["figures"].__repr__()
    wb = await files_match(http, platform, report)
    summary = {row[0].value: row[1].value for row in wb["Summary"].iter_rows()}
    assert summary["Kind"] == "ltc_quarterly" and summary["Care benefits paid"] == 1500
    listed = (await http.get(url(platform, "/reports"), params={"kind": "ltc_quarterly"},
                             headers=auth(T, "ops"))).json()
    assert [x["report_id"] for x in listed] == [report["report_id"]]

    async def produced_event() -> bool:
        trail = (await http.get(url(platform, "/trail"), params={"business_key": report["report_id"]},
                                headers=auth(T, "inspector"))).json()["entries"]
        return [e["type"] for e in trail] == ["report.produced"]

    await eventually(produced_event, what="report.produced back in the trail")


async def test_the_half_year_s_operation_report(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                folded: None) -> None:
    r = await produce(http, platform, T, "ltc_operation_half_yearly", "2025-H1", role="ops")
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["due_on"] == "2025-07-10" and report["period"] == "2025-H1"
    f = report["figures"]
    assert (f["patrols"]["count"], f["patrols"]["records_sampled"], f["interviews"]["count"]) == (1, 2, 1)
    q2 = f["samples"]["quarters"][1]
    assert (q2["delivered"], q2["required"], q2["sampled"], q2["met"]) == (10, 2, 2, True)
    assert f["status_surveys"]["year"] == {**f["status_surveys"]["year"], "required": 1, "surveyed": 1, "met": True}
    assert f["score"] is None
    wb = await files_match(http, platform, report)
    assert wb.sheetnames == ["Summary", "Samples", "Findings", "Interviews", "Status surveys"]
    yearly = await produce(http, platform, T, "ltc_yearly", "2025")
    assert yearly.status_code == 201 and yearly.json()["due_on"] == "2026-01-09"  # the 10th is a Saturday


@pytest.mark.parametrize(("kind", "period", "field"), [
    ("ltc_quarterly", "2025-Q5", "period"),
    ("ltc_quarterly", "2025-06", "period"),          # a quarterly report names a quarter
    ("ltc_operation_quarterly", "2025-H1", "period"),
    ("ltc_half_yearly", "2025-H3", "period"),
    ("ltc_monthly", "2027-01", "period"),             # not started yet
    ("ltc_operation_monthly", "2025-06", "kind"),     # no such kind: operation reports are quarterly and longer
])
async def test_bad_kind_or_period(platform: EmbeddedPlatform, http: httpx.AsyncClient, kind: str, period: str,
                                  field: str) -> None:
    r = await produce(http, platform, "wz-c", kind, period)
    assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text
    assert (await http.get(url(platform, "/reports"), headers=auth("wz-c", "inspector"))).json() == []


async def test_roles_lots_and_other_programs(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                             folded: None) -> None:
    for role in ("clerk", "finance", "supervisor", "applicant"):
        assert (await produce(http, platform, T, "ltc_monthly", "2025-05", role=role)).status_code == 403, role
    assert (await produce(http, platform, "hz-p1", "ltc_monthly", "2025-05")).status_code == 404
    # wz-a's report of the same quarter holds nothing of lot B; it cannot open lot B's.
    mine = await produce(http, platform, "wz-a", "ltc_quarterly", "2025-Q2")
    assert mine.status_code == 201
    assert mine.json()["figures"]["applications"]["received"] == 0
    assert mine.json()["figures"]["care_statements"]["paid"] == 0
    theirs = (await http.get(url(platform, "/reports"), params={"kind": "ltc_quarterly"},
                             headers=auth(T, "inspector"))).json()
    for report in theirs:
        assert (await http.get(url(platform, f"/reports/{report['report_id']}"),
                               headers=auth("wz-a", "inspector"))).status_code == 404
        assert (await http.get(url(platform, f"/reports/{report['report_id']}/chart.png"),
                               headers=auth("wz-a", "supervisor"))).status_code == 404


async def test_no_identity_number_is_kept_in_clear(platform: EmbeddedPlatform, folded: None) -> None:
    """The read model seals the persons of applications, assessments and surveys, and keeps only counts of the
    persons care services, statements and patrols list."""
    from tests.support.pii_scan import scan_stores

    found, docs = await scan_stores(platform.store, ("audit",), (T,), (PERSON_A, PERSON_B, PERSON_A.lower()))
    assert docs > 10 and found == []
