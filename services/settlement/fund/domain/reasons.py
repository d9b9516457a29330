"""The fund finance room's catalogue (专户资金): why a year-end settlement (年度决算), a service fee (承办服务费), a
corridor (盈亏分担), a premium (保费) or an allocation (基金拨付) is what it is, why a payment run leaves an item
unpaid — and the specific error codes the room answers. Each reason's `detail` is the sentence answered before
reasons were data (unchanged, in `reasons`); `params` carry the figures it was made from."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("fund finance (专户)", {
    # the service fee (domain/year_end.py `service_fee`)
    "service_fee": "承办服务费: the year's total reimbursement × the package's share × the bid rate",
    "fee_capped": "年度最高限额: the fee is capped at the year's cap",
    "fee_below_cap": "the fee is below the year's cap: paid as computed",
    "base_fee": "基础服务费: the base share of the fee, paid in full",
    "performance_fee": "绩效服务费: the rest of the fee, by the share of assessment targets met",
    # the long-term care carrier's fee (domain/ltc_fee.py)
    "ltc_fee": "经办服务费: the bid unit price × the lot's insured persons of the previous year",
    "ltc_first_year": "首年: the first year's fee is three quarters of a normal year's",
    "ltc_withheld": "绩效考核资金: 10% of the fee withheld, paid by the yearly score",
    "ltc_score_band": "绩效考核: ≥90 优秀 100%, 80–90 良好 80%, 70–80 合格 60%, <70 较差 nothing, <60 不合格 nothing",
    "ltc_contract_lost": "不合格 (<60): the rest of the service period is cancelled",
    "ltc_awaiting_score": "the year's score (绩效考核) is not assessed yet: the performance part waits for it",
    # the year end with deficit sharing (domain/year_end.py `year_end`)
    "year_result": "年度决算结果: budget × shares + interest + recoveries − benefits paid (the losses the carriers "
                   "bear in full left out): + surplus, − deficit",
    "surplus": "结余: each account returns its fund money left (with interest)",
    "balanced": "收支平衡: nothing is left over and nothing is missing",
    "deficit_from_fees": "入不敷出: the deficit is first taken from the carriers' service fees",
    "deficit_split": "the deficit the fees do not cover: the fund bears its share (3), the carriers the rest (7), "
                     "split by their shares",
    "surplus_returned": "结余返还: the account returns its fund position (allocated + interest + recoveries − paid)",
    "shortfall_received": "决算拨付: the account paid more than it received and is made whole",
    "nothing_to_settle": "the account's fund position is zero: nothing to settle",
    "fee_deduction": "服务费抵扣: the carrier's part of the deficit, at most its fee",
    "carrier_deficit": "承办方承担: the carrier's part (by its share) of what the fees did not cover",
    "deficit_settlement": "决算拨付/返还: what the fund settles into the account: −position − fee deduction − the "
                          "carrier's part",
    "carrier_liability": "承办方全额承担: losses the carrier caused, borne by it in full, outside the sharing",
    # the corridor (domain/year_end.py `corridor`)
    "corridor_result": "盈亏: premium − claims − administration cost, as a share of the premium",
    "carrier_alone_band": "within the first band (±3%): the carrier's alone",
    "shared_band": "the middle band (3%–6%): shared between the carrier and the fund",
    "fund_band": "beyond the middle band (6%): the fund's",
    "corridor_split": "what the carrier keeps or bears, and what the fund takes or bears",
    # the premium (domain/year_end.py `premiums`)
    "ceiling_schedule": "最高预算单价: the base year's ceiling, then each year the previous one × (1 + growth), "
                        "rounded half up to the fen",
    "premium_bid": "保费: the carrier's bid (中标价) of the year, within the year's ceiling (最高预算单价)",
    "premium_ceiling": "no bid given: the premium shown is the year's ceiling (最高预算单价)",
    # the figures a year end starts from (service/year_end.py)
    "budget_set": "年度预算: the year's budget as the agency set it",
    "budget_planned": "年度预算: the year's budget planned in program.yaml (finance.annual_budget)",
    "total_given": "the year's total reimbursement as the agency gave it",
    "total_from_books": "the year's total reimbursement: benefits paid (net of recoveries and of the losses the "
                        "carriers bear in full) in the books of all packages",
    "net_claims": "年度结算总赔款支出: benefits paid less recoveries and the losses the carrier bears in full",
    # allocations (domain/ledger.py `check_allocation`, service/monthly_funding.py)
    "initial_allocation": "年初预拨: the initial allocation, within its share of the year's budget",
    "in_year_allocation": "年内拨付: the in-year allocations, within their share of the year's budget",
    "within_budget": "the year's allocations together stay within the budget (no ratios set)",
    "monthly_actual": "按月据实拨付: the month's payments booked less what was already reimbursed",
    # a payment run (domain/payment_runs.py)
    "not_reconciled": "a statement not (yet) reconciled and balanced with the platform: left unpaid",
    "no_bank_account": "a payable to a person with no bank account known: pay it alone, giving one",
})

ERRORS = {
    "score_out_of_range": "a yearly performance score outside 0–100 (百分制)",
    "above_ceiling": "a unit price above the lot's ceiling (最高限价): an invalid bid",
    "ltc_score_not_assessed": "the performance money (绩效考核资金) is paid by the year's score: none is assessed yet",
    "ltc_performance_already_paid": "the year's performance money is recorded paid already; it is paid once",
    "ltc_no_performance_money": "the year's score pays nothing of the performance fund (较差 or 不合格)",
    "insufficient_funds": "the dedicated account's bank balance cannot cover the payment(s): the carrier must advance "
                          "(垫付) the shortfall first; nothing was written (params: short, needed, balance — yuan, two "
                          "decimals — account, account_name, tenant, year, and on where one value date says it)",
    "allocation_not_actual": "a monthly allocation (按月据实拨付) must equal the month's actual payments less what was "
                             "reimbursed",
    "nothing_to_reimburse": "the month's payments are reimbursed already (or there are none)",
    "shared_year_closed_by_agency": "the year end (年终清算) of a program shared by several carriers is closed by the "
                                    "agency supervisor only, whatever this deployment serves (params: program, "
                                    "carriers)",
}
