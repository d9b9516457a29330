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
})

ERRORS = {
    "invalid_scale": "a scale file that is not a valid versioned assessment scale",
    "missing_item": "an indicator or item of the scale was not scored: nothing is concluded",
    "unknown_item": "a score for an indicator or item the scale does not have",
    "score_out_of_range": "an item score that is not one of the item's allowed scores",
    "too_few_assessors": "fewer than two eligible assessors (after the care institution's and the previous pair's)",
    "no_medical_assessor": "no eligible assessor with a medical or nursing background",
}
