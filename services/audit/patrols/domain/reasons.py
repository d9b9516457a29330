"""The long-term care supervision room's catalogue (长护险监管巡查): attainments and error codes."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("long-term care supervision (长护险监管)", {
    "quarter_sampling": "每季度抽查比例不低于20%: care services checked in the quarter against 20% of those delivered",
    "year_coverage": "每年监督检查比例达到100%: every care service of the year checked",
    "institution_patrols": "现场巡查每季度不少于1次: every designated institution patrolled on site this quarter",
    "status_survey": "失能人员基本状态调查每年100%: every disabled person's status surveyed this year",
})

ERRORS = {
    "patrol_team_too_small": "a patrol needs at least two inspectors (每次巡查不少于2人)",
    "patrol_team_without_medical": "a patrol needs an inspector of a medical or nursing profession "
                                   "(其中1人为医护学专业人员)",
    "inspector_degree": "every inspector has a college (专科) degree or above (具有大学及专科以上学历)",
}
