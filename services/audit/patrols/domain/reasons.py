"""The long-term care supervision room's catalogue (长护险监管巡查): attainments and error codes."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("long-term care supervision (长护险监管)", {
    "quarter_sampling": "每季度抽查比例不低于20%: care services checked in the quarter against 20% of those delivered",
    "year_coverage": "每年监督检查比例达到100%: every care service of the year checked",
    "year_pace": "the year's 100% kept on pace: by the end of quarter n, n/4 of the year's services known so far are "
                 "in a sample (the fourth quarter takes every one left)",
    "institution_patrols": "现场巡查每季度不少于1次: every designated institution patrolled on site this quarter",
    "status_survey": "失能人员基本状态调查每年100%: every disabled person's status surveyed this year",
})

ERRORS = {
    "patrol_team_too_small": "a patrol needs at least two inspectors (每次巡查不少于2人)",
    "patrol_team_without_medical": "a patrol needs an inspector of a medical or nursing profession "
                                   "(其中1人为医护学专业人员)",
    "inspector_degree": "every inspector has a college (专科) degree or above (具有大学及专科以上学历)",
    "patrol_empty": "a patrol visits at least one institution or checks at least one sampled service",
    "patrol_date_outside_quarter": "the patrol's date lies outside the quarter it is recorded for",
    "date_in_future": "a patrol or survey is recorded once it took place, never for a day still to come",
    "record_not_in_sample": "a checked service is not in the sample of the patrol's quarter (or of an earlier "
                            "quarter of the year): plan the sample first (POST /v1/ltc/samples)",
    "service_unknown": "no care service of this institution, month and record id is known to the lot "
                       "(care_services.recorded)",
    "service_id_invalid": "a checked service id is not <institution>:<YYYY-MM>:<record id> (a record id is only the "
                          "institution's own within a month): use the sample's service_id or checked_services",
    "service_ambiguous": "the institution's record id names services of more than one month: name the month (or the "
                         "service id)",
    "finding_institution_mismatch": "a finding's service belongs to another institution than the finding names",
    "unknown_institution": "no care institution of this id is known to the lot (institution.changed)",
    "unknown_finding_code": "the finding's code is not in the breach-handling table (patrol-findings-*.yaml)",
    "finding_record_not_checked": "a finding names a service this patrol did not check",
    "sample_seed_fixed": "the quarter's sample was drawn with another seed; re-planning keeps the recorded seed",
    "survey_date_outside_year": "the survey's date lies outside the year it is recorded for",
    "survey_person_not_disabled": "the person is not among the year's disabled persons (disability.concluded)",
    "plan_quarters_incomplete": "a patrol plan gives targets for each of the four quarters, once",
    "plan_sample_below_quota": "a quarter's sampling target is below the tender's 20% (每季度抽查比例不低于20%)",
    "plan_surveys_short": "the quarters' status-survey targets add up to less than the year's 100%",
}
