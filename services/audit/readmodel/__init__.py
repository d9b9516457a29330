"""The read model (稽核视图): every event of a tenant folded into documents keyed by the business id (cases,
policies, applications, appraisals, complaints, benefits, statements, payments, critical-illness claims, the
ledger, closed fund years, event-borne findings, and long-term care's applications, assessments, service
counts, statements, assessment fees, patrols, status surveys, interviews and performance money) — the material
sampling, warnings, anomaly checks, reports and the carrier's score compute from. Events in: all of them, handed
over by the trail room's event door after they are in the trail (`trail/service.py` calls `projection` and `fold`).
Door: GET /v1/cases. Events out: none. The projection itself (`domain/readmodel.py`) is pure and reads events as
plain data (`service.fact_of`)."""
