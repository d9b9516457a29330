"""Care services and their settlement (护理服务管理, 待遇支付审核结算; long-term care, Wenzhou, program wz-ltc).

A person's cover comes from disability assessment (disability.concluded: from the conclusion, with its grade; a later
conclusion replaces it) and ends at death (a clerk's notice, or a status survey) or a move away; designated care
institutions come from the registry (institution.changed). An institution drafts each person's care plan (护理计划:
items and monthly frequencies from the versioned catalogue by mode and grade); a clerk signs family care's agreement
(亲情居家护理). Service records of each visit or day are uploaded (≤ 2,000 a call) and checked whole against the plan,
the cover and the caregiver's other records — refused with the reason, nothing stored. Each month is priced by the
versioned benefit levels into one statement per institution (and one for family care), closed and paid from the
lot's dedicated account (the fund room's ledger). Assessment fees (评估费用) are the carrier's own cost, settled
monthly with city-level persons' fees shared by lots A, B and C.

Doors: HTTP (api.py, /v1/ltc), events in (handlers.py: disability.concluded, institution.changed,
status_survey.recorded). Events out: care_plan.approved, care_services.recorded, care_statement.paid,
assessment_fees.paid. Rules: domain/ (plans, cover, benefits, fees, reasons); use cases: service/; collections:
store.py."""
