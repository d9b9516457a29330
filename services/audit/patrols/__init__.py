"""Long-term care supervision (长护险监管巡查, Wenzhou tender 二、(二)4.2 and 5.1–5.5): the quotas the carrier is held
to — each quarter at least 20% of the care services checked and 100% over the year (4.2), every designated
institution patrolled on site at least once a quarter (5.4), every disabled person's status surveyed once a year
(5.3) — who may patrol (at least two people, one of them medical or nursing, each with a college degree or above,
5.1), the written patrol plan (5.1), breach-handling suggestions for what a patrol finds (5.4) and the patrol
statistics (巡查工作统计表, 5.5).

A care service is (institution, month, record id), one string as its service id `<institution>:<YYYY-MM>:<record id>`
(domain/services.py): settlement takes a record id as the institution's own within its month only.

Events in (handlers.py, through audit's batch handler): care_services.recorded, disability.concluded,
institution.changed — the populations. Events out: patrol.completed (its record_ids: service ids),
status_survey.recorded. Doors: /v1/ltc/patrol-plans, samples, patrols (…/attainment, …/statistics), status-surveys
(api.py)."""
