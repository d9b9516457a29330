"""The lots room's catalogue (片区): why a person is in a lot, and its error codes."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("long-term care lots (片区)", {
    "district_lot": "按辖区: the person's district belongs to the lot",
    "city_level_lot": "市本级均分: a city-level person, placed in A, B or C by the recorded rule",
    "fee_shared": "市本级评估费用由A、B、C片区均摊: the assessment fee split in three, the odd fen to the first lots",
})

ERRORS = {
    "unknown_district": "a district that is in no lot of the program",
    "invalid_lots": "a lot table that is not valid",
}
