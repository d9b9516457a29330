"""The long-term care carrier's yearly score (audit, /v1/ltc/scores) and fee (settlement, /v1/fund/ltc-fee) on the
embedded platform: the agency scores its lot's carrier by deductions (the grade at 90/80/70/60 through the door), a
deduction above its item's weight or a body setting the score is refused and nothing is written, a correction
replaces the score with the earlier kept; `carrier_score.assessed` reaches settlement, whose fee turns from
`awaiting_score` to the score's performance part; the performance money is recorded once, refused before the score
and when the score pays nothing, and its payment reaches audit's schedule. Roles, lots (wz-a vs wz-b) and a tenant
outside the program (hz-p1) are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually

SUP = ("supervisor", "city-office")


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory, fixture_business_date: str
                   ) -> AsyncIterator[EmbeddedPlatform]:
    # Today is pinned to 2026-11-30 (the business date): 2025 is over, 2026 is not.
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(tmp_path_factory.mktemp("data"))},
                         port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:
        yield client


def scores(platform: EmbeddedPlatform, path: str = "") -> str:
    return f"{platform.url('audit')}/v1/ltc/scores{path}"


def fee(platform: EmbeddedPlatform, path: str = "") -> str:
    return f"{platform.url('settlement')}/v1/fund/ltc-fee{path}"


async def score(http: httpx.AsyncClient, platform: EmbeddedPlatform, tenant: str, body: dict[str, Any],
                role: tuple[str, str] = SUP) -> httpx.Response:
    return await http.post(scores(platform), json=body, headers=auth(tenant, *role))


async def fee_of(http: httpx.AsyncClient, platform: EmbeddedPlatform, caller: str, year: int,
                 role: str = "finance", **params: Any) -> httpx.Response:
    return await http.get(fee(platform), params={"year": year, **params}, headers=auth(caller, role))


@pytest.mark.parametrize(("deductions", "score_", "grade", "lost"), [
    ({}, "100", "excellent", False),
    ({"reporting": "10"}, "90", "excellent", False),
    ({"reporting": "10", "fund_supervision": "0.01"}, "89.99", "good", False),
    ({"reporting": "10", "agency_evaluation": "10"}, "80", "good", False),
    ({"reporting": "10", "agency_evaluation": "10", "insured_evaluation": "0.01"}, "79.99", "pass", False),
    ({"reporting": "10", "agency_evaluation": "15", "insured_evaluation": "5"}, "70", "pass", False),
    ({"reporting": "10", "agency_evaluation": "15", "insured_evaluation": "5.01"}, "69.99", "poor", False),
    ({"reporting": "10", "agency_evaluation": "15", "insured_evaluation": "15"}, "60", "poor", False),
    ({"reporting": "10", "agency_evaluation": "15", "insured_evaluation": "15.5"}, "59.5", "fail", True),
])
async def test_the_grade_at_the_bands_boundaries_through_the_door(platform: EmbeddedPlatform,
                                                                  http: httpx.AsyncClient, deductions: dict,
                                                                  score_: str, grade: str, lost: bool) -> None:
    # Each a correction of wz-c's 2024 score: the answer is the score in force.
    r = await score(http, platform, "wz-c", {"year": 2024, "deductions": deductions, "assessed_on": "2025-03-02"})
    assert r.status_code == 201, r.text
    s = r.json()["score"]
    assert (s["score"], s["grade"], s["contract_lost"]) == (score_, grade, lost)
    assert s["items_version"] == "wz-ltc-score-sample.1" and s["reason_codes"][-1]["code"] == "ltc_grade"


async def test_corrections_keep_the_history(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    year = (await http.get(scores(platform, "/2024"), headers=auth("wz-c", "finance"))).json()
    assert year["score"]["revision"] == len(year["history"]) + 1 >= 9
    assert year["score"]["assessed_on"] == "2025-03-02" and year["history"][0]["score"] == "100"
    assert year["lot"] == "C"


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"year": 2025, "deductions": {"reporting": "10.5"}}, "deductions.reporting", "deduction_above_weight"),
    ({"year": 2025, "deductions": {"catering": "1"}}, "deductions.catering", "invalid_input"),
    ({"year": 2025, "deductions": {"reporting": "-1"}}, "deductions.reporting", "invalid_input"),
    ({"year": 2025, "deductions": {"reporting": 2}}, "deductions.reporting", "invalid_input"),
    ({"year": 2025, "deductions": {}, "score": "101"}, "score", "score_not_settable"),
    ({"year": 2025, "deductions": {}, "grade": "excellent"}, "grade", "score_not_settable"),
    ({"year": 2025}, "deductions", "invalid_input"),
    ({"year": 2026, "deductions": {}}, "assessed_on", "score_year_not_ended"),
    ({"year": 2022, "deductions": {}}, "year", "invalid_input"),
    ({"year": "2025", "deductions": {}}, "year", "invalid_input"),
    ({"year": 2025, "deductions": {}, "assessed_on": "2025-12-31"}, "assessed_on", "score_year_not_ended"),
    ({"year": 2025, "deductions": {}, "assessed_on": "2026-12-01"}, "assessed_on", "invalid_input"),
    ({"year": 2025, "deductions": {}, "note": "x" * 2001}, "note", "invalid_input"),
    ({"year": 2025, "deductions": {}, "tenant": "wz-a"}, "tenant", "invalid_input"),
])
async def test_bad_input_names_the_field_and_writes_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                            body: dict, field: str, code: str) -> None:
    r = await score(http, platform, "wz-d", body)
    assert r.status_code == 422, r.text
    assert (r.json()["error"]["field"], r.json()["error"]["code"]) == (field, code)
    listed = (await http.get(scores(platform), headers=auth("wz-d", "ops"))).json()
    assert listed == []


async def test_roles_and_tenants(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    body = {"year": 2025, "deductions": {}}
    for role in ("finance", "ops", "clerk", "inspector", "applicant", "institution"):
        assert (await score(http, platform, "wz-e", body, (role, "u1"))).status_code == 403, role
    for role in ("applicant", "inspector", "institution", "expert"):
        assert (await http.get(scores(platform, "/2025"), headers=auth("wz-e", role))).status_code == 403, role
    # Outside the long-term care program: 404 before the body is read.
    assert (await http.post(scores(platform), content=b"{not json", headers=auth("hz-p1", *SUP))).status_code == 404
    assert (await http.get(scores(platform, "/2025"), headers=auth("hz-p1", "finance"))).status_code == 404
    assert (await fee_of(http, platform, "hz-p1", 2025)).status_code == 404
    assert (await http.post(fee(platform, "/2025/performance-payment"), content=b"{",
                            headers=auth("hz-p1", "finance"))).status_code == 404
    assert (await http.get(scores(platform, "/2025"), params={"tenant": "wz-c"},
                           headers=auth("hz-p1", "supervisor", program="hz-chronic"))).status_code == 404
    assert (await fee_of(http, platform, "wz-e", 2025, "clerk")).status_code == 403
    assert (await http.post(fee(platform, "/2025/performance-payment"), json={},
                            headers=auth("wz-e", "supervisor"))).status_code == 403


async def test_the_score_reaches_the_fee_and_the_money_is_paid_once(platform: EmbeddedPlatform,
                                                                    http: httpx.AsyncClient) -> None:
    # Before the score: the fee with its performance part awaiting it; the money refused.
    r = await fee_of(http, platform, "wz-b", 2025)
    assert r.status_code == 200, r.text
    before = r.json()
    assert (before["status"], before["lot"], before["unit_price"], before["insured"], before["first_year"]) == (
        "awaiting_score", "B", "3.20", 794_300, False)
    assert (before["fee"], before["withheld"], before["paid_in_year"], before["performance_paid"]) == (
        "2541760.00", "254176.00", "2287584.00", None)
    assert before["reason_codes"][-1]["code"] == "ltc_awaiting_score" and before["version"]
    pay = fee(platform, "/2025/performance-payment")
    refused = await http.post(pay, json={"paid_on": "2026-04-01"}, headers=auth("wz-b", "finance"))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "ltc_score_not_assessed"

    # The carrier's report, then the score: 100 − 15 = 85, 良好.
    report = await http.post(scores(platform, "/2025/carrier-report"), headers=auth("wz-b", "ops", "carrier-ops"),
                             json={"sha256": "ab" * 32, "file_name": "2025年度运行情况报告.pdf",
                                   "submitted_on": "2026-01-20"})
    assert report.status_code == 201, report.text
    again = await http.post(scores(platform, "/2025/carrier-report"), headers=auth("wz-b", *SUP),
                            json={"sha256": "cd" * 32})
    assert again.status_code == 409 and again.json()["error"]["code"] == "carrier_report_submitted"
    r = await score(http, platform, "wz-b", {"year": 2025, "deductions": {"service_management": "6",
                                                                         "insured_evaluation": "9"},
                                             "assessed_on": "2026-03-10", "note": "现场检查与问卷"})
    assert r.status_code == 201, r.text
    year = r.json()
    assert (year["score"]["score"], year["score"]["grade"], year["status"]) == ("85", "good", "assessed")
    steps = {s["step"]: s for s in year["schedule"]}
    assert (steps["carrier_report"]["due_on"], steps["carrier_report"]["done_on"],
            steps["carrier_report"]["overdue"]) == ("2026-02-02", "2026-01-20", False)
    assert (steps["assessment"]["due_on"], steps["assessment"]["done_on"], steps["assessment"]["overdue"]) == (
        "2026-03-31", "2026-03-10", False)
    assert (steps["performance_payment"]["due_on"], steps["performance_payment"]["done_on"],
            steps["performance_payment"]["overdue"]) == ("2026-04-10", None, True)  # today is long past it

    async def scored() -> dict | None:
        view = (await fee_of(http, platform, "wz-b", 2025)).json()
        return view if view["status"] == "scored" else None

    after = await eventually(scored, timeout=60, what="carrier_score.assessed kept by settlement")
    assert (after["score"], after["grade"], after["performance_paid"], after["contract_lost"]) == (
        "85", "good", "203340.80", False)
    assert after["assessment"]["performance_due_on"] == "2026-04-10"
    assert [c["code"] for c in after["reason_codes"]] == ["ltc_fee", "ltc_withheld", "ltc_score_band"]

    # wz-a sees nothing of wz-b's score or fee; the program's supervisor reads both.
    mine = (await http.get(scores(platform, "/2025"), headers=auth("wz-a", "finance"))).json()
    assert mine["status"] == "not_assessed" and mine["carrier_report"] is None
    assert (await http.get(scores(platform, "/2025"), params={"tenant": "wz-b"},
                           headers=auth("wz-a", "finance"))).status_code == 404
    assert (await fee_of(http, platform, "wz-a", 2025, tenant="wz-b")).status_code == 404
    agency = await http.get(scores(platform, "/2025"), params={"tenant": "wz-b"},
                            headers=auth("wz-a", "supervisor", program="wz-ltc"))
    assert agency.status_code == 200 and agency.json()["score"]["score"] == "85"
    theirs = await http.get(fee(platform), params={"year": 2025, "tenant": "wz-b"},
                            headers=auth("wz-a", "supervisor", program="wz-ltc"))
    assert theirs.status_code == 200 and theirs.json()["performance_paid"] == "203340.80"

    # The money, once: recorded late (due 2026-04-10), then refused a second time.
    bad = await http.post(pay, json={"paid_on": "2026-03-01"}, headers=auth("wz-b", "finance"))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "paid_on"
    bad = await http.post(pay, json={"amount": "1.00"}, headers=auth("wz-b", "finance"))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "amount"
    paid = await http.post(pay, json={"paid_on": "2026-04-15", "reference": "PZ-2026-0415"},
                           headers=auth("wz-b", "finance", "fin-1"))
    assert paid.status_code == 201, paid.text
    payment = paid.json()["performance_payment"]
    assert (payment["amount"], payment["paid_on"], payment["due_on"], payment["overdue"], paid.json()["status"]) == (
        "203340.80", "2026-04-15", "2026-04-10", True, "performance_paid")
    twice = await http.post(pay, json={"paid_on": "2026-04-16"}, headers=auth("wz-b", "finance"))
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "ltc_performance_already_paid"

    async def shown_in_audit() -> dict | None:
        view = (await http.get(scores(platform, "/2025"), headers=auth("wz-b", "clerk"))).json()
        step = {s["step"]: s for s in view["schedule"]}["performance_payment"]
        return view if step["done_on"] == "2026-04-15" else None

    view = await eventually(shown_in_audit, timeout=60, what="ltc_fee.performance_paid in audit's schedule")
    assert {s["step"]: s for s in view["schedule"]}["performance_payment"]["overdue"] is True
    assert view["performance_payment"]["amount"] == "203340.80"


async def test_the_first_year_and_a_score_that_pays_nothing(platform: EmbeddedPlatform,
                                                            http: httpx.AsyncClient) -> None:
    first = (await fee_of(http, platform, "wz-a", 2023)).json()
    # A: 3.31 × 853,900 = 2,826,409.00; the first year three quarters.
    assert (first["first_year"], first["fee"], first["withheld"]) == (True, "2119806.75", "211980.68")
    assert [c["code"] for c in first["reason_codes"]] == ["ltc_fee", "ltc_first_year", "ltc_withheld",
                                                          "ltc_awaiting_score"]
    r = await score(http, platform, "wz-a", {"year": 2023, "deductions": {"service_management": "30",
                                                                         "fund_supervision": "15"},
                                             "assessed_on": "2024-03-20"})
    assert r.status_code == 201 and r.json()["score"]["grade"] == "fail" and r.json()["score"]["contract_lost"]

    async def scored() -> dict | None:
        view = (await fee_of(http, platform, "wz-a", 2023, "ops")).json()
        return view if view["status"] == "scored" else None

    view = await eventually(scored, timeout=60, what="wz-a's 2023 score kept by settlement")
    assert (view["performance_paid"], view["contract_lost"], view["paid_in_year"]) == ("0.00", True, "1907826.07")
    nothing = await http.post(fee(platform, "/2023/performance-payment"), json={},
                              headers=auth("wz-a", "finance"))
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "ltc_no_performance_money"
    assert (await fee_of(http, platform, "wz-a", 2027)).status_code == 422
