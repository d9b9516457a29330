"""The critical illness room's catalogue (大病保险, program qz-critical): why a claim pays what it pays, why a claim
was (not) drawn for review, why a statement is supplementary — and the specific error codes the room answers."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("qz-critical benefits", {
    # a claim's amounts (domain/claims.py `adjudicate`)
    "deductible": "自付累计未超起付标准: the claim's self-pay counts toward the year's deductible",
    "ratio": "超起付标准部分按补助比例支付: the fund pays its ratio of what is above the deductible",
    "year_cap": "最高支付限额: the year's benefit is capped",
    "tier_change": "待遇档次变化: an earlier claim was paid under another tier or policy version",
    "already_paid": "累计补助已支付: the cumulative benefit was already paid",
    "outside_policy_year": "政策不在有效期: no policy version is in force on the claim's date",
    # a review draw (domain/review_quota.py `admit`)
    "quota": "按比例抽查: drawn to reach the stratum's quota",
    "random": "随机抽查: drawn at random within the stratum",
    "not_drawn": "未抽中: the stratum's quota is met without this claim",
    # a statement (domain/statements.py)
    "late_claims": "补充结算单: claims settled after the month's statement began closing",
    # a reconciliation run leaves a statement unreconciled (service/statements.py `reconcile_run`)
    "not_closed": "the statement is still open (or closing): close it before reconciling",
    "not_balanced": "对账不平: the provincial platform's totals differ from the statement's in the groups named",
})

ERRORS = {
    "not_balanced": "the provincial platform's totals differ from the statement's in a group (对账不平); the "
                    "result is stored",
    # a claim's item lines (domain/review.py), reviewed by smart review (智能审核)
    "amount_mismatch": "a line's amount is not quantity × unit price (half up to the fen): claims[i].lines[j].amount",
    "duplicate_line_id": "a line id is used twice in one claim",
    "lines_exceed_total": "a claim's lines add up to more than its total cost",
    "review_pending": "the statement cannot close yet: a claim of its institution and month is still under smart "
                      "review (智能审核), or held by an open hit (params: pending_batches, held_lines, open_hits)",
    "person_lookup_refused": "an institution reads its own claims, nothing of a person beyond them: no assistance "
                             "status, no year account totals, no other institution's claims",
}
