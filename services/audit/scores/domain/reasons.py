"""The carrier score room's catalogue (绩效考核): why a score is what it is, when each step of the year falls due, and
the error codes the room answers."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("the carrier's yearly score (绩效考核)", {
    "ltc_deduction": "扣分: points deducted from an item of the evaluation table, at most its weight",
    "ltc_score": "基本分100分, 扣分制: 100 less the year's deductions",
    "ltc_grade": "考核结果: ≥90 优秀, 80–90 良好, 70–80 合格, <70 较差, <60 不合格 (program.yaml ltc.score_bands)",
    "carrier_report_due": "年度运行情况报告: the carrier reports within one month after the service year",
    "assessment_due": "绩效考核: assessed within three months after the service year",
    "performance_payment_due": "绩效考核资金: paid within one month after the assessment",
})

ERRORS = {
    "deduction_above_weight": "a deduction above its item's weight in the evaluation table (扣完为止)",
    "score_not_settable": "the score is 100 less the deductions: a body cannot set it (or its grade) directly",
    "score_items_invalid": "the evaluation table's items must have positive weights summing to 100",
    "score_year_not_ended": "a year is scored (and its carrier report submitted) only after the service year ended",
    "carrier_report_submitted": "the year's carrier report is recorded submitted already; it is submitted once",
}
