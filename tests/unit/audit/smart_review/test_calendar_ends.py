"""Supplies and settlements at the calendar's ends (found by probing `POST /v1/review/claims`: a 500): a drug supply
running past 9999-12-31 ends on it, and a pharmacy's pooling window around a claim settled in the calendar's last
minutes stops at its last moment — the rules still find what is there."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.audit.smart_review.domain.checks import _shifted
from tests.unit.audit.smart_review.cases import OTHER, PERSON, claim, line, of, run


def test_a_supply_past_the_calendars_last_day_ends_on_it() -> None:
    hits = run([claim("c1", [line("c1-1", "D003", "9999-12-30", "1", "10.00", 366)]),
                claim("c2", [line("c2-1", "D003", "9999-12-31", "1", "10.00", 30)])])
    [hit] = of(hits, "duplicate_medication")
    assert (hit.claim_id, hit.line_ids) == ("c2", ("c1-1", "c2-1"))
    assert of(run([claim("c3", [line("c3-1", "D003", "9999-12-31", "1", "10.00", 366)])]), "duplicate_medication") \
        == []


def test_a_pooling_window_stops_at_the_calendars_last_moment() -> None:
    persons = [PERSON, OTHER, "650203194501010004", "650203194502070017", "65020319450316003X"]
    claims = [claim(f"p{n}", [line(f"p{n}-1", "D003", "9999-12-31", "1", "10.00")], institution="P01",
                    kind="pharmacy", person=pid, settled_at=f"9999-12-31T23:5{n}:00") for n, pid in enumerate(persons)]
    assert [h.claim_id for h in of(run(claims, new={"p4"}), "card_pooling")] == ["p4"]   # the new claim's
    assert len(of(run(claims), "card_pooling")) == 5
    assert _shifted(datetime.max, timedelta(minutes=10)) == datetime.max
    assert _shifted(datetime.min, -timedelta(minutes=10)) == datetime.min
    assert _shifted(datetime(2026, 1, 1), timedelta(minutes=10)) == datetime(2026, 1, 1, 0, 10)
