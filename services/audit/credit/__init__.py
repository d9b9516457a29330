"""The credit evaluation of designated institutions (定点医药机构信用评价, Karamay tender 二(一)1(6)): each
institution's year scored from its facts — smart-review hits confirmed (review_hit.decided), inspection findings
(inspection.reported), problem records of record samples (record_sample.completed), findings of cases opened from leads
(case.closed) and the inspectors' rating of its cooperation — by the rules and grades kept as data
(programs/km-supervision/credit-rules.yaml, a labelled SAMPLE), every deduction explained (rule, source event, amount,
points); an inspector evaluates, the agency's supervisor approves (credit.evaluated).

Only the tenants of program km-supervision have any of it: every other tenant's call is 404 before its body is read,
and its events are ignored. Events in (handlers.py, through audit's batch handler): review_hit.decided,
inspection.reported, record_sample.completed, case.closed, institution.changed (who is evaluated). Events out:
credit.evaluated. Doors: /v1/supervision/credit (api.py)."""
