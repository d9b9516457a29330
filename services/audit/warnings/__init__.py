"""Warnings (预警): an anomaly in fund operation, issued by hand, by the spending-growth check over the read model,
or by the anomaly checks (the anomalies room); its written report (书面预警) is due within 7 working days
(`audit.warning_working_days`), and overdue past it. HTTP door (api.py): /v1/warnings, /v1/warnings/{id}/report,
/v1/warnings/checks/spending-growth. Events out: warning.issued (outbox of `warnings`). Events in: none."""
