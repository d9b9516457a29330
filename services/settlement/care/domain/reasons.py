"""The care room's catalogue (护理服务管理): why a service record is refused, and its error codes."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("long-term care services (护理服务)", {
    "record_accepted": "the record is within the plan, the person's cover and the caregiver's time",
    "outside_plan": "计划外服务: the item is not in the person's care plan",
    "outside_plan_period": "the record falls outside the plan's period",
    "over_frequency": "超频次: the month's records of the item exceed the plan's frequency",
    "person_not_covered": "待遇资格不符: the person is not covered on the record's day",
    "person_deceased": "服务对象已死亡: the record is after the person's death",
    "caregiver_overlap": "护理员时间重叠: the caregiver has another record overlapping this one",
    "benefit_priced": "待遇标准: the month's accepted days or visits × the rate of the mode and grade",
    "benefit_capped": "月度限额: the month's benefit capped at the mode's monthly cap for the grade",
})

ERRORS = {
    "invalid_plan": "a care plan with an item or frequency the catalogue does not allow for the mode and grade",
    "invalid_record": "a service record that is malformed (times, items, caregiver)",
}
