"""Fund finance (专户资金): the carriers' dedicated accounts kept as double-entry books — the agency's allocations
(基金拨付, or 按月据实拨付), carrier advances (垫付), interest, recoveries (追回款), statement payments and payment runs
(批量支付), losses the carrier bears in full (承办方全额承担), reconciliation, and the year end (年度决算: deficit
sharing or the corridor, service fees, premiums). Doors: HTTP (api.py, /v1/fund) and the event door (handlers.py).
Also the long-term care carrier's fee (经办服务费, /v1/fund/ltc-fee) with its performance part paid by audit's yearly
score. Events in: `finding.raised` (audit's findings the carrier causes), `carrier_score.assessed` (the long-term
care carrier's yearly score). Events out: `ledger.posted` (each entry), `fund_year.closed` (each account's year end),
`ltc_fee.performance_paid` (the performance money recorded paid)."""
