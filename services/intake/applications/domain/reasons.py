"""Reason codes of intake's applications (申请受理): why the preliminary review decided as it did (REASONS, given
in the application's answer and on its timeline as `reason_codes` beside the sentences), and the specific error codes
an application is refused with at the door (ERRORS: `{"error": {"code", ...}}`)."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("intake applications", {
    "documents_missing": "待补充材料 the checklist (材料清单) or the clerk names documents still to add "
                         "(params: missing, comma-separated kinds)",
    "not_insured": "未参保 the provincial platform (1101) does not confirm the person insured: the application the "
                   "clerk found complete is rejected (params: error, the platform's answer or `suspended`)",
    "refused_at_review": "不予受理 the clerk refused the application at the preliminary review (detail: the clerk's "
                         "note)",
})

ERRORS = {
    # the program's own fields (program_fields.py)
    "program_unknown": "the application names a program that is not defined",
    "program_not_carried": "the application names a program the tenant is not a carrier of (params: program)",
    "district_required": "the program asks for the applicant's handling district (所属经办区) and none was given",
    "district_unknown": "the district named is not one of the program's",
    "records_required": "the program asks for the inpatient records (住院资料) the application rests on",
    "records_hospital_level": "the inpatient records come from a hospital below the program's minimum level",
    "records_too_old": "the inpatient records are older than the program allows on the day of submission",
    "records_date_in_future": "the inpatient records' discharge date is after the day of submission",
    # a re-review (复审) application (re_review.py)
    "review_qualification_unknown": "the applicant holds no qualification with this id",
    "review_requires_active_qualification": "only an active qualification is re-reviewed",
    "review_disease_mismatch": "the disease named is not the qualification's",
    "review_already_open": "a re-review of this qualification is already under way",
    # the preliminary review (application.py)
    "application_not_reviewable": "only a submitted application can be reviewed",
    "required_documents_missing": "the clerk cannot complete an application whose checklist documents are missing "
                                  "(params: missing)",
    "missing_documents_unnamed": "a `missing` decision names which documents are missing",
    # the documents loop and concurrent changes (service.py)
    "documents_not_requested": "documents are added only when the review asked for them (status documents_missing)",
    "application_changed": "the application changed meanwhile (another clerk or a redelivered step); read it again",
}
