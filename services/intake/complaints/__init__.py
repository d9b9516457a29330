"""Consultations and complaints (咨询投诉): filed by applicants or clerks, each with a working-day answer deadline
(答复时限) from the caller's own program and an overdue flag; a clerk answers, and the person is told.

Doors: HTTP `POST /v1/complaints`, `GET /v1/complaints`, `POST /v1/complaints/{id}/resolve` (api.py).
Events out: complaint.filed, complaint.resolved (outbox of `complaints`). Events in: none."""
