"""The Karamay fund-supervision walk's body builders (jingban/km_flow.py) against the rules that will judge them: the
screening claims break exactly the rules planted (the engine of smart review says so, with the program's own rule set
and catalogue) and nothing else, persons carry valid identity numbers whose sex and birth date the claims repeat, the
roster fits the registry's agreement terms and covers the day asked for, populations pass record sampling's checks,
the evidence files pass the rooms' content sniffing, and `KmWalk.inspect` goes through the doors in the inspection's
order."""

from __future__ import annotations

import json
import struct
import zlib
from datetime import date
from typing import Any

import httpx
import pytest

from jingban.km_demo import term_around
from jingban.km_flow import (
    AGENCY_ID,
    PERSONS_PER_INSTITUTION,
    KmWalk,
    checklist_codes,
    clean_claims,
    evidence_pdf,
    evidence_png,
    institution_ids,
    lines_of,
    person,
    planted_claims,
    record_population,
    roster,
    sample_results,
    screening_claims,
)
from services.appraisal.institutions.domain.agreement import check_term
from services.audit.cases.domain.documents import sniff as case_sniff
from services.audit.inspections.domain.catalogue import load_catalogue
from services.audit.inspections.service import sniff as evidence_sniff
from services.audit.record_sampling.domain.population import check_records
from services.audit.smart_review.domain.claims import parse_claims
from services.audit.smart_review.domain.engine import review, summary
from services.audit.smart_review.service import rule_set

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def found(claims: list[dict[str, Any]]) -> dict[str, int]:
    rules = rule_set("km-sv")
    return {rule: n for rule, n in summary(review(rules.settings, rules.catalogue, parse_claims(claims))).items() if n}


@pytest.mark.parametrize(("institution", "kind"), [("KM-H001", "hospital"), ("KM-P001", "pharmacy")])
def test_screening_claims_break_exactly_the_rules_planted(institution: str, kind: str) -> None:
    claims, expected = screening_claims(institution, kind, "2026-11", 3 * PERSONS_PER_INSTITUTION, clean=120)
    assert found(claims) == expected   # parse_claims also checks every amount is quantity × unit price
    assert found(clean_claims(institution, kind, "2026-11", 0, 200)) == {}
    assert lines_of(claims) > 200 and len({c["claim_id"] for c in claims}) == len(claims)


def test_every_rule_is_planted_once_and_hospitals_and_pharmacies_together_stay_apart() -> None:
    hospital, h = planted_claims("KM-H002", "hospital", "2026-02", 0)
    pharmacy, p = planted_claims("KM-P002", "pharmacy", "2026-02", PERSONS_PER_INSTITUTION)
    assert set(h) | set(p) == set(rule_set("km-sv").settings.rules)
    assert found(hospital + pharmacy) == {**h, **p}


def test_persons_are_valid_identity_numbers_of_karamay() -> None:
    ids = [person(n) for n in range(8 * PERSONS_PER_INSTITUTION)]
    assert len({p["person_id"] for p in ids}) == len(ids)
    for p in ids[:500]:
        pid = p["person_id"]
        assert len(pid) == 18 and pid.startswith("650203")
        assert pid[-1] == "10X98765432"[sum(int(d) * w for d, w in zip(pid[:17], WEIGHTS, strict=True)) % 11]
        assert pid[6:14] == p["birth_date"].replace("-", "")
        assert p["sex"] == ("M" if int(pid[16]) % 2 else "F")


def test_the_roster_fits_the_registry_and_covers_the_day_asked_for() -> None:
    everyone = roster()
    assert len(everyone) == 161 and len(institution_ids("hospital")) == 17 and len(institution_ids("pharmacy")) == 143
    assert institution_ids("agency") == [AGENCY_ID]
    for on in (date(2026, 12, 1), date(2031, 6, 30)):
        for item in roster(on=on):
            term = item["agreement"]
            start, end = date.fromisoformat(term["valid_from"]), date.fromisoformat(term["valid_to"])
            check_term(start, end)   # three years at most
            assert start <= on and (end - on).days >= 365
    assert roster()[0]["agreement"] == everyone[0]["agreement"]   # the file as read is untouched


def test_checklists_are_the_inspection_rooms() -> None:
    catalogue = load_catalogue()
    for kind in ("hospital", "pharmacy", "agency"):
        assert checklist_codes(kind) == [i.code for i in catalogue.checklist(kind)]


def test_a_population_passes_record_samplings_checks_and_results_mark_the_first() -> None:
    start, end = date(2024, 12, 2), date(2026, 11, 30)
    records = record_population("KM-H001", start, end, 1200)
    assert check_records(records, start, end) == [r["record_id"] for r in records]
    assert (records[0]["date"], records[-1]["date"]) == (start.isoformat(), end.isoformat())
    results = sample_results(records[:30], 12, ("H01", "H02"))
    assert [r["problem"] for r in results] == [True] * 12 + [False] * 18
    assert {r.get("code") for r in results} == {"H01", "H02", None}


def test_evidence_files_pass_the_rooms_sniffing_and_are_well_formed() -> None:
    pdf, png = evidence_pdf("inspection INS-1 现场"), evidence_png(7)
    assert evidence_sniff("application/pdf", pdf) and case_sniff("application/pdf", pdf)
    assert evidence_sniff("image/png", png) and case_sniff("image/png", png)
    assert evidence_png(7) == png != evidence_png(8)
    # The PDF's cross-reference table points at its objects; the PNG's chunks carry their CRCs.
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref:].startswith(b"xref") and b"(inspection INS-1 ) Tj" in pdf
    at = 8
    while at < len(png):
        (size,) = struct.unpack(">I", png[at:at + 4])
        kind, data = png[at + 4:at + 8], png[at + 8:at + 8 + size]
        assert struct.unpack(">I", png[at + 8 + size:at + 12 + size])[0] == zlib.crc32(kind + data)
        at += 12 + size
    assert at == len(png)


def test_the_demo_term_holds_today() -> None:
    start, end = term_around(date(2026, 12, 1))
    assert (start, end) == (date(2026, 7, 1), date(2027, 3, 31))
    start, end = term_around(date(2027, 1, 31))
    assert start == date(2026, 8, 1) and end == date(2027, 4, 30)


async def test_an_inspection_goes_through_the_doors_in_its_order() -> None:
    """`KmWalk.inspect`: opened → dossier → checklist → evidence → findings (backed by the evidence) → the rest
    checked → ended → reported, each door named once in that order."""
    sent: list[tuple[str, str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = json.loads(request.content) if request.headers.get("content-type") == "application/json" else None
        sent.append((request.method, path.rsplit("/", 1)[-1], body))
        if path.endswith("/inspections") and request.method == "POST":
            return httpx.Response(201, json={"inspection_id": "INS-1", "institution_kind": "hospital"})
        if path.endswith("/evidence"):
            return httpx.Response(201, json={"added": ["EV-1", "EV-2"], "evidence": []})
        if path.endswith("/findings"):
            return httpx.Response(201, json={"added": [{"finding_id": "INS-1-F1"}]})
        return httpx.Response(200 if request.method == "GET" or path.endswith(("/checklist", "/end")) else 201,
                              json={"inspection_id": "INS-1"})

    class Tokens:
        def user_token(self, *_: Any) -> str:
            return "t"

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        walk = KmWalk(lambda _: "http://audit", Tokens(), http)  # type: ignore[arg-type]
        out = await walk.inspect("KM-H001", date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 25))
    assert [(m, p) for m, p, _ in sent] == [
        ("POST", "inspections"), ("POST", "dossier"), ("POST", "checklist"), ("POST", "evidence"),
        ("POST", "findings"), ("POST", "checklist"), ("POST", "end"), ("POST", "report"), ("GET", "INS-1")]
    [finding] = sent[4][2]["findings"]
    assert finding["code"] == "H01" and finding["evidence_ids"] == ["EV-1", "EV-2"]
    assert sent[5][2] == {"answers": [], "others": "checked"}
    assert (sent[6][2], sent[7][2]["reported_on"]) == ({"ended_on": "2026-11-23"}, "2026-11-25")
    assert (out["inspection_id"], out["evidence_id"], out["finding_ids"]) == ("INS-1", "EV-1", ["INS-1-F1"])
