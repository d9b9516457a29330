"""The agency's internal audit, pure: the audit and its checks (audits.py), the written report as a Word document
(written_report.py); error codes (reasons.py)."""
