"""The fund room's use cases (专户资金): account.py posts to and reads the books (`Fund`, the statement payments
other rooms book), monthly_funding.py the monthly reimbursements (按月据实拨付), payment_runs.py what the chronic and
critical payment runs share, carrier_liability.py the audit findings the carrier bears (承办方全额承担), year_end.py
the year end (年度决算) and the service fee, ltc_fee.py the long-term care carrier's fee (经办服务费) and its
performance money. Called by api.py, handlers.py and other rooms' services; they call
domain/ and store.py."""
