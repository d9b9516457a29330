"""The agency audit room's catalogue (经办机构内部审核): the reasons its figures carry and the error codes it
answers."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("the agency's internal audit (经办机构内部审核)", {
    "nonconforming_check": "不合规: a manual reimbursement or payment found not to conform, with the amount in "
                           "question and the agency item of the violation catalogue",
    "nonconforming_rate": "不合规率: nonconforming checks / checks, per area",
})

ERRORS = {
    "audit_team_too_small": "an internal audit is made by at least two inspectors (program.yaml "
                            "supervision.min_team)",
    "audit_period_reversed": "the audited period ends before it starts",
    "audit_institution_not_agency": "the institution audited is not the agency (经办机构): inspect a hospital or "
                                    "pharmacy instead",
    "sample_unknown": "no record sample (病历抽审) of this id",
    "sample_not_of_institution": "the record sample is of another institution than the agency audited",
    "unknown_institution": "the institution is not one supervision knows (institution.changed)",
    "agency_audit_reported": "the audit's written report is out: it takes no more checks and is reported once",
    "agency_audit_without_checks": "a written report needs at least one check",
    "check_details_required": "a nonconforming check states the catalogue code, the amount in question and a note",
    "check_code_not_agency": "a check's code is an item of the catalogue's agency group (医保经办机构: A01…)",
    "check_reference_repeated": "the same file or payment is checked twice in one audit",
    "unknown_violation_code": "the code is not in the violation catalogue (violation-catalogue.yaml)",
    "date_in_future": "a date of something that happened lies in the future",
}
