"""Long-term care (长期护理保险, Wenzhou) end to end in local mode: five service processes and the agency's system
simulator as their own processes, on the real Kafka (SASL, ACLs), FerretDB and Keycloak of `deploy/local`.

Two business days (业务日期, `JINGBAN_BUSINESS_DATE`), the platform restarted between them on the same topics and
databases. On the 3rd of a month M, lot B (wz-b): a person of 龙湾区 applies → screened (documents missing, added,
accepted) → two assessors drawn at random (one medical or nursing, none from the person's care institution) → the
on-site visit with its evidence → a severe grade with the scale's version → an institution's home-care plan. On
the 3rd of M+1: M's service records from two institutions (an upload with one record outside the plan refused
whole, naming it) → the month's statements paid from wz-b's own account → the quarter's patrol sample checked by
two inspectors, attainment met → a violation interview → the yearly score → the fee with its performance part →
the person's file shows all of it; lot A (wz-a) finds none of it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.calendar import today_cn
from jingban.flow import FlowError
from jingban.local import LocalPlatform
from jingban.ltc_flow import (
    LtcWalk,
    assessors_csv,
    designated,
    month_days,
    month_of_records,
    particulars,
    plan_items,
    quarter_of,
    resident_id,
    severe_scores,
)
from tests.conftest import REAL_INFRA_DEADLINE
from tests.integration.conftest import drop_run_databases
from tests.support import tokens
from tests.support.infra import local_trust_env, real_infra

pytestmark = pytest.mark.e2e

LONGWAN = "330303"  # 龙湾区, lot B


def business_days(today: date) -> tuple[date, date]:
    """The 3rd of last month (applications, assessments, plans) and the 3rd of this month (the month's services,
    statements, supervision): a whole month of care between them, the statements' month over."""
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    return last_month.replace(day=3), this_month.replace(day=3)


@pytest.fixture(scope="module")
def run_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    infra = real_infra()
    run_id = "l" + uuid.uuid4().hex[:8]
    work = tmp_path_factory.mktemp("ltc")
    env = {**infra.kafka_env, "MONGODB_URI": infra.mongodb_uri,
           "JINGBAN_TOPIC_PREFIX": f"{run_id}.", "JINGBAN_DB_PREFIX": run_id, **local_trust_env(),
           "JINGBAN_TENANTS": "wz-a,wz-b", "JINGBAN_DATA_DIR": str(work / "data"), "JINGBAN_WORK": str(work)}
    try:
        yield env
    finally:
        infra.revoke_acls(f"{run_id}.", tuple(env["JINGBAN_TENANTS"].split(",")))
        asyncio.run(drop_run_databases(infra.mongodb_uri, run_id))


@contextmanager
def platform_on(env: dict[str, str], day: date, name: str) -> Iterator[LocalPlatform]:
    """The five services (and the agency's simulator) as their own processes on the run's topics and databases,
    the business date pinned to `day`."""
    platform = LocalPlatform({k: v for k, v in env.items() if k != "JINGBAN_WORK"}
                             | {"JINGBAN_BUSINESS_DATE": day.isoformat()},
                             Path(env["JINGBAN_WORK"]) / f"logs-{name}", port_offset=140)
    platform.start(timeout_s=REAL_INFRA_DEADLINE)
    try:
        yield platform
    finally:
        platform.stop()


def walks(platform: LocalPlatform, http: httpx.AsyncClient) -> tuple[LtcWalk, LtcWalk]:
    lot_b = LtcWalk(platform.url, tokens.current(), http, "wz-b")
    lot_a = LtcWalk(platform.url, tokens.current(), http, "wz-a")
    lot_b.timeout = lot_a.timeout = REAL_INFRA_DEADLINE
    return lot_b, lot_a


async def test_lot_b_from_application_to_the_carriers_fee(run_env: dict[str, str]) -> None:
    first, second_day = business_days(today_cn())
    month = f"{first:%Y-%m}"
    quarter = quarter_of(month)
    year = first.year
    person = resident_id(LONGWAN, date(1941, 3, 8), 521)
    other_person = resident_id(LONGWAN, date(1938, 11, 2), 733)
    home, second = "WZB-C001", "WZB-C002"
    valid_to = f"{year + 1}-12-31"
    care_days = [d for d in month_days(month) if d >= first]

    # ---- the 3rd of M: application → screening → assessment → plan --------------------------------------------
    with platform_on(run_env, first, "m") as local:
        async with httpx.AsyncClient(timeout=60) as http:
            lot_b, lot_a = walks(local, http)
            await lot_b.import_assessors(assessors_csv([
                ("WZB-A01", "周医生", "medical", home, "bachelor"),
                ("WZB-A02", "陈护士", "nursing", "WZB-H01", "college"),
                ("WZB-A03", "吴康复", "rehabilitation", "WZB-H02", "bachelor"),
                ("WZB-A04", "郑医生", "medical", "WZB-H03", "master"),
                ("WZB-A05", "王护士", "nursing", "WZB-H04", "college"),
                ("WZB-A06", "李社工", "other", "WZB-H05", "college")]))
            # The lot's designated care institutions: one migrated (迁移导入), one through the whole review.
            await lot_b.import_institutions([designated(home, LONGWAN, f"{year - 1}-01-01")])
            registered = await lot_b.register_institution(particulars(second, LONGWAN, "龙湾区第二护理院", beds=60),
                                                          f"{year - 1}-06-01", f"{year + 1}-05-31")
            assert registered["status"] == "designated", registered

            # 申请受理 → 初步筛查: submitted without medical records, asked for them, added, accepted.
            application = await lot_b.apply(person, "龙湾区", basis="illness", disabled_since=f"{year - 1}-01-10",
                                            documents=["id_card"], care_institution_id=home)
            assert application["lot"] == "B" and "medical_records" in application["missing"], application
            asked = await lot_b.screen(application["application_id"], "missing", ["medical_records"])
            assert asked["status"] == "documents_requested"
            await lot_b.add_application_documents(application["application_id"], person, ["medical_records"])
            accepted = await lot_b.screen(application["application_id"], "accept")
            assert accepted["status"] == "accepted"

            # 失能等级评定: two at random, one medical or nursing, none of the person's care institution (WZB-A01).
            drawn = await lot_b.drawn(person, application["application_id"])
            pair = drawn["assessors"]
            assert len(set(pair)) == 2 and "WZB-A01" not in pair, pair
            concluded = await lot_b.assess(person, application["application_id"], severe_scores(4),
                                           first.isoformat())
            conclusion = concluded["conclusion"]
            assert conclusion["grade"] >= 3 and conclusion["eligible"] is True, conclusion
            assert conclusion["scale_version"], conclusion
            notice = await lot_b.notice(concluded["assessment_id"], person)
            assert notice["grade"] == conclusion["grade"], notice

            # A second severe person (disability through old age), cared for by the second institution.
            second_app = await lot_b.apply(other_person, "龙湾区", basis="old_age", documents=["id_card"])
            await lot_b.screen(second_app["application_id"], "accept")
            other = await lot_b.assess(other_person, second_app["application_id"], severe_scores(5),
                                       first.isoformat())
            other_grade = other["conclusion"]["grade"]

            # 护理计划: institutional home care (机构上门护理) for each, from the catalogue for the grade.
            await lot_b.person(person, covered=True)
            await lot_b.person(other_person, covered=True)
            items = plan_items(conclusion["grade"], "home_visit")
            plan = await lot_b.plan(home, person, items, first.isoformat(), valid_to)
            other_items = plan_items(other_grade, "home_visit")
            await lot_b.plan(second, other_person, other_items, first.isoformat(), valid_to)
            # Lot A cannot read any of it.
            for service, path in (("intake", f"/v1/ltc/applications/{application['application_id']}"),
                                  ("appraisal", f"/v1/ltc/assessments/{concluded['assessment_id']}"),
                                  ("appraisal", f"/v1/institutions/{second}"),
                                  ("settlement", f"/v1/ltc/plans/{plan['plan_id']}")):
                r = await http.get(f"{local.url(service)}{path}", headers=lot_a.auth("clerk"))
                assert r.status_code == 404, f"wz-a reads {path}: {r.status_code} {r.text[:200]}"
            assert await lot_a.applications() == []

    # ---- the 3rd of M+1: the month's services → statements paid → supervision → score and fee -------------------
    with platform_on(run_env, second_day, "m1") as local:
        async with httpx.AsyncClient(timeout=60) as http:
            lot_b, lot_a = walks(local, http)
            records = month_of_records(person, items, month, "WZB-CG01", prefix="P1", days=care_days)
            other_records = month_of_records(other_person, other_items, month, "WZB-CG21", prefix="P1",
                                             days=care_days)
            # An item outside the plan: the whole upload refused, the record named, nothing stored.
            wrong = dict(records[0], record_id="P1-X", items=["not_in_the_plan"], start="20:00", end="20:40")
            refused = await lot_b.upload_records(home, month, [*records, wrong], expect=(422,))
            assert refused["error"]["code"] == "records_refused", refused
            assert [f["record_id"] for f in refused["error"]["fields"]] == ["P1-X"], refused
            stored = await lot_b.upload_records(home, month, records)
            assert stored["accepted"] == len(records), stored
            await lot_b.upload_records(second, month, other_records)  # the same record ids, another institution

            # 月度审核结算: each institution's statement, paid from wz-b's own account once the agency funded it.
            await lot_b.fund_lots(year, "10000000.00", f"{year}-01-05", f"e2e-{year}-ltc")
            built = await lot_b.build_statements(month)
            assert {s["institution_id"] for s in built} == {home, second}, built
            paid = Decimal("0.00")
            for statement in built:
                closed = await lot_b.close_statement(statement["statement_id"])
                payment = await lot_b.pay_statement(statement["statement_id"])
                assert payment["amount"] == closed["amount"], (closed, payment)
                paid += Decimal(payment["amount"])
            assert paid > 0
            again = await http.post(f"{local.url('settlement')}/v1/ltc/statements/{built[0]['statement_id']}"
                                    "/payments", headers=lot_b.auth("finance"))
            assert again.status_code == 409, again.text
            ledger = (await http.get(f"{local.url('settlement')}/v1/fund/ledger", params={"year": year},
                                     headers=lot_b.auth("finance"))).json()
            entries = ledger["entries"] if isinstance(ledger, dict) else ledger
            assert sum(Decimal(e["amount"]) for e in entries if e["kind"] == "payment") == paid, entries

            # 监管巡查: the quarter's sample meets 20%; two inspectors (one nursing) check it; one alone is refused.
            await lot_b.patrol_plan(year)
            services = len(records) + len(other_records)
            await lot_b.attainment(quarter, services=services, institutions=2)
            await lot_b.plan_sample(quarter, seed="e2e")
            sample = await lot_b.sample(quarter)
            assert len(sample) * 5 >= services, (len(sample), services)
            patrol_day = second_day if quarter_of(f"{second_day:%Y-%m}") == quarter else date.fromisoformat(
                f"{month}-28")
            patrol = await lot_b.patrol(quarter, patrol_day.isoformat(), sample, [home, second])
            attainment = await lot_b.attainment(quarter)
            assert attainment["services"]["met"] is True and attainment["institutions"]["met"] is True, attainment
            alone = await http.post(f"{local.url('audit')}/v1/ltc/patrols", headers=lot_b.auth("inspector"), json={
                "quarter": quarter, "date": patrol_day.isoformat(), "inspectors": [
                    {"inspector_id": "WZB-I01", "background": "nursing", "degree": "college"}]})
            assert alone.status_code == 422 and alone.json()["error"]["code"] == "patrol_team_too_small", alone.text

            # 违规约谈 with the second institution, its minutes' checksum kept in the institution's file.
            interview = await lot_b.interview(second, second_day.isoformat(), ["超出护理计划频次服务"])
            assert interview["interview"]["minutes"]["sha256"], interview
            assert (await lot_b.institution_file(second))["interviews"], "the interview is in the file"

            # 绩效考核 of the previous service year → the fee with its performance part.
            scored = await lot_b.score_year(year - 1, {"service_management": "6", "reporting": "2"})
            assert (scored["score"]["score"], scored["score"]["grade"]) == ("92", "excellent"), scored
            fee = await lot_b.fee(year - 1, status="scored")
            assert fee["grade"] == "excellent" and fee["contract_lost"] is False, fee
            assert Decimal(fee["performance_paid"]) == Decimal(fee["withheld"]) > 0, fee
            assert Decimal(fee["paid_in_year"]) + Decimal(fee["withheld"]) == Decimal(fee["fee"]), fee

            # 一人一档: everything about the person, in one file.
            # The patrol is in the file when it checked one of the person's services (all theirs are at `home`).
            sampled = any(e["institution_id"] == home for e in sample)
            sections = ("assessments", "care_plans", "care_services", "care_statements", *(("patrols",) if sampled
                                                                                            else ()))

            def complete(view: dict[str, Any]) -> bool:
                ltc = view["summary"].get("long_term_care") or {}
                return all(ltc.get(k) for k in sections)

            try:
                file = await lot_b.person_file(person, until=complete)
            except FlowError:
                summary = (await lot_b.person_file(person))["summary"].get("long_term_care") or {}
                raise AssertionError(f"the file lacks {[k for k in sections if not summary.get(k)]}: {summary}"
                                     ) from None
            ltc = file["summary"]["long_term_care"]
            assert ltc["grade"] == conclusion["grade"] and ltc["scale_version"], ltc
            assert ltc["application"]["status"] in ("accepted", "in_assessment", "concluded"), ltc["application"]
            assert ltc["care_services"][0]["records"] == len(records), ltc["care_services"]

            # Lot A sees none of it.
            for service, role, path in (
                    ("settlement", "finance", f"/v1/ltc/statements/{built[0]['statement_id']}"),
                    ("audit", "inspector", f"/v1/ltc/patrols/{patrol['patrol_id']}"),
                    ("archive", "clerk", f"/v1/persons/{person}/file"),
                    ("appraisal", "clerk", f"/v1/institutions/{second}/file")):
                r = await http.get(f"{local.url(service)}{path}", headers=lot_a.auth(role))
                assert r.status_code == 404, f"wz-a {role} reads {path}: {r.status_code} {r.text[:200]}"
            assert await lot_a.statements(month) == []
