"""Reports (月报, 季报): a period's figures live from the read model (applications, grants, benefits, statements,
payments, sampling attainment, call-backs, findings, warnings, complaints, appraisals, and the violations section
where the program asks for it), and the monthly and quarterly reports produced from them with a chart and a
workbook, due by the `report_day` of the next month. For a tenant carrying a long-term care lot also its accounting
and business statistics (ltc_monthly / ltc_quarterly / ltc_half_yearly / ltc_yearly) and operation reports
(ltc_operation_quarterly / ltc_operation_half_yearly / ltc_operation_yearly; domain/ltc.py, service/ltc.py).
HTTP door (api.py): /v1/figures, /v1/reports. Events out: report.produced (outbox of `reports`; the operations room
publishes its own through this room's service). Events in: none. Reporting periods and due dates
(domain/periods.py) are read by every room."""
