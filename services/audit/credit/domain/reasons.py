"""The credit room's catalogue (信用评价): why a score is what it is, and the error codes the room answers."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("the credit evaluation of designated institutions (信用评价)", {
    "credit_start": "基础分: the year starts at the rules' start points",
    "confirmed_hit": "智能审核确认违规: a smart-review hit confirmed by a reviewer (its lines refused)",
    "inspection_finding": "现场检查发现违规: a finding of a reported inspection",
    "record_sample_problem": "病历抽审问题病历: problem records found in a record sample",
    "case_finding": "线索查实案件违规: a finding of a case opened from a lead and closed",
    "cooperation": "配合监管检查情况: the inspectors' rating of the institution's cooperation this year",
    "cap_reached": "扣完为止: the rule's cap is reached; the fact deducts nothing more",
    "credit_score": "信用得分: the start less the deductions, at least zero",
    "credit_grade": "信用等级: the first grade (best first) whose minimum the score reaches",
})

ERRORS = {
    "credit_rules_invalid": "the credit rules file is not valid (credit-rules.yaml): a rule, cap or grade is missing "
                            "or malformed",
    "credit_year_in_future": "a year is evaluated once it has begun; a later year has no facts",
    "credit_evaluation_not_draft": "only a draft evaluation is approved (an approved or superseded one is final)",
    "credit_nothing_to_evaluate": "no institution is known for the year: name the institutions to evaluate",
    "unknown_institution": "the institution is neither in the registry (institution.changed) nor in the year's facts",
    "credit_rating_unknown": "the rating is not one of the rules' cooperation ratings",
}
