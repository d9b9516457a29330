"""Long-term care applications (长护险失能等级评定申请受理, 初步筛查): the person, their family or an agent
applies for a disability assessment — on a phone or at a window — with their documents (ID card; medical records
showing at least six months of disability after treatment, or none for disability through old age; an agent's
authorization); the person's lot (片区) must be the caller's tenant's; a clerk screens the application against the
eligibility preconditions with reasons (accept, ask for missing documents, reject) within the program's working days;
the applicant follows the timeline, on which appraisal's assessment shows.

Doors: HTTP `/v1/ltc/applications…` (api.py); events in: disability.assessment_opened (the two assessors drawn may
open the documents), disability.concluded (handlers.py). Events out: care_application.submitted,
.documents_requested, .accepted (appraisal opens the assessment), .rejected (outbox of `care_applications`)."""
