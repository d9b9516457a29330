"""Reports (月报, 季报): a period's figures live from the read model (applications, grants, benefits, statements,
payments, sampling attainment, call-backs, findings, warnings, complaints, appraisals, and the violations section
where the program asks for it), and the monthly and quarterly reports produced from them with a chart and a
workbook, due by the `report_day` of the next month. HTTP door (api.py): /v1/figures, /v1/reports. Events out:
report.produced (outbox of `reports`; the operations room publishes its own through this room's service).
Events in: none. Reporting periods and due dates (domain/periods.py) are read by every room."""
