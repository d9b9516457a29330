"""Outpatient chronic & special disease benefits (门诊慢特病): holdings (资格) from appraisal's qualification events,
the benefit accounts (待遇累计), month-end claim uploads (月结申报), real-time settlement of a visit (即时结算), monthly
statements (月度结算单) closed, reconciled with the provincial platform (3201 对总账) and paid, alone or in payment runs
(批量支付) booked in the fund room's dedicated account.

Doors: HTTP `api.py` (/v1/admin/holdings, /v1/persons/{id}/accumulators, /v1/claims..., /v1/visits/settle,
/v1/statements..., /v1/payments); gRPC `rpc.py` (SettlementService: GetAccumulators, Adjudicate, GetPolicy);
events in `handlers.py` (qualification.granted, qualification.revoked, qualification.renewed). Events out:
benefits.settled, statement.closed, statement.reconciled, payment.issued. Store: person_states, claims_<statement>,
batches, statements, settlements, payments."""
