"""Fund operation reports (基金运行分析): monthly, quarterly and yearly figures of what the fund paid (chronic
benefits and critical-illness claims from the read model), per capita, the budget's burn against the year
elapsed, the ledger and the year's result, for a tenant or — for an agency supervisor — every tenant of its
program served here. HTTP door (api.py): /v1/operation-reports. Events out: report.produced (kind
`operation-monthly|quarterly|yearly`, outbox of `operation_reports`, built by the reports room's service).
Events in: none."""
