"""Consultations, complaints and tips (咨询投诉举报): filed by applicants or clerks, each with a working-day answer
deadline (答复时限) from the caller's own program and an overdue flag; a clerk answers, and the person is told. A tip
(举报, kind `tip`) names the designated institution it is about, may come from an anonymous tip-giver (name and phone
sealed, never published) and is taken only by a program that supervises its institutions (km-supervision): its
complaint.filed carries the institution, and audit's fund supervision makes a lead (线索) of it.

Doors: HTTP `POST /v1/complaints`, `GET /v1/complaints`, `POST /v1/complaints/{id}/resolve` (api.py).
Events out: complaint.filed, complaint.resolved (outbox of `complaints`). Events in: none."""
