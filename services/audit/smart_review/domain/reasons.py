"""The smart-review room's catalogue (智能审核): one reason code per rule (the code a hit carries, part of the
contract) and the codes of refused input."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("smart claim review (智能审核)", {
    "over_price": "超标准收费: a line's unit price is above the catalogue item's max_price",
    "duplicate_charge": "重复收费: lines of the same person, institution, item, date, quantity and unit price appear "
                        "more than once (in one claim or several)",
    "unbundling": "分解收费: an item billed for a person at an institution on a date on which an item that includes "
                  "it was also billed there",
    "sex_restricted": "限性别项目: the item is for one sex and the person is of the other",
    "age_restricted": "限年龄项目: the person's age in whole years on the line's date is outside the item's "
                      "min_age..max_age",
    "over_quantity": "超量: a person's total quantity of one item on one date, across institutions, is above the "
                     "item's max_daily_quantity",
    "duplicate_medication": "重复用药: two drug lines of the same ingredient for the same person in different claims "
                            "whose supply periods (date + days_supply) overlap",
    "split_admission": "分解住院: an inpatient stay admitted at the same institution within readmission_days after "
                       "the discharge of the person's earlier stay",
    "phantom_bed": "挂床住院: a day of a stay with a bed charge and no drug or service line",
    "non_medical_goods": "药店销售非医保物品: at a pharmacy, a line of kind goods or an item not in the catalogue",
    "card_pooling": "聚敛刷卡: at one pharmacy, claims of at least pooling_persons different persons settled within "
                    "pooling_minutes",
})

ERRORS = {
    "field_required": "a required field of the review input is missing or empty",
    "invalid_type": "a field of the review input is not of its JSON type (object, list, string)",
    "unknown_field": "the review input has a top-level field other than settings, catalogue and claims",
    "invalid_choice": "a field holds a value outside its list (sex M|F, institution_kind hospital|pharmacy, "
                      "claim kind inpatient|outpatient|pharmacy)",
    "invalid_date": "a date is not YYYY-MM-DD (or a settlement time not YYYY-MM-DDTHH:MM:SS)",
    "invalid_decimal": "a quantity is not a plain positive decimal number (no float, no exponent, at most six "
                       "decimals)",
    "invalid_integer": "a whole number (an age, days_supply, a setting) is not one or is out of its range",
    "catalogue_item_incomplete": "a catalogue item without its code, name or kind",
    "item_kind_unknown": "a catalogue item's kind is not drug, service, material, bed or goods",
    "catalogue_code_duplicate": "two catalogue items with the same code",
    "include_unknown": "a catalogue item includes a code that is not in the catalogue (or itself)",
    "age_range_reversed": "a catalogue item's min_age is above its max_age",
    "claim_id_duplicate": "two claims with the same claim_id",
    "line_id_duplicate": "two lines with the same line_id (line ids are unique across all the claims reviewed)",
    "amount_mismatch": "a line's amount is not its quantity × unit price (rounded half up to the fen)",
    "stay_reversed": "a stay discharged before it was admitted",
    "line_before_birth": "a line dated before the person's birth date",
    "unknown_setting": "a setting the rules do not know (readmission_days, pooling_persons, pooling_minutes, rules)",
    "invalid_setting": "a setting outside its range",
    "unknown_rule": "a rule code that is not one of the engine's rules",
    # the in-platform review's doors (service.py, api.py)
    "hit_already_decided": "the hit was confirmed or dismissed before: a hit is decided once",
}
