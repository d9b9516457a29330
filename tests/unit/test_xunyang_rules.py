"""The Xunyang pilot's rules as program settings read by generic code (programs/xy-chronic/program.yaml): district and
inpatient records of an application, the appraisal clock's start, the expert pool rules and the approved list,
monthly funding by actual spending, settlement documents, the violations section, the survey and the handover."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.programs import load_program, parse_program
from services.appraisal.cases.domain.clock import china_date, clock_start
from services.appraisal.experts.domain.expert_list import PoolRules, check_pool_rows, drawable, list_digest, pool_rules
from services.archive.handover.domain.selection import Selection, period_bounds, select, selection_for
from services.audit.reports.domain.periods import parse_period
from services.audit.reports.domain.violations import mask_person, violations_section
from services.intake.applications.api import ApplicationIn, read_program_fields
from services.intake.applications.domain.application import applied_diseases
from services.intake.applications.domain.program_fields import (
    InpatientRecords,
    RecordsRule,
    check_district,
    program_fields,
    records_findings,
    records_rule,
    resolve_program,
    years_before,
)
from services.intake.notifications.domain.templates import SURVEY_INVITATION, TEMPLATES
from services.intake.notifications.service import invite_to_survey
from services.intake.surveys.domain.survey import aggregate, check_answers
from services.intake.surveys.domain.survey import period_bounds as survey_period
from services.settlement.fund.service.monthly_funding import check_amount, month_due, month_parts, parse_month
from services.settlement.statement_documents.domain.documents import XLSX, missing_kinds, sniff

XY = load_program("xy-chronic")
HZ = load_program("hz-chronic")
RULE = RecordsRule(True, 2, 2)


def test_the_pilot_is_one_carrier_with_its_settings() -> None:
    assert [(t.tenant, t.share) for t in XY.tenants] == [("xy-c", Decimal(1))]
    assert XY.setting("appraisal", "clock_starts") == "submitted"
    assert XY.setting("finance", "funding") == "monthly_actual"
    assert records_rule(XY) == RULE and records_rule(HZ) is None


def test_records_from_a_lower_level_hospital_or_older_than_two_years_are_refused() -> None:
    on = date(2025, 6, 10)
    ok = InpatientRecords(hospital="H1", hospital_level=2, discharged_on=date(2023, 6, 10))
    assert records_findings(ok, RULE, on) == []  # exactly two years: still within
    old = InpatientRecords(hospital="H1", hospital_level=3, discharged_on=date(2023, 6, 9))
    assert [f["reason"] for f in records_findings(old, RULE, on)] == ["records_too_old"]
    low = InpatientRecords(hospital="H1", hospital_level=1, discharged_on=date(2025, 1, 1))
    assert [(f["reason"], f["field"]) for f in records_findings(low, RULE, on)] == [
        ("records_hospital_level", "application.inpatient_records.hospital_level")]
    future = InpatientRecords(hospital="H1", hospital_level=2, discharged_on=date(2025, 6, 11))
    assert [f["reason"] for f in records_findings(future, RULE, on)] == ["records_date_in_future"]
    assert years_before(date(2024, 2, 29), 2) == date(2022, 2, 28)


def test_district_is_required_and_must_be_the_programs() -> None:
    with pytest.raises(InvalidInput) as missing:
        check_district(XY, None)
    assert missing.value.field == "application.district" and missing.value.code == "district_required"
    with pytest.raises(InvalidInput) as unknown:
        check_district(XY, "110101001")
    assert unknown.value.code == "district_unknown"
    assert check_district(XY, "360403005") == {"district": "360403005", "district_name": "湖滨街道"}
    assert check_district(HZ, None) == {}


def test_program_fields_name_the_field_and_store_the_records() -> None:
    raw = {"district": "360403001", "inpatient_records": {"hospital": "H360402001", "hospital_level": "x",
                                                           "discharged_on": "2025-01-01"}}
    with pytest.raises(InvalidInput) as bad:
        read_program_fields(raw)  # the door reads the declared fields (pydantic), the domain checks them
    assert bad.value.fields[0]["field"] == "application.inpatient_records.hospital_level"
    raw["inpatient_records"]["hospital_level"] = 2
    stored = program_fields(XY, *read_program_fields(raw), date(2025, 6, 1))
    assert stored["inpatient_records"] == {"hospital": "H360402001", "hospital_level": 2,
                                           "discharged_on": "2025-01-01"}
    with pytest.raises(InvalidInput) as none:
        program_fields(XY, *read_program_fields({"district": "360403001"}), date(2025, 6, 1))
    assert none.value.field == "application.inpatient_records" and none.value.code == "records_required"
    assert program_fields(HZ, *read_program_fields({}), date(2025, 6, 1)) == {}


def test_the_application_program_defaults_to_the_tenants() -> None:
    assert resolve_program("xy-c", "hz-chronic", given=False).code == "xy-chronic"
    assert resolve_program("hz-p2", "hz-chronic", given=True).code == "hz-chronic"
    with pytest.raises(InvalidInput) as foreign:  # a carrier files its own program's applications only (issue 11)
        resolve_program("xy-c", "hz-chronic", given=True)
    assert (foreign.value.field, foreign.value.code) == ("application.program", "program_not_carried")
    with pytest.raises(InvalidInput) as exc:
        resolve_program("xy-c", "no-such", given=True)
    assert exc.value.field == "application.program"


def test_the_clock_starts_at_submission_for_xunyang_and_completion_for_hanzhong() -> None:
    # 2025-06-09T17:30Z is 01:30 on 10 June in Beijing: the submission day is the 10th
    assert china_date("2025-06-09T17:30:00+00:00") == date(2025, 6, 10)
    assert clock_start(XY, "2025-06-09T17:30:00+00:00", "2025-06-16") == date(2025, 6, 10)
    assert clock_start(HZ, "2025-06-09T17:30:00+00:00", "2025-06-16") == date(2025, 6, 16)
    broken = parse_program({"code": "t", "name": "t", "tenants": {"t-1": {"share": "1", "package": 1}},
                            "appraisal": {"clock_starts": "whenever"}})
    with pytest.raises(InvalidInput):
        clock_start(broken, "2025-06-09T10:00:00+00:00", "2025-06-16")


HEADER = "name,hospital,hospital_level,title,specialty,pool_id\n"


def test_pool_rows_are_checked_for_level_locality_and_pool_id() -> None:
    rules = pool_rules(XY)
    assert rules == PoolRules(2, "3604", True) and pool_rules(HZ) is None
    good = check_pool_rows(HEADER + "甲,H360403001,二级,主任医师,cardiology,JX-1\n", rules)
    assert list(good.values()) == [{"hospital_level": 2, "pool_id": "JX-1"}]
    with pytest.raises(InvalidInput) as exc:
        check_pool_rows(HEADER + "乙,H360403001,1,主任医师,cardiology,JX-2\n"
                                 "丙,H610702001,3,主任医师,cardiology,JX-3\n"
                                 "丁,H360403001,四级,主任医师,cardiology,\n", rules)
    fields = [(f["field"], f.get("reason", "")) for f in exc.value.fields]
    assert fields == [("row 2.hospital_level", "expert_hospital_level"), ("row 3.hospital", "expert_not_local"),
                      ("row 4.hospital_level", ""), ("row 4.pool_id", "expert_not_in_provincial_pool")]
    with pytest.raises(InvalidInput) as header:
        check_pool_rows("name,hospital,title,specialty\n", rules)
    assert header.value.field == "header"


def test_draws_use_only_the_approved_list() -> None:
    pool = [{"_id": "e1"}, {"_id": "e2"}, {"_id": "e3"}]
    assert drawable(pool, None, HZ) == pool  # Hanzhong asks for no approval
    with pytest.raises(Conflict) as exc:
        drawable(pool, None, XY)
    assert exc.value.code == "expert_list_not_approved"
    assert drawable(pool, {"expert_ids": ["e1", "e3"]}, XY) == [{"_id": "e1"}, {"_id": "e3"}]
    assert list_digest(["b", "a"]) == list_digest(["a", "b"]) != list_digest(["a"])


def _entry(kind: str, day: str, fen: int, _id: str, **extra: Any) -> dict[str, Any]:
    return {"_id": _id, "kind": kind, "date": day, "amount_fen": fen, **extra}


def test_the_month_due_is_the_payments_booked_less_what_was_reimbursed() -> None:
    docs = [_entry("payment", "2025-06-03", 10000, "p1"), _entry("payment", "2025-06-20", 5050, "p2"),
            _entry("payment", "2025-07-01", 7000, "p3"), _entry("payment", "2025-06-21", 900, "p4"),
            _entry("reversal", "2025-06-22", 900, "r4", reverses="p4"),
            _entry("allocation", "2025-06-30", 10000, "a1", allocation_id="m1", allocation_month="2025-06")]
    due = month_due(docs, "2025-06")
    assert (due.paid, due.reimbursed, due.due) == (Decimal("150.50"), Decimal("100.00"), Decimal("50.50"))
    assert month_due(docs, "2025-06", excluding="m1").due == Decimal("150.50")
    parts, reason = month_parts("2025-06", {"xy-c": due}, None)
    assert parts == {"xy-c": Decimal("50.50")} and reason.code == "monthly_actual"
    assert check_amount("2025-06", {"xy-c": due}, None)[1] == str(reason)  # the sentence callers print
    with pytest.raises(InvalidInput) as wrong:
        check_amount("2025-06", {"xy-c": due}, Decimal("60.00"))
    assert wrong.value.field == "amount" and wrong.value.code == "allocation_not_actual"
    with pytest.raises(Conflict) as nothing:
        check_amount("2025-08", {"xy-c": month_due(docs, "2025-08")}, None)
    assert nothing.value.code == "nothing_to_reimburse"
    with pytest.raises(InvalidInput):
        parse_month("2025-13")


def test_settlement_documents_are_sniffed_and_required() -> None:
    assert sniff("application/pdf", b"%PDF-1.4 ...") and not sniff("application/pdf", b"MZ\x90\x00")
    assert sniff(XLSX, b"PK\x03\x04rest") and sniff("text/csv", "编码,金额\n".encode())
    assert not sniff("text/csv", b"\x00\x01binary") and not sniff("application/x-msdownload", b"MZ")
    assert missing_kinds(("purchase_details", "settlement_sheet", "invoice"), ["invoice", "invoice"]) == [
        "purchase_details", "settlement_sheet"]


def test_the_violations_section_lists_the_periods_findings_masked() -> None:
    assert mask_person("610702195803120012") == "610702********0012"
    findings = [{"_id": "f1", "kind": "on_site", "person_id": "610702195803120012", "amount_fen": 8640,
                 "raised_at": "2025-06-30T17:00:00+00:00", "description": "超量开药"},   # 1 July in Beijing
                {"_id": "f2", "kind": "desk_review", "person_id": "610702195803120012", "amount_fen": 1000,
                 "raised_on": "2025-06-05", "description": "重复收费"}]
    june = violations_section(findings, parse_period("2025-06"))
    assert [r["finding_id"] for r in june["items"]] == ["f2"] and june["amount"] == Decimal("10.00")
    q3 = violations_section(findings, parse_period("2025-Q3"))
    assert q3["by_kind"] == {"on_site": {"count": 1, "amount": Decimal("86.40")}}


QUESTIONS = [{"code": "convenience", "text": "便捷"}, {"code": "overall", "text": "总体"}]


def test_survey_answers_are_whole_scores_for_every_question() -> None:
    assert check_answers(QUESTIONS, {"convenience": 5, "overall": 1}) == {"convenience": 5, "overall": 1}
    with pytest.raises(InvalidInput) as exc:
        check_answers(QUESTIONS, {"convenience": 0, "mood": 3})
    assert {f["field"] for f in exc.value.fields} == {"answers.overall", "answers.mood", "answers.convenience"}
    with pytest.raises(InvalidInput):
        check_answers(QUESTIONS, {"convenience": True, "overall": 4.5})
    result = aggregate(QUESTIONS, [{"answers": {"convenience": 5, "overall": 4}, "comment": "好"},
                                   {"answers": {"convenience": 4, "overall": 4}, "comment": ""},
                                   {"answers": {"convenience": 4, "overall": 3}}])
    convenience = result["questions"][0]
    assert (result["responses"], result["comments"]) == (3, 1)
    assert convenience["mean"] == "4.33" and convenience["satisfied"] == 3 and convenience["distribution"]["4"] == 2
    assert survey_period("2025-Q2") == (date(2025, 4, 1), date(2025, 6, 30))
    assert survey_period("2024") == (date(2024, 1, 1), date(2024, 12, 31))
    with pytest.raises(InvalidInput):
        survey_period("2025-Q5")


def _qualified(person: str, granted_on: str) -> list[dict[str, Any]]:
    return [{"kind": "application", "attributes": {}},
            {"kind": "qualification", "attributes": {"granted_on": granted_on}}]


def test_the_handover_holds_the_approved_applicants_selected() -> None:
    persons = {"p1": _qualified("p1", "2025-05-20"), "p2": _qualified("p2", "2025-06-02"),
               "p3": [{"kind": "application", "attributes": {}}]}
    assert selection_for(XY, None, None, None) == Selection("approved")
    assert selection_for(HZ, None, None, None) == Selection("all")
    assert selection_for(HZ, None, "2025-06", None).scope == "approved"
    with pytest.raises(InvalidInput) as exc:
        selection_for(HZ, "all", None, "p1")
    assert exc.value.field == "scope"
    assert sorted(select(persons, Selection("all"))) == ["p1", "p2", "p3"]
    assert sorted(select(persons, Selection("approved"))) == ["p1", "p2"]
    assert sorted(select(persons, Selection("approved", "2025-06"))) == ["p2"]
    assert sorted(select(persons, Selection("approved", "2025-Q2", "p1"))) == ["p1"]
    with pytest.raises(NotFound):
        select(persons, Selection("approved", "", "p3"))
    with pytest.raises(Conflict):
        select(persons, Selection("approved", "2024"))
    assert period_bounds("2025-Q4") == (date(2025, 10, 1), date(2025, 12, 31))


def test_several_diseases_on_one_application_is_set_explicitly() -> None:
    """program.yaml says it, rather than the code's default: the pilot is silent, the setting is a stated choice."""
    assert "multiple_diseases" in XY.settings["intake"] and XY.setting("intake", "multiple_diseases") is True
    body = ApplicationIn(person_id="11010519491231002X", person_name="张三", diseases=["HTN", "DM"])
    assert applied_diseases(body, bool(XY.setting("intake", "multiple_diseases"))) == ["HTN", "DM"]
    with pytest.raises(InvalidInput) as one_only:
        applied_diseases(body, False)
    assert one_only.value.field == "application.diseases"


class _Notifier:
    def __init__(self) -> None:
        self.sent: dict[str, tuple[str, str, dict[str, str]]] = {}

    async def send(self, tenant: str, person_id: str, phone: str | None, template: str,
                   params: dict[str, str]) -> str:
        self.sent.setdefault(params["dedupe_key"], (tenant, template, params))  # the outbox keeps one per key
        return params["dedupe_key"]


async def test_a_decided_application_invites_its_applicant_to_the_survey_once() -> None:
    notifier = _Notifier()
    app = {"_id": "a1", "person_id": "p1", "phone": None, "program": "xy-chronic"}
    assert not await invite_to_survey(notifier, "xy-c", app, "in_appraisal")  # not decided yet
    assert notifier.sent == {}
    for status in ("approved", "filed"):  # the grant, then its filing: still one invitation
        assert await invite_to_survey(notifier, "xy-c", app, status)
    ((tenant, template, params),) = notifier.sent.values()
    assert (tenant, template, params["questions"], params["application_id"]) == ("xy-c", SURVEY_INVITATION, "4",
                                                                                 "a1")
    assert "满意度测评" in TEMPLATES[SURVEY_INVITATION].format_map(params)
    # A refusal decides too; a program without a survey (Hanzhong) invites no one.
    assert await invite_to_survey(notifier, "xy-c", {**app, "_id": "a2"}, "rejected")
    assert not await invite_to_survey(notifier, "hz-p1", {**app, "_id": "a3", "program": "hz-chronic"}, "approved")
    assert not await invite_to_survey(notifier, "xy-c", {**app, "_id": "a4", "program": "no-such"}, "approved")
    assert set(notifier.sent) == {f"{SURVEY_INVITATION}:a1", f"{SURVEY_INVITATION}:a2"}
