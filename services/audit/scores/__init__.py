"""The long-term care carrier's yearly score (绩效考核, Wenzhou tender 五): the agency's city office scores its lot's
carrier out of 100 by deductions from the evaluation table's items (each at most its weight, the items versioned data:
programs/wz-ltc/score-items-sample.yaml until the bureau's table is loaded), graded by the tender's bands
(program.yaml `ltc.score_bands`); one score a year, a correction replacing it with the earlier kept as history. The
year's three due dates are tracked with it: the carrier's yearly operation report (one month after the service
year), the assessment (three months after) and the performance money (one month after the assessment, paid by
settlement).

Doors: HTTP (api.py) `POST /v1/ltc/scores`, `GET /v1/ltc/scores`, `GET /v1/ltc/scores/{year}`,
`POST /v1/ltc/scores/{year}/carrier-report`. Events out: carrier_score.assessed (outbox of `carrier_scores`).
Events in: ltc_fee.performance_paid, through the read model (the performance money's done date)."""
