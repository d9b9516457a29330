"""Applicant notifications (结果告知: SMS/push) behind a port (`service.Notifier`); locally the outbox adapter
(`service.OutboxNotifier`) keeps each message in the tenant's `notifications` collection, readable over HTTP. A decided
application of a program that runs a satisfaction survey also brings an invitation to it (`invite_to_survey`).

Doors: HTTP `GET /v1/notifications` (api.py). Events in/out: none (the applications and complaints rooms send)."""
