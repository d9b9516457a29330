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
    "no_plan": "无护理计划: the person has no care plan with this institution (or, for family care, none at all)",
    "plan_grade_changed": "失能等级变更: the person's grade on the day is not the plan's; a new plan is needed",
    "benefit_priced": "待遇标准: the month's accepted days or visits × the rate of the mode and grade",
    "benefit_capped": "月度限额: the month's benefit capped at the mode's monthly cap for the grade",
    "assessment_fee": "评估费用: an assessment's fee, paid by the lot's carrier out of its service fee (tender 二、4)",
    "fee_shared": "市本级评估费用由A、B、C片区均摊: a city-level person's fee borne by lots A, B and C equally",
})

ERRORS = {
    "invalid_plan": "a care plan with an item or frequency the catalogue does not allow for the mode and grade",
    "invalid_record": "a service record that is malformed (times, items, caregiver)",
    "records_refused": "service records refused by the rules (each refused record with its index, id, rule and "
                       "field); nothing of the upload was stored",
    "record_conflict": "a service record id already used for a record with other content",
    "person_not_eligible": "the person is not covered (no eligible conclusion in force, deceased or moved away) "
                           "from the plan's start",
    "institution_not_designated": "the institution is not a designated care institution (定点护理机构) offering the "
                                  "mode",
    "statement_closed": "the month's care statement of the institution is closed: no more records for it",
    "month_not_over": "the month is not over yet",
    "not_closed": "a care statement is paid once closed",
    "already_paid": "the statement is paid already",
    "invalid_fee": "assessment fee data that is not valid (the lot table's city-level rule, a fee)",
}
