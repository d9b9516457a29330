"""The disability assessment room's catalogue (失能等级评定): why a grade is what it is, and its error codes."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("disability assessment (失能等级评定)", {
    "indicator_level": "一级指标: the indicator's item scores summed, mapped to its level by the scale's bands",
    "combined_grade": "组合分级: the grade from the combination table (adl level × the worse of the other two)",
    "sample_scale": "样例量表: graded with a scale labelled SAMPLE, not the city's official table",
    "severe": "重度失能: the grade is one the insurance covers",
    "not_severe": "未达重度失能: the grade is below the ones the insurance covers",
    "old_age": "因年老失能: disability through old age needs no waiting time",
    "lasting": "失能状态持续6个月以上: the disability has lasted the months required",
    "too_recent": "失能未满6个月: the disability has not lasted the months required yet (earliest date given)",
    "not_assessed_for_lasting": "未达重度失能: how long the disability has lasted is not asked when the grade is not "
                                "one the insurance covers",
    "recheck_due": "待遇资格审查: an eligible conclusion is re-checked this many months after it",
    "migrated": "既往结论: a conclusion made before the platform, imported with its day, grade and scale version",
})

ERRORS = {
    "invalid_scale": "a scale file that is not a valid versioned assessment scale",
    "missing_item": "an indicator or item of the scale was not scored: nothing is concluded",
    "unknown_item": "a score for an indicator or item the scale does not have",
    "score_out_of_range": "an item score that is not one of the item's allowed scores",
    "too_few_assessors": "fewer than two eligible assessors (after the care institution's and the previous pair's)",
    "no_medical_assessor": "no eligible assessor with a medical or nursing background",
    "pool_too_small": "评定人员库不足: no pair can be drawn (two, one medical or nursing, none of the person's care "
                      "institution, none of the previous pair); the assessment waits and a clerk's draw retries",
    "already_drawn": "the assessment's assessors are drawn already: a pair is drawn once, never chosen by hand",
    "visit_required": "no on-site visit (评定信息采集过程记录) is recorded yet: scores come after the visit",
    "visit_already_recorded": "the assessment's on-site visit is recorded already (once, by the drawn pair)",
    "evidence_required": "an on-site visit needs its evidence: at least one photo or recording",
    "two_assessors_required": "a conclusion names both assessors of the pair, two different ones",
    "not_the_drawn_pair": "the assessors named are not the pair drawn for this assessment",
    "already_concluded": "the assessment is concluded already: its conclusion stands (an objection re-assesses)",
    "not_concluded": "the assessment has no conclusion yet",
    "objection_out_of_time": "异议期已过: the objection comes after the deadline of the conclusion notice",
    "already_objected": "the conclusion was objected to already (or a later assessment replaced it)",
    "objection_final": "复评结论为最终结论: a re-assessment after an objection is not objected to again",
    "assessment_open": "the person has an assessment under way: one at a time",
    "recheck_not_eligible": "待遇资格审查 is of persons whose conclusion makes them eligible; others apply anew",
    "invalid_ltc_setting": "a long-term care setting of the program (ltc.*) that is missing or malformed",
    "wrong_lot": "a migrated conclusion of a person outside the caller's lot (district, or the city-level rule)",
    "not_a_member": "a migrated conclusion of an insurance type that is not one of the program's members",
}
