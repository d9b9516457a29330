"""Bad review input: refused with the field's path and a stable code of the room's catalogue, never guessed."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from chassis.errors import ERRORS as CHASSIS_ERRORS
from chassis.errors import InvalidInput
from jingban.review_cli import parse_input
from services.audit.smart_review.domain.catalogue import parse_catalogue
from services.audit.smart_review.domain.claims import parse_claims
from services.audit.smart_review.domain.reasons import ERRORS
from services.audit.smart_review.domain.rules import RULES, Settings, parse_settings
from tests.unit.audit.smart_review.cases import CATALOGUE, PERSON, claim, line


def _claims() -> list[dict[str, Any]]:
    return [claim("c0", [line("c0-1", "D001", "2025-03-02", "2", "10.00", 30)], kind="inpatient",
                  admitted_on="2025-03-01", discharged_on="2025-03-09", settled_at="2025-03-09T10:22:00"),
            claim("c1", [line("c1-1", "S020", "2025-03-02")]),
            claim("c2", [line("c2-1", "S010", "2025-03-02", "3", "0.35")])]


def _refused(fn: Any, data: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        fn(data)
    err = caught.value
    assert err.code in ERRORS or err.code in CHASSIS_ERRORS, err.code
    assert PERSON not in err.message
    return err


def test_the_valid_input_parses_exactly() -> None:
    claims = parse_claims(_claims())
    assert [c.claim_id for c in claims] == ["c0", "c1", "c2"]
    first = claims[0].lines[0]
    assert (first.quantity, first.unit_price, first.amount, first.days_supply) == (
        Decimal("2"), Decimal("10.00"), Decimal("20.00"), 30)
    assert str(claims[0].admitted_on) == "2025-03-01" and claims[0].settled_at.isoformat() == "2025-03-09T10:22:00"
    assert claims[2].lines[0].amount == Decimal("1.05") and claims[0].total == Decimal("20.00")
    catalogue = parse_catalogue(CATALOGUE, version="2025.1")
    assert catalogue.version == "2025.1" and catalogue.included_by["S010"] == ("S001",)
    assert catalogue.get("D001").max_daily_quantity == Decimal("3")  # type: ignore[union-attr]


# ---- the catalogue -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "field", "code"), [
    (lambda c: c[0].pop("code"), "catalogue[0].code", "catalogue_item_incomplete"),
    (lambda c: c[1].pop("kind"), "catalogue[1].kind", "catalogue_item_incomplete"),
    (lambda c: c[1].update(name=""), "catalogue[1].name", "catalogue_item_incomplete"),
    (lambda c: c[2].update(kind="food"), "catalogue[2].kind", "item_kind_unknown"),
    (lambda c: c[3].update(code="D001"), "catalogue[3].code", "catalogue_code_duplicate"),
    (lambda c: c[5].update(includes=["S010", "Z999"]), "catalogue[5].includes[1]", "include_unknown"),
    (lambda c: c[5].update(includes=["S001"]), "catalogue[5].includes[0]", "include_unknown"),
    (lambda c: c[4].update(min_age=15), "catalogue[4].min_age", "age_range_reversed"),
    (lambda c: c[4].update(max_age=-1), "catalogue[4].max_age", "invalid_integer"),
    (lambda c: c[0].update(max_price="12.505"), "catalogue[0].max_price", "invalid_amount"),
    (lambda c: c[0].update(max_price=12.5), "catalogue[0].max_price", "invalid_amount"),  # a float: never
    (lambda c: c[0].update(max_daily_quantity="-1"), "catalogue[0].max_daily_quantity", "invalid_decimal"),
    (lambda c: c[9].update(sex="W"), "catalogue[9].sex", "invalid_choice"),
    (lambda c: c.append("D009"), "catalogue[14]", "invalid_type"),
])
def test_a_bad_catalogue_item_is_refused_naming_its_field(change: Any, field: str, code: str) -> None:
    catalogue = copy.deepcopy(CATALOGUE)
    change(catalogue)
    err = _refused(parse_catalogue, catalogue)
    assert (err.field, err.code) == (field, code)


# ---- the claims --------------------------------------------------------------------------------------------------


def _line(c: list[dict[str, Any]], i: int = 2) -> dict[str, Any]:
    return c[i]["lines"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("change", "field", "code"), [
    (lambda c: _line(c).update(amount="1.04"), "claims[2].lines[0].amount", "amount_mismatch"),
    (lambda c: _line(c).update(amount="1.050"), "claims[2].lines[0].amount", "invalid_amount"),
    (lambda c: _line(c).update(unit_price="abc"), "claims[2].lines[0].unit_price", "invalid_amount"),
    (lambda c: _line(c).update(unit_price="-0.35"), "claims[2].lines[0].unit_price", "invalid_amount"),
    (lambda c: _line(c).update(unit_price=0.35), "claims[2].lines[0].unit_price", "invalid_amount"),
    (lambda c: _line(c).update(quantity="1e3"), "claims[2].lines[0].quantity", "invalid_decimal"),
    (lambda c: _line(c).update(quantity="0"), "claims[2].lines[0].quantity", "invalid_decimal"),
    (lambda c: _line(c).pop("quantity"), "claims[2].lines[0].quantity", "field_required"),
    (lambda c: _line(c).update(date="2025-02-30"), "claims[2].lines[0].date", "invalid_date"),
    (lambda c: _line(c).update(date="2025/03/02"), "claims[2].lines[0].date", "invalid_date"),
    (lambda c: _line(c).update(date="1957-01-01"), "claims[2].lines[0].date", "line_before_birth"),
    (lambda c: _line(c).update(days_supply=0), "claims[2].lines[0].days_supply", "invalid_integer"),
    (lambda c: _line(c).update(days_supply="thirty"), "claims[2].lines[0].days_supply", "invalid_integer"),
    (lambda c: _line(c).update(days_supply=True), "claims[2].lines[0].days_supply", "invalid_integer"),
    (lambda c: _line(c).update(line_id="c1-1"), "claims[2].lines[0].line_id", "line_id_duplicate"),
    (lambda c: _line(c).pop("item_code"), "claims[2].lines[0].item_code", "field_required"),
    (lambda c: _line(c).update(item_code=7), "claims[2].lines[0].item_code", "invalid_type"),
    (lambda c: c[2]["lines"].append([]), "claims[2].lines[1]", "invalid_type"),
    (lambda c: c[0].update(discharged_on="2025-02-28"), "claims[0].discharged_on", "stay_reversed"),
    (lambda c: c[0].update(admitted_on="01.03.2025"), "claims[0].admitted_on", "invalid_date"),
    (lambda c: c[0].update(settled_at="2025-03-09 25:00"), "claims[0].settled_at", "invalid_date"),
    (lambda c: c[1].update(claim_id="c0"), "claims[1].claim_id", "claim_id_duplicate"),
    (lambda c: c[1].pop("person_id"), "claims[1].person_id", "field_required"),
    (lambda c: c[1].update(sex="X"), "claims[1].sex", "invalid_choice"),
    (lambda c: c[1].update(birth_date="1958-13-01"), "claims[1].birth_date", "invalid_date"),
    (lambda c: c[1].update(institution_kind="clinic"), "claims[1].institution_kind", "invalid_choice"),
    (lambda c: c[1].update(kind="emergency"), "claims[1].kind", "invalid_choice"),
    (lambda c: c[1].pop("lines"), "claims[1].lines", "field_required"),
    (lambda c: c[1].update(lines={}), "claims[1].lines", "invalid_type"),
    (lambda c: c.append(None), "claims[3]", "invalid_type"),
])
def test_a_bad_claim_is_refused_naming_its_field(change: Any, field: str, code: str) -> None:
    claims = _claims()
    change(claims)
    err = _refused(parse_claims, claims)
    assert (err.field, err.code) == (field, code)


def test_a_value_seen_before_is_still_checked_in_context() -> None:
    # The readers remember accepted values; a remembered amount on a line whose product differs is still refused.
    claims = _claims()
    claims.append(claim("c3", [line("c3-1", "S010", "2025-03-02", "1", "0.35")]))
    _line(claims, 3)["amount"] = "1.05"  # accepted on c2's line, wrong here
    err = _refused(parse_claims, claims)
    assert (err.field, err.code) == ("claims[3].lines[0].amount", "amount_mismatch")


def test_json_numbers_read_as_decimal_are_accepted() -> None:
    claims = _claims()
    _line(claims).update(quantity=3, unit_price=Decimal("0.35"), amount=Decimal("1.05"))
    assert parse_claims(claims)[2].lines[0].amount == Decimal("1.05")


# ---- the settings and the whole input ----------------------------------------------------------------------------


@pytest.mark.parametrize(("settings", "field", "code"), [
    ({"readmision_days": 15}, "settings.readmision_days", "unknown_setting"),
    ({"readmission_days": -1}, "settings.readmission_days", "invalid_setting"),
    ({"pooling_persons": 1}, "settings.pooling_persons", "invalid_setting"),
    ({"pooling_minutes": "ten"}, "settings.pooling_minutes", "invalid_setting"),
    ({"pooling_minutes": 1.5}, "settings.pooling_minutes", "invalid_setting"),
    ({"rules": ["over_price", "upcoding"]}, "settings.rules[1]", "unknown_rule"),
    ([], "settings", "invalid_type"),
])
def test_bad_settings_are_refused(settings: Any, field: str, code: str) -> None:
    err = _refused(parse_settings, settings)
    assert (err.field, err.code) == (field, code)


def test_settings_default_and_choose_rules() -> None:
    assert parse_settings(None) == Settings() == parse_settings({})
    assert (Settings().readmission_days, Settings().pooling_persons, Settings().pooling_minutes) == (15, 5, 10)
    assert Settings().rules == frozenset(RULES)
    chosen = parse_settings({"readmission_days": 30, "rules": ["over_price"]})
    assert chosen.readmission_days == 30 and chosen.rules == {"over_price"}


@pytest.mark.parametrize(("data", "field", "code"), [
    ({"catalogue": [], "claims": [], "extra": 1}, "extra", "unknown_field"),
    ({"catalogue": []}, "claims", "field_required"),
    ({"claims": []}, "catalogue", "field_required"),
    ({"catalogue": {}, "claims": []}, "catalogue", "invalid_type"),
    ([], None, "invalid_type"),
])
def test_the_input_as_a_whole(data: Any, field: str | None, code: str) -> None:
    err = _refused(parse_input, data)
    assert (err.field, err.code) == (field, code)


def test_every_error_code_is_documented() -> None:
    assert all(description.strip() for description in ERRORS.values())
