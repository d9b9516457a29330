"""The inspections room's catalogue (基金监管 现场检查): error codes a client branches on."""

from __future__ import annotations

ERRORS = {
    "team_too_small": "an inspection (or a draw's inspectors) needs at least two inspectors (params: minimum)",
    "duplicate_inspector": "an inspector is named twice in a team",
    "date_in_future": "an inspection is recorded, ended or reported once it happened, never for a day to come",
    "ended_before_start": "an inspection ends on or after the day it started",
    "unknown_institution": "no institution of this id is known to supervision (institution.changed from the "
                           "registry)",
    "draw_required": "a double-random inspection (双随机) names the draw it carries out (draw_id)",
    "draw_method_mismatch": "an inspection carrying out a draw is a double-random one (method double_random)",
    "unknown_draw": "no double-random draw of this id",
    "institution_not_drawn": "the institution is not among the institutions the draw drew",
    "inspector_not_drawn": "an inspector of the team is not among the inspectors the draw drew",
    "institution_not_of_kind": "a draw's institution pool names an institution of another kind than the draw's",
    "pool_too_small": "a draw asks for more institutions or inspectors than its pool holds (params: asked, pool)",
    "inspection_reported": "the inspection's report is filed: the inspection no longer changes",
    "inspection_ended": "the inspection has ended already",
    "inspection_not_ended": "a report is filed only after the inspection ended (POST …/end first)",
    "reported_before_end": "a report's day is on or after the day the inspection ended",
    "checklist_incomplete": "every item of the kind's checklist is answered before the report (params: unanswered)",
    "checklist_code_invalid": "the code is not an item of the checklist of the institution's kind (params: kind)",
    "duplicate_answer": "a checklist item is answered twice in one request",
    "answer_contradicts_finding": "an item a finding is recorded under is answered `finding`",
    "finding_not_recorded": "an item answered `finding` has no finding recorded under it",
    "finding_code_required": "a finding names its catalogue code (H01…, P01…, D01…, I01…, A01…)",
    "finding_code_invalid": "the finding's code is not a violation of the institution kind's checklist (params: kind, "
                            "code)",
    "unknown_evidence": "a finding names an evidence file not uploaded to this inspection",
    "evidence_not_accepted": "an evidence file that is not a PDF, PNG or JPEG as its bytes show, empty, too large, or "
                             "in another form field",
    "evidence_altered": "the stored evidence no longer matches its recorded sha256",
    "term_reversed": "a term ends on or after the day it starts",
    "month_outside_term": "a coverage plan schedules an institution in a month outside the term",
    "duplicate_institution": "a coverage plan schedules an institution twice",
    "plan_incomplete": "a coverage plan leaves out institutions of the term: every one is inspected on site (100%) "
                       "(params: missing, first)",
    "inspection_changed": "the inspection changed meanwhile; read it again and retry",
    "plan_reaches_none": "no designated institution holds an agreement in the plan's term: a plan must reach some "
                         "(params: term_from, term_to, known)",
}
