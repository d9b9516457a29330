"""Satisfaction survey (满意度测评), where the program runs one: the applicant of a decided application answers once;
clerks, inspectors, ops and the agency supervisor read a period's aggregates — never who answered what.

Doors: HTTP `GET /v1/surveys/questions`, `POST /v1/applications/{id}/survey`, `GET /v1/surveys/results` (api.py).
Events in/out: none (the invitation is sent by the notifications room when an application is decided)."""
