"""Fund supervision's report figures (reports/domain/km.py), pure: one inspection's pack (findings by code, checklist
coverage, evidence, due/filed/overdue), and a month's or the term's figures — coverage so far against 100% and the
tender's counts, inspections by kind and method, reports due on time / late / missing / pending, findings by code,
record samples against 40%, smart-review hits by rule and decisions, leads and cases, the agency's audits, trainings —
and the term's requirements and materials."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from services.audit.reports.domain.km import (
    KmInputs,
    KmSettings,
    Window,
    canonical_sha256,
    coverage_figures,
    inspection_figures,
    materials,
    period_figures,
    rate,
    timeliness_figures,
)

TERM = {"start": "2024-01-01", "end": "2026-12-31"}
SETTINGS = KmSettings(
    term_from=date(2024, 3, 1), term_to=date(2024, 11, 20),
    tender_counts={"hospital": 17, "pharmacy": 143, "agency": 1},
    problem_rate_expected=Decimal("0.40"), sampling_rate=Decimal("0.025"), trainings_required=4,
    trips_required={"xinjiang": 4, "outside_xinjiang": 2},
    catalogue={"H01": ("分解收费", "hospital"), "H02": ("超标准收费", "hospital"),
               "P01": ("聚敛倒刷医保卡", "pharmacy"), "A01": ("制度审核不全", "agency")},
    catalogue_version="km-violations-2024.1")
JUNE = Window("2024-06", date(2024, 6, 1), date(2024, 6, 30))


def institution(iid: str, kind: str, terms: list[dict[str, str]] | None = None, terminated: str = "") -> dict:
    return {"institution_id": iid, "kind": kind, "terms": [TERM] if terms is None else terms,
            "terminated_on": terminated}


def inspection(iid: str, institution_id: str, kind: str, method: str = "daily_patrol", started: str = "2024-06-03",
               ended: str | None = "2024-06-05", due: str | None = "2024-06-08", reported: str | None = None,
               findings: list[dict[str, Any]] | None = None) -> dict:
    report = None
    if reported:
        report = {"reported_on": reported, "overdue": due is not None and reported > due}
    return {"inspection_id": iid, "institution_id": institution_id, "institution_kind": kind, "method": method,
            "started_on": started, "ended_on": ended, "due_on": due, "state": "reported" if reported else "ended",
            "findings": findings or [], "report": report}


def finding(code: str, amount: str, n: int = 1) -> dict:
    return {"finding_id": f"F{n}", "code": code, "name": "", "group": "", "amount": amount, "evidence_ids": []}


# ---- small parts -------------------------------------------------------------------------------------------------


def test_rates_are_four_places_half_up_and_none_without_a_whole() -> None:
    assert rate(2, 3) == "0.6667" and rate(1, 8) == "0.1250" and rate(0, 0) is None and rate(5, 5) == "1.0000"


def test_a_canonical_checksum_ignores_key_order_but_not_values() -> None:
    assert canonical_sha256({"a": 1, "b": "检查"}) == canonical_sha256({"b": "检查", "a": 1})
    assert canonical_sha256({"a": 1}) != canonical_sha256({"a": 2})


# ---- coverage ----------------------------------------------------------------------------------------------------


def test_coverage_counts_institutions_of_the_term_inspected_by_the_day_against_100_percent_and_the_tender() -> None:
    data = KmInputs(
        institutions=[institution("H1", "hospital"), institution("H2", "hospital"), institution("P1", "pharmacy"),
                      institution("A1", "agency"),
                      institution("H9", "hospital", [{"start": "2023-01-01", "end": "2023-12-31"}]),  # not of the term
                      institution("P9", "pharmacy", terminated="2024-02-01")],                      # ended before it
        inspections=[inspection("I1", "H1", "hospital", ended="2024-06-05"),
                     inspection("I2", "P1", "pharmacy", ended="2024-07-02"),      # after the day asked
                     inspection("I3", "A1", "agency", ended="2024-02-20"),        # before the term: does not count
                     inspection("I4", "H2", "hospital", ended=None, due=None)])   # still open
    c = coverage_figures(data, SETTINGS, date(2024, 6, 30))
    assert (c["institutions"], c["done"], c["rate"], c["met"]) == (4, 1, "0.2500", False)
    assert c["by_kind"]["hospital"] == {"institutions": 2, "done": 1, "undone": 1, "rate": "0.5000", "tender": 17,
                                        "rate_of_tender": "0.0588", "matches_tender": False, "met": False}
    assert c["undone_ids"] == ["A1", "H2", "P1"] and c["tender"] == 161
    later = coverage_figures(data, SETTINGS, date(2024, 7, 31))
    assert later["by_kind"]["pharmacy"]["done"] == 1 and later["done"] == 2


def test_coverage_is_met_only_when_every_institution_of_the_term_is_inspected() -> None:
    data = KmInputs(institutions=[institution("H1", "hospital"), institution("P1", "pharmacy")],
                    inspections=[inspection("I1", "H1", "hospital"), inspection("I2", "P1", "pharmacy")])
    c = coverage_figures(data, SETTINGS, date(2024, 11, 30))
    assert (c["rate"], c["met"], c["asof"]) == ("1.0000", True, "2024-11-20")   # never past the term's end


# ---- report timeliness (calendar days) ---------------------------------------------------------------------------


def test_reports_due_in_the_window_on_time_late_missing_or_pending() -> None:
    data = KmInputs(inspections=[
        inspection("on-due-day", "H1", "hospital", due="2024-06-08", reported="2024-06-08"),
        inspection("a-day-late", "H2", "hospital", due="2024-06-08", reported="2024-06-09"),
        inspection("missing", "P1", "pharmacy", due="2024-06-20"),
        inspection("pending", "P2", "pharmacy", due="2024-06-29"),
        inspection("due-in-july", "P3", "pharmacy", due="2024-07-01"),
        inspection("due-in-may", "P4", "pharmacy", due="2024-05-31", reported="2024-06-02")])
    t = timeliness_figures(data, JUNE, today=date(2024, 6, 28))
    assert (t["due"], t["on_time"], t["late"], t["missing"], t["pending"]) == (4, 1, 1, 1, 1)
    assert t["on_time_rate"] == "0.3333"            # of the three already due
    assert (t["filed"], t["filed_on_time"], t["filed_late"]) == (3, 1, 2)
    late = next(x for x in t["items"] if x["inspection_id"] == "a-day-late")
    missing = next(x for x in t["items"] if x["inspection_id"] == "missing")
    assert (late["status"], late["days_late"], missing["days_late"]) == ("late", 1, 8)


# ---- one inspection ---------------------------------------------------------------------------------------------


def test_an_inspections_pack_counts_findings_by_code_checklist_coverage_and_evidence() -> None:
    items = ([{"code": "H01", "group": "hospital", "answer": "finding"},
              {"code": "H02", "group": "hospital", "answer": "finding"},
              {"code": "D01", "group": "doctor", "answer": "checked"},
              {"code": "I01", "group": "insured", "answer": "not_applicable"},
              {"code": "I02", "group": "insured", "answer": None}])
    ins = {**inspection("INS-1", "H1", "hospital", ended="2024-06-05", due="2024-06-08",
                        findings=[finding("H02", "12.50", 1), finding("H01", "100.00", 2), finding("H02", "7.50", 3)]),
           "team": [{"inspector_id": "insp-1", "name": "王检查", "profession": "医学"}, {"inspector_id": "insp-2"}],
           "checklist": {"items": items},
           "evidence": [{"evidence_id": "EV-1", "content_type": "application/pdf", "size": 100, "sha256": "ab" * 32,
                         "uploaded_at": "2024-06-04T02:00:00+00:00", "filename": "患者病历.pdf"}]}
    dossier = {"hits": {"count": 3, "amount": "45.00"}, "anomalies": [{}], "focus_codes": ["H02"],
               "built_on": "2024-06-01"}
    f = inspection_figures(ins, dossier, None, [], [], SETTINGS, date(2024, 6, 10))
    assert list(f["findings"]["by_code"]) == ["H01", "H02"]        # the catalogue's order
    assert f["findings"]["by_code"]["H02"] == {"name": "超标准收费", "group": "hospital", "count": 2,
                                               "amount": Decimal("20.00")}
    assert f["findings"]["amount"] == Decimal("120.00") and f["findings"]["count"] == 3
    c = f["checklist"]
    assert (c["total"], c["answered"], c["finding"], c["checked"], c["not_applicable"], c["unanswered"],
            c["coverage"], c["complete"]) == (5, 4, 2, 1, 1, 1, "0.8000", False)
    assert c["by_group"]["insured"] == {"total": 2, "answered": 1, "finding": 0}
    assert f["evidence"]["items"] == [{"evidence_id": "EV-1", "content_type": "application/pdf", "size": 100,
                                       "sha256": "ab" * 32, "uploaded_at": "2024-06-04T02:00:00+00:00"}]
    assert "患者" not in repr(f)                                      # no file name (sealed in its room)
    assert f["report"] == {"due_on": "2024-06-08", "filed": False, "reported_on": None, "overdue": True,
                           "days_late": 2, "sha256": None}
    assert f["dossier"]["sha256"] == canonical_sha256(dossier) and f["dossier"]["amount"] == Decimal("45.00")


def test_a_pack_of_a_report_filed_on_its_due_day_is_on_time_and_carries_the_reports_checksum() -> None:
    ins = {**inspection("INS-2", "P1", "pharmacy", ended="2024-06-05", due="2024-06-06", reported="2024-06-06"),
           "team": [], "checklist": {"items": []}, "evidence": []}
    filed = {"inspection_id": "INS-2", "reported_on": "2024-06-06", "summary": "…"}
    f = inspection_figures(ins, None, filed, [], [], SETTINGS, date(2024, 6, 30))
    assert (f["report"]["filed"], f["report"]["overdue"], f["report"]["days_late"]) == (True, False, 0)
    assert f["report"]["sha256"] == canonical_sha256(filed) and f["dossier"] is None


# ---- a month ----------------------------------------------------------------------------------------------------


def month_data() -> KmInputs:
    return KmInputs(
        institutions=[institution("H1", "hospital"), institution("P1", "pharmacy"), institution("A1", "agency")],
        inspections=[
            inspection("I1", "H1", "hospital", method="flight_inspection", reported="2024-06-07",
                       findings=[finding("H01", "100.00"), finding("H02", "20.00", 2)]),
            inspection("I2", "P1", "pharmacy", method="daily_patrol", ended="2024-06-20", due="2024-06-21",
                       reported="2024-06-25", findings=[finding("P01", "5.00")]),
            inspection("I3", "A1", "agency", method="audit", started="2024-06-25", ended=None, due=None)],
        samples=[{"sample_id": "RS-1", "institution_id": "H1", "institution_kind": "hospital",
                  "kind": "medical_records", "population": 1000, "size": 25, "problems": 11,
                  "problem_rate": "0.4400", "state": "completed",
                  "created_at": "2024-06-05T01:00:00+00:00", "completed_at": "2024-06-10T01:00:00+00:00",
                  "problems_by_code": {"H01": 11}},
                 {"sample_id": "RS-2", "institution_id": "A1", "institution_kind": "agency", "kind": "manual_files",
                  "population": 40, "size": 1, "problems": 0, "problem_rate": "0.0000", "state": "completed",
                  "created_at": "2024-06-25T01:00:00+00:00", "completed_at": "2024-06-30T17:00:00+00:00"}],  # 7/1 CST
        hits=[{"hit_id": "h1", "rule": "over_price", "state": "confirmed", "amount": "10.00",
               "found_at": "2024-06-02T01:00:00+00:00", "decision": {"decision": "confirm",
                                                                     "at": "2024-06-03T01:00:00+00:00"}},
              {"hit_id": "h2", "rule": "over_price", "state": "open", "amount": "2.50",
               "found_at": "2024-06-02T01:00:00+00:00", "decision": {}},
              {"hit_id": "h3", "rule": "card_pooling", "state": "dismissed", "amount": "300.00",
               "found_at": "2024-05-30T01:00:00+00:00", "decision": {"decision": "dismiss",
                                                                     "at": "2024-06-01T01:00:00+00:00"}}],
        leads=[{"lead_id": "L1", "source": "tip", "received_on": "2024-06-03",
                "verification": {"outcome": "substantiated", "verified_on": "2024-06-04"}},
               {"lead_id": "L2", "source": "superior", "received_on": "2024-05-20", "verification": None}],
        cases=[{"case_id": "C1", "institution_id": "H1", "source": "lead", "state": "closed", "opened_on": "2024-06-05",
                "closing": {"outcome": "violation", "closed_on": "2024-06-28"},
                "decisions": [{"kind": "recover", "amount": "120.00", "decided_on": "2024-06-10"},
                              {"kind": "fine", "amount": "240.00", "decided_on": "2024-06-10"}],
                "recoveries": [{"amount": "120.00", "recovered_on": "2024-06-20"}],
                "totals": {"found": "120.00", "recovered": "120.00"}},
               {"case_id": "C2", "institution_id": "P1", "source": "inspection", "state": "open",
                "opened_on": "2024-05-05", "closing": None, "decisions": [], "recoveries": [], "totals": {}}],
        agency_audits=[{"audit_id": "AA1", "institution_id": "A1", "figures": {"checked": 10, "nonconforming": 2,
                                                                              "amount": "33.00"},
                        "report": {"reported_on": "2024-06-29", "sha256": "cd" * 32}}],
        trainings=[{"training_id": "T1", "kind": "course", "title": "第一次培训", "held_from": "2024-06-12",
                    "held_to": "2024-06-12", "topics": ["common_violations", "regulation"], "attendees": 40},
                   {"training_id": "T2", "kind": "flight_trip", "title": "伊犁", "held_from": "2024-05-12",
                    "held_to": "2024-05-15", "region": "xinjiang", "staff": ["s1", "s2"]}])


def test_a_months_figures() -> None:
    f = period_figures("km_monthly", JUNE, month_data(), SETTINGS, date(2024, 7, 5))
    assert (f["section"], f["period"], f["asof"]) == ("month", "2024-06", "2024-06-30")
    assert f["coverage"]["done"] == 2 and f["coverage"]["by_kind"]["agency"]["done"] == 0
    ins = f["inspections"]
    assert (ins["ended"], ins["started"], ins["open_at_end"]) == (2, 3, 1)
    assert ins["by_kind_and_method"]["hospital"]["flight_inspection"] == 1 and ins["by_method"]["daily_patrol"] == 1
    rep = f["reports"]
    assert (rep["due"], rep["on_time"], rep["late"]) == (2, 1, 1)
    fi = f["findings"]
    assert (fi["count"], fi["amount"], list(fi["by_code"])) == (3, Decimal("125.00"), ["H01", "H02", "P01"])
    s = f["sampling"]
    assert s["completed"] == 1 and s["drawn"] == 2                   # RS-2 completed on 1 July, Beijing time
    assert s["by_kind"]["hospital"] == {"samples": 1, "institutions": 1, "population": 1000, "sampled": 25,
                                        "problems": 11, "problem_rate": "0.4400", "expected_rate": "0.4000",
                                        "meets_expectation": True}
    assert s["by_kind"]["agency"]["expected_rate"] is None
    r = f["smart_review"]
    assert r["by_rule"]["over_price"] == {"hits": 2, "open": 1, "confirmed": 1, "dismissed": 0,
                                          "amount": Decimal("12.50"), "confirmed_amount": Decimal("10.00"),
                                          "dismissed_amount": Decimal("0.00")}
    assert r["by_rule"]["card_pooling"]["hits"] == 0                 # found in May
    assert r["decided"] == {"confirmed": 1, "confirmed_amount": Decimal("10.00"), "dismissed": 1,
                            "dismissed_amount": Decimal("300.00")}    # decided in June
    assert f["leads"]["received"] == 1 and f["leads"]["by_source"]["tip"] == 1 and f["leads"]["substantiated"] == 1
    assert (f["cases"]["opened"], f["cases"]["closed"], f["cases"]["open_at_end"]) == (1, 1, 1)
    assert f["money"] == {"decided_recover": Decimal("120.00"), "decided_fines": Decimal("240.00"),
                          "recoveries": 1, "recovered": Decimal("120.00")}
    assert f["agency_audits"]["reported"] == 1 and f["agency_audits"]["amount"] == Decimal("33.00")
    assert f["trainings"]["courses"]["held"] == 1 and f["trainings"]["flight_trips"]["held"] == 0
    assert "credit" not in f and "requirements" not in f and "materials" not in f


def test_the_terms_figures_requirements_and_materials() -> None:
    data = month_data()
    data.evaluations = [{"institution_id": "H1", "year": 2024, "state": "approved", "revision": 1, "grade": "B"},
                        {"institution_id": "H1", "year": 2024, "state": "approved", "revision": 2, "grade": "C"},
                        {"institution_id": "P1", "year": 2023, "state": "approved", "revision": 1, "grade": "A"}]
    data.materials = [{"inspection_id": "I1", "institution_id": "H1", "institution_kind": "hospital",
                       "ended_on": "2024-06-05", "dossier": {"built_on": "2024-06-01", "sha256": "d" * 64},
                       "evidence": [{"evidence_id": "EV-1", "size": 9, "sha256": "e" * 64,
                                     "uploaded_at": "2024-06-04T00:00:00+00:00"}],
                       "report": {"reported_on": "2024-06-07", "sha256": "r" * 64},
                       "packs": [{"report_id": "rp1", "produced_on": "2024-06-07",
                                  "files": {"chart": {"sha256": "c" * 64, "size": 5},
                                            "workbook": {"sha256": "w" * 64, "size": 6}}}],
                       "samples": [{"sample_id": "RS-1", "population": 1000, "population_sha256": "p" * 64,
                                    "completed_at": "2024-06-10T01:00:00+00:00"}]},
                      {"inspection_id": "I3", "institution_id": "A1", "institution_kind": "agency", "ended_on": None}]
    term = Window("2024-03-01/2024-11-20", date(2024, 3, 1), date(2024, 11, 20))
    f = period_figures("km_term", term, data, SETTINGS, date(2024, 11, 25))
    assert f["section"] == "term" and f["trainings"]["flight_trips"]["held"] == 1
    assert f["credit"]["by_grade"] == {"C": 1} and f["credit"]["items"][0]["revision"] == 2   # the latest revision
    m = f["materials"]
    assert (m["inspections"], m["lines"], m["without_report"]) == (2, 6, ["I3"])
    assert [x["material"] for x in m["items"]] == ["dossier", "evidence", "inspection_report", "report_pack_chart",
                                                    "report_pack_workbook", "record_sample_population"]
    req = {x["code"]: x for x in f["requirements"]}
    assert req["coverage"]["met"] is False                               # the agency not inspected
    assert req["reports_on_time"]["met"] is False                        # I2 filed late
    assert req["records_sampled"]["met"] is True                         # the hospital and the agency
    assert req["problem_rate"]["met"] is True and req["problem_rate"]["actual"] == "0.4400"
    assert req["trainings"]["met"] is False and req["flight_trips"]["met"] is False
    assert req["agency_audit"]["met"] is True
    assert req["credit"]["met"] is False                                 # P1 has no 2024 evaluation


def test_materials_list_every_inspection_even_one_without_any() -> None:
    m = materials([{"inspection_id": "I9", "institution_id": "H1", "institution_kind": "hospital"}])
    assert (m["inspections"], m["lines"], m["without_report"]) == (1, 0, ["I9"])
