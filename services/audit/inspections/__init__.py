"""Fund supervision's inspections (基金监管 现场检查, Karamay tender 二(一)1–3, RULES.md D): every designated hospital,
pharmacy and the agency of the district inspected on site within the term (100%: the coverage plan and its live
figures), double-random draws of institutions and inspectors (双随机, seed kept, reproducible), inspections by a team
of at least two with their method (日常巡查, 稽核, 明察暗访, 专项整治, 交叉检查, 飞行检查, 双随机抽查), the pre-visit
dossier built from the institution's smart-review hits and anomaly warnings (数据提取与筛查), the checklist of the
institution's kind from the tender's violation catalogue (programs/km-supervision/violation-catalogue.yaml, every
item coded), evidence files with their sha256, findings with catalogue code and amount, and the report (调查报告) due
3 calendar days after a hospital's inspection ends, the next day for a pharmacy (3 for the agency, a choice), flagged
overdue. The findings history of each institution is kept here (the registry keeps kind, level and agreement).

Events in (handlers.py, through audit's batch handler): institution.changed (the institutions, kind and level).
Events out: inspection.reported. Doors: /v1/supervision/institutions, coverage-plans, coverage, draws, inspections
(…/dossier, …/checklist, …/evidence, …/findings, …/end, …/report), reports (api.py). Only fund supervision's tenants
(program km-supervision): any other is 404."""
