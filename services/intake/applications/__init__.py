"""Applications (申请受理): an applicant (phone), a window clerk or an agent files an application for one or more
diseases, or a re-review (复审), with its documents; a clerk reviews it (初审: complete, documents missing, rejected —
with reason codes); the applicant adds missing documents (补充材料) and follows the timeline (办理进度), on which
appraisal's decisions show.

Doors: HTTP `/v1/applications…`, `/v1/programs/{program}/checklist|counties/…` (api.py); gRPC GetApplication
(rpc.py); events in: experts.assigned, appraisal.concluded, qualification.* (handlers.py).
Events out: application.submitted, application.completed, application.documents_requested, application.rejected
(outbox of `applications`)."""
