"""The chronic room's catalogue: why a benefit line pays what it pays (REASONS, the codes `benefits.adjudicate`
gives), and the specific error codes its doors answer with (ERRORS)."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("chronic benefits (hz-chronic, xy-chronic)", {
    "not_covered": "不予支付: the item is outside the catalogues or unrelated to the disease (the institution or a "
                   "review says so)",
    "disease_not_held": "无资格: the person holds no qualification (资格) for the line's disease on its date",
    "before_benefit_start": "待遇未开始: the line is dated before the disease's benefits start (次月, or the grant "
                            "day for immediate diseases)",
    "outside_policy_year": "不在政策期内: the claim's date is outside the benefit year of the account, or outside the "
                           "policy version's effective dates",
    "unknown_disease": "未列病种: the line's disease is not in the policy version in force",
    "deductible": "起付线: part of the line went to the yearly deductible (params: applied)",
    "ratio": "按比例支付: the fund pays the disease's ratio; the rest is the patient's share (params: percent, "
             "patient_share)",
    "year_cap": "年度限额: limited to what is left of the combined year cap (params: left, cap)",
    "monthly_cap": "月度限额: limited to what is left of the monthly cap of the claim's month "
                   "(params: left, cap, month)",
    "review_overdue": "复审逾期: the qualification's re-review was due before the claim's date; benefits "
                      "resume after a passed re-review (params: due)",
})

ERRORS = {
    "batch_in_progress": "a month-end batch with this id is being processed (by this process or another alive); send "
                         "it again when it is done",
    "batch_id_reused": "the batch id was already used for another upload (other content or month); use a new one",
    "statement_not_open": "the statement of the month is closing or closed: its claims can no longer be uploaded or "
                          "settled",
    "statement_has_active_batches": "the statement cannot close yet: batches are still being processed, or were "
                                    "interrupted (send each again, as it was sent)",
    "person_lookup_refused": "an institution reads its own claims and statements, nothing of a person beyond them "
                             "(a person's benefit accounts hold every institution's claims)",
    "amount_mismatch": "a claim line's amount is not its quantity × unit_price (rounded half up to the fen)",
}
