"""Re-review (复审) and revocation (撤销) of a qualification: the notice when a review falls due, the worklist, a
re-review case's conclusion (continue moves the review date on, revoke revokes), a clerk's revocation.

Doors: HTTP GET /v1/reviews/due, POST /v1/reviews/scan, POST /v1/qualifications/{id}/revoke (a re-review case is
concluded through the case room's POST /v1/cases/{id}/conclusion); a background scanner (service.review_loop).
Events out: qualification.review_due, qualification.renewed, qualification.revoked, appraisal.concluded (review)."""
