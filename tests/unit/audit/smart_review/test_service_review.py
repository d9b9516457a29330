"""Smart review's use cases around the engine (services/audit/smart_review/service.py), on the in-memory store: the
programs' rule sets load (and a broken one names its field), a submission reviewed against the tenant's history
(hits stored, holds on the lines the amount falls on, claim_review.completed staged once — a redelivered part changes
nothing), sex and age rules skipped for a person whose facts are unknown, a decision once (409
`hit_already_decided`), screening imports with no holds, and no identity number in clear at rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from chassis.errors import Conflict, InvalidInput, PoisonMessage
from chassis.programs import PROGRAMS_DIR
from chassis.store.memory import MemoryStore
from contracts.v1 import events_pb2
from services.audit.smart_review import service
from services.audit.smart_review.store import CLAIMS, HITS, SUBMISSIONS

MAN = "610702196001010531"
WOMAN = "61070219750315002X"
T = "hz-p1"


@pytest.fixture
def db() -> Any:
    return MemoryStore().database("audit", T)


def claim(cid: str, person: str, lines: list[tuple[str, str, str, str, str]], sex: str = "", born: str = "",
          **extra: Any) -> events_pb2.ReviewClaim:
    """lines: (line, item, date, quantity, unit price); the amount is their product."""
    from decimal import Decimal
    return events_pb2.ReviewClaim(
        claim_id=cid, person_id=person, sex=sex, birth_date=born, kind=extra.pop("kind", "outpatient"), **extra,
        lines=[events_pb2.ReviewLine(line_id=f"{cid}|{n}", item_code=item, date=day, quantity=q, unit_price=p,
                                     amount=f"{Decimal(q) * Decimal(p):.2f}") for n, item, day, q, p in lines])


def submitted(batch: str, claims: list[events_pb2.ReviewClaim], part: int = 1, institution: str = "H01",
              kind: str = "hospital", month: str = "2025-06") -> events_pb2.ClaimLinesSubmitted:
    return events_pb2.ClaimLinesSubmitted(batch_id=batch, part=part, parts=1, program="hz-chronic", source="chronic",
                                          institution_id=institution, institution_kind=kind, month=month,
                                          claims=claims)


def completed_events(doc: dict[str, Any]) -> list[events_pb2.ClaimReviewCompleted]:
    out = []
    for e in doc.get("_outbox") or []:
        m = events_pb2.ClaimReviewCompleted()
        m.ParseFromString(e["payload"])
        out.append(m)
    return out


@pytest.mark.parametrize("program", ["hz-chronic", "xy-chronic", "qz-critical", "wz-ltc", "km-supervision"])
def test_every_program_has_a_rule_set_that_loads(program: str) -> None:
    if not (PROGRAMS_DIR / program / service.RULES_FILE).exists():
        pytest.skip(f"{program} has no review rules yet")
    rules = service._load(program, PROGRAMS_DIR)
    assert rules.version and rules.catalogue_version and len(rules.catalogue) > 0
    assert rules.settings.readmission_days == 15 and rules.settings.pooling_persons == 5
    view = rules.view()
    assert {r["code"] for r in view["rules"]} == set(service.RULES)


def test_a_broken_rule_set_names_its_field() -> None:
    good = yaml.safe_load((PROGRAMS_DIR / "hz-chronic" / "review-catalogue-sample.yaml").read_text(encoding="utf-8"))

    def read(name: str) -> Any:
        return good

    for data, field in (({"settings": {}, "catalogue": "c.yaml"}, "review-rules.version"),
                        ({"version": "v1", "catalogue": "c.yaml", "extra": 1}, "review-rules.extra"),
                        ({"version": "v1"}, "review-rules.catalogue"),
                        ({"version": "v1", "catalogue": "c.yaml", "settings": {"readmission_days": 999}},
                         "review-rules.settings.readmission_days"),
                        ({"version": "v1", "catalogue": "c.yaml", "rules": ["no_such_rule"]},
                         "review-rules.settings.rules[0]")):
        with pytest.raises(InvalidInput) as refused:
            service.parse_rule_set("p", data, read)
        assert refused.value.field == field, (data, refused.value.field)
    with pytest.raises(InvalidInput) as refused:
        service.parse_rule_set("p", {"version": "v1", "catalogue": "c.yaml"},
                               lambda name: {"version": "c1", "items": [{"code": "X", "name": "x"}]})
    assert refused.value.field == "c.yaml.items[0].kind"


def test_a_program_without_rules_reviews_with_none(tmp_path: Path) -> None:
    (tmp_path / "p0").mkdir()
    rules = service._load("p0", tmp_path)
    assert rules.version == "none" and not rules.settings.rules


async def test_a_submission_is_reviewed_against_the_history_once(db: Any) -> None:
    june = submitted("b1", [claim("C1", MAN, [(1, "S011", "2025-06-03", "1", "8.00"),
                                              (2, "D101", "2025-06-03", "60", "0.80")], "M", "1960-01-01")])
    assert await service.review_submission(db, T, june, "ev-1", {})
    (doc,) = await db[SUBMISSIONS].find({}).to_list(None)
    (event,) = completed_events(doc)
    assert (event.batch_id, event.part, event.source, event.rule_set_version) == ("b1", 1, "chronic",
                                                                                    "hz-review-sample.1")
    assert [(h.rule, list(h.line_ids), h.amount) for h in event.holds] == [("over_price", ["C1|2"], "18.00")]
    assert await db[CLAIMS].count_documents({}) == 1
    # Redelivered (another event id): nothing new.
    assert not await service.review_submission(db, T, june, "ev-1b", {})
    assert await db[HITS].count_documents({}) == 1

    # The same charge in a later batch of the same month: a duplicate of history — the new line is held.
    again = submitted("b2", [claim("C9", MAN, [(1, "S011", "2025-06-03", "1", "8.00")], "M", "1960-01-01")])
    assert await service.review_submission(db, T, again, "ev-2", {})
    doc = await db[SUBMISSIONS].find_one({"_id": "chronic|b2|0001"})
    (event,) = completed_events(doc)
    (hold,) = event.holds
    assert (hold.rule, list(hold.line_ids), hold.amount, hold.claim_id) == ("duplicate_charge", ["C9|1"], "8.00",
                                                                           "C9")
    hit = await service.hit(db, hold.hit_id)
    assert hit["line_ids"] == ["C1|1", "C9|1"] and hit["held_line_ids"] == ["C9|1"]
    assert {x["batch_id"] for x in hit["lines"]} == {"b1", "b2"}
    assert MAN not in str(hit)


async def test_unknown_sex_or_birth_date_skips_those_rules(db: Any) -> None:
    d203 = [(1, "D203", "2025-06-05", "30", "3.00")]      # men only
    d301 = [(1, "D301", "2025-06-05", "1", "1.50")]       # children only
    assert await service.review_submission(db, T, submitted("b1", [
        claim("K1", WOMAN, d203, "F", "1975-03-15"), claim("K2", "P-unknown", d203),
        claim("K3", WOMAN, d301, "F", "1975-03-15"), claim("K4", "P-unknown-2", d301)]), "ev-1", {})
    rules = {(h["rule"], h["claim_id"]) for h in (await service.hits(db, {}, None, 100))["hits"]}
    assert rules == {("sex_restricted", "K1"), ("age_restricted", "K3")}


async def test_malformed_submissions_are_poison(db: Any) -> None:
    bad = submitted("b1", [claim("C1", MAN, [(1, "S011", "2025-06-03", "1", "8.00")])])
    bad.claims[0].lines[0].amount = "abc"
    with pytest.raises(PoisonMessage):
        await service.review_submission(db, T, bad, "ev-1", {})
    with pytest.raises(PoisonMessage):
        await service.review_submission(db, T, submitted("", []), "ev-2", {})
    assert await db[HITS].count_documents({}) == 0 and await db[CLAIMS].count_documents({}) == 0


async def test_a_hit_is_decided_once_with_a_note(db: Any) -> None:
    await service.review_submission(db, T, submitted("b1", [claim("C1", MAN, [(1, "D101", "2025-06-03", "60",
                                                                               "0.80")])]), "ev-1", {})
    (hit,) = (await service.hits(db, {"state": "open"}, None, 10))["hits"]
    who = {"role": "reviewer", "subject": "rev-1"}
    with pytest.raises(InvalidInput) as refused:
        await service.decide(db, T, hit["hit_id"], "confirm", "  ", who, {})
    assert refused.value.field == "note"
    view = await service.decide(db, T, hit["hit_id"], "confirm", "超限价, 身份证 " + MAN, who, {})
    assert view["state"] == "confirmed" and view["decision"]["by"] == who
    with pytest.raises(Conflict) as twice:
        await service.decide(db, T, hit["hit_id"], "dismiss", "again", who, {})
    assert twice.value.code == "hit_already_decided"
    stored = await db[HITS].find_one({"_id": hit["hit_id"]})
    assert MAN not in str(stored["decision"])  # the note is sealed at rest
    decided = events_pb2.ReviewHitDecided()
    decided.ParseFromString(stored["_outbox"][0]["payload"])
    assert (decided.decision, list(decided.line_ids), decided.source) == ("confirm", ["C1|1"], "chronic")
    summary = await service.summary_of(db, {})
    assert summary["by_rule"]["over_price"]["confirmed"] == 1
    assert summary["total"]["confirmed_amount"] == "18.00"


async def test_screening_finds_pooled_cards_and_holds_nothing(db: Any) -> None:
    persons = [f"6107021960010105{n}{n}" for n in range(5)]
    claims = [{"claim_id": f"s{n}", "institution": "P01", "institution_kind": "pharmacy", "person_id": p,
               "sex": "M", "birth_date": "1960-01-01", "kind": "pharmacy",
               "settled_at": f"2025-03-09T10:0{n * 2}:00",
               "lines": [{"line_id": f"s{n}-1", "item_code": "D001", "date": "2025-03-09", "quantity": "1",
                          "unit_price": "20.00", "amount": "20.00"}]} for n, p in enumerate(persons)]
    result, fresh = await service.screen(db, T, {"claims": claims, "import_id": "imp-1"}, {"role": "inspector"})
    assert fresh and result["summary"]["card_pooling"] == 5 and result["hits"] == 5
    again, fresh = await service.screen(db, T, {"claims": claims, "import_id": "imp-1"}, {"role": "inspector"})
    assert not fresh and again == result
    listed = (await service.hits(db, {"source": "screening"}, None, 100))["hits"]
    assert len(listed) == 5 and all(h["held_line_ids"] == [] for h in listed)
    with pytest.raises(InvalidInput) as refused:
        await service.screen(db, T, {"claims": [{**claims[0], "lines": [{**claims[0]["lines"][0],
                                                                           "amount": "21.00"}]}]}, {})
    assert (refused.value.field, refused.value.code) == ("claims[0].lines[0].amount", "amount_mismatch")
    with pytest.raises(InvalidInput) as refused:
        await service.screen(db, T, {"claims": claims, "settings": {}}, {})
    assert refused.value.code == "unknown_field"
    assert await db[SUBMISSIONS].count_documents({}) == 1
    for doc in await db[CLAIMS].find({}).to_list(None):
        assert not any(p in str(doc) for p in persons)  # sealed, found by blind index
