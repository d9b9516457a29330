"""Clocks as the tenders state them, through the services on the embedded platform: complaint deadlines from the
caller's own program (qz-ci is not Hanzhong), the appraisal clock from the day the application became complete
(申报完成) — not the clerk's review — with overdue alerts, and a provisional deadline (a year whose official
holiday schedule is not published) worked out again once the year's file is loaded. Tenants and roles apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import holidays
import httpx
import pytest
import yaml

from chassis import calendar as cal
from chassis.calendar import WorkingCalendar, add_working_days, today_cn
from chassis.events import decode, topic_for
from jingban.embedded import EmbeddedPlatform
from jingban.flow import Walk
from tests.conftest import embedded_port_offset, eventually
from tests.support import tokens


def _valid(body17: str) -> str:
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(d) * x for d, x in zip(body17, w, strict=True)) % 11]


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(port_offset=embedded_port_offset())
    await p.start()
    async with httpx.AsyncClient(timeout=10) as http:
        for tenant in ("hz-p1", "hz-p2"):
            walk = Walk(p.url, tokens.current(), http, tenant)
            await walk.load_policy()
            await walk.import_experts()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def walk(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str = "hz-p1") -> Walk:
    return Walk(platform.url, tokens.current(), http, tenant)


async def complain(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str, kind: str = "complaint",
                   person: str = "330802198001010011") -> dict[str, Any]:
    w = walk(platform, http, tenant)
    r = await http.post(f"{platform.url('intake')}/v1/complaints", headers=w.auth("clerk"),
                        json={"person_id": person, "kind": kind, "subject": "结算延迟"})
    assert r.status_code == 201, r.text
    return r.json()


async def test_complaint_deadlines_come_from_the_callers_own_program(platform: EmbeddedPlatform,
                                                                      http: httpx.AsyncClient) -> None:
    today = today_cn()
    qz = await complain(platform, http, "qz-ci")
    assert qz["due_on"] == add_working_days(today, 5).isoformat()  # Quzhou's 5, not Hanzhong's 10
    assert qz["deadline"]["working_days"] == 5
    assert qz["deadline"]["basis"] == "programs/qz-critical/program.yaml intake"
    consultation = await complain(platform, http, "qz-ci", "consultation")
    assert consultation["due_on"] == add_working_days(today, 2).isoformat()
    hz = await complain(platform, http, "hz-p1", person="610702198001010018")
    assert hz["due_on"] == add_working_days(today, 10).isoformat()
    assert hz["deadline"]["basis"] == "programs/hz-chronic/program.yaml intake"
    # Each tenant lists its own; a role outside the complaint desk is refused.
    intake = platform.url("intake")
    hz_list = (await http.get(f"{intake}/v1/complaints", headers=walk(platform, http).auth("clerk"))).json()
    assert qz["complaint_id"] not in [c["complaint_id"] for c in hz_list]
    assert hz["complaint_id"] in [c["complaint_id"] for c in hz_list]
    qz_list = (await http.get(f"{intake}/v1/complaints", headers=walk(platform, http, "qz-ci").auth("clerk"))).json()
    assert {c["complaint_id"] for c in qz_list} >= {qz["complaint_id"], consultation["complaint_id"]}
    assert (await http.get(f"{intake}/v1/complaints", headers=walk(platform, http, "qz-ci").auth("expert"))
            ).status_code == 403
    assert (await http.post(f"{intake}/v1/complaints/{qz['complaint_id']}/resolve",
                            headers=walk(platform, http).auth("clerk"), json={"resolution": "x"})).status_code == 404


async def completed_events(platform: EmbeddedPlatform, application_id: str) -> list[Any]:
    return [e for e in (decode(m.value) for m in platform.bus.messages(topic_for("hz-p1", "application.completed")))
            if e.payload.application_id == application_id]


async def test_the_appraisal_clock_runs_from_the_day_the_application_became_complete(
        platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    w, today = walk(platform, http), today_cn()
    applications = platform.store.database("intake", "hz-p1")["applications"]
    appraisal = platform.url("appraisal")

    # Complete at submission, 40 days ago (17:30 UTC the day before is that day in Beijing); reviewed only today.
    complete_on = today - timedelta(days=40)
    app = await w.submit(_valid("61070219700303030"), "韩冬梅", "HTN")
    await applications.update_one({"_id": app["application_id"]}, {"$set": {
        "submitted_at": f"{(complete_on - timedelta(days=1)).isoformat()}T17:30:00+00:00"}})
    await w.review(app["application_id"], "complete")
    case = await w.case(app["application_id"])
    assert case["clock_from"] == complete_on.isoformat()
    assert case["due_on"] == add_working_days(complete_on, 10).isoformat() and case["overdue"] is True
    assert case["deadline"]["due_on"] == case["due_on"]
    event = (await eventually(lambda: completed_events(platform, app["application_id"]), what="completed"))[0]
    assert event.payload.documents_complete_on == complete_on.isoformat()
    assert event.payload.completed_on == today.isoformat()  # the clerk's review: not where the clock starts

    # Incomplete at submission, completed by the documents added 3 days ago (补充材料): the clock starts then.
    added_on = today - timedelta(days=3)
    late = await w.submit(_valid("61070219710404040"), "韩秋生", "HTN", documents=("application_form",))
    await w.review(late["application_id"], "missing")
    await w.add_documents(late["application_id"], _valid("61070219710404040"),
                          ["medical_record", "id_card", "insurance_card"])
    await applications.update_one({"_id": late["application_id"]}, {"$set": {
        "submitted_at": f"{(today - timedelta(days=60)).isoformat()}T02:00:00+08:00",
        "documents_in_at": f"{added_on.isoformat()}T09:00:00+08:00"}})
    await w.review(late["application_id"], "complete")
    late_case = await w.case(late["application_id"])
    assert late_case["clock_from"] == added_on.isoformat()
    assert late_case["due_on"] == add_working_days(added_on, 10).isoformat() and late_case["overdue"] is False

    # GET /v1/alerts/overdue: the first, not the second; not another tenant's; not an applicant's to read.
    alerts = (await http.get(f"{appraisal}/v1/alerts/overdue", headers=w.auth("supervisor"))).json()
    assert case["case_id"] in [a["case_id"] for a in alerts]
    assert late_case["case_id"] not in [a["case_id"] for a in alerts]
    other = (await http.get(f"{appraisal}/v1/alerts/overdue", headers=walk(platform, http, "hz-p2").auth("clerk")))
    assert other.status_code == 200 and case["case_id"] not in [a["case_id"] for a in other.json()]
    assert (await http.get(f"{appraisal}/v1/alerts/overdue", headers=w.auth("applicant", "x"))).status_code == 403
    # Concluded late, the conclusion says so.
    case = await w.opinions(case)
    concluded = await w.conclude(case["case_id"])
    assert concluded["conclusion"]["overdue"] is True


def _official_copy_of_provisional(year: int, extra_holiday: date | None) -> str:
    """A 'notice' for `year` that says exactly what the statutory calendar said, plus one more day off."""
    statutory = holidays.China(years=year, language="zh_CN")
    off: list[dict[str, Any]] = []
    on: list[dict[str, Any]] = []
    day = date(year, 1, 1)
    while day.year == year:
        working = statutory.is_working_day(day) and day != extra_holiday
        if (day.weekday() < 5 and not working) or day == extra_holiday:
            off.append({"name": "测试" if day == extra_holiday else str(statutory.get(day) or "假日"),
                        "from": day.isoformat(), "to": day.isoformat()})
        elif day.weekday() >= 5 and working:
            on.append({"date": day.isoformat(), "for": "调休"})
        day += timedelta(days=1)
    return yaml.safe_dump({"year": year, "source": "测试：与法定假日相同的假定安排", "holidays": off, "workdays": on},
                          allow_unicode=True)


async def test_a_provisional_complaint_deadline_is_recomputed_once_the_official_year_is_loaded(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, tmp_path: Path) -> None:
    # A calendar with no official year at all: every deadline is provisional (statutory holidays).
    before = cal.set_calendar(WorkingCalendar([tmp_path], use_chinese_calendar=False))
    try:
        filed = await complain(platform, http, "hz-p1", person="610702198001010018")
        assert filed["deadline"]["provisional"] is True and filed["deadline"]["calendar"].startswith("statutory:")
        old_due = date.fromisoformat(filed["due_on"])
        assert old_due == add_working_days(today_cn(), 10)
        for year in sorted({today_cn().year, old_due.year}):
            (tmp_path / f"cn-{year}.yaml").write_text(
                _official_copy_of_provisional(year, old_due if old_due.year == year else None), encoding="utf-8")
        cal.reload_calendar()
        listed = (await http.get(f"{platform.url('intake')}/v1/complaints",
                                 headers=walk(platform, http).auth("clerk"))).json()
        now = next(c for c in listed if c["complaint_id"] == filed["complaint_id"])
        assert now["deadline"]["provisional"] is False and "official:cn-" in now["deadline"]["calendar"]
        # The notice took the provisional due day off: the deadline moved to the next working day.
        assert date.fromisoformat(now["due_on"]) > old_due
        assert now["due_on"] == add_working_days(today_cn(), 10).isoformat()
        resolved = await http.post(f"{platform.url('intake')}/v1/complaints/{filed['complaint_id']}/resolve",
                                   headers=walk(platform, http).auth("clerk"), json={"resolution": "已答复"})
        assert resolved.status_code == 200 and resolved.json()["due_on"] == now["due_on"]
        assert resolved.json()["overdue"] is False
    finally:
        cal.set_calendar(before)
