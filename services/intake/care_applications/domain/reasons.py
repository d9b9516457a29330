"""Reason codes of long-term care applications (长护险申请受理, 初步筛查): each eligibility precondition the screening
checks, passed or failed (REASONS, given on the application, its timeline and its events as `reason_codes`), and the
error codes a filing or a screening is refused with (ERRORS: `{"error": {"code", ...}}`)."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("intake long-term care applications", {
    "member": "参保对象: the person's insurance type is one of the program's members (职工医保 310, 城乡居民医保 390) "
              "(params: insutype)",
    "not_member": "非参保对象: the person's insurance type is not one the program covers (params: insutype)",
    "disabled_six_months": "失能状态持续6个月以上: an illness basis, disabled at least six months before the "
                           "application's date (params: disabled_since, applied_on, months, reached_on)",
    "disabled_too_recent": "失能未满6个月: an illness basis, disabled less than six months before the application's "
                           "date (params: disabled_since, applied_on, months, reached_on)",
    "old_age_reached": "因年老失能: an old-age basis, the person is of the program's age on the application's date "
                       "(params: age, old_age_from)",
    "old_age_not_reached": "未达年老失能年龄: an old-age basis, the person is younger than the program's age "
                           "(params: age, old_age_from)",
    "documents_present": "材料齐全: every document the application needs is there (params: required)",
    "documents_missing": "材料不全: documents the application needs, or the clerk asked for, are not there "
                         "(params: missing)",
    "only_open_application": "无在办申请: no earlier application of the person is still open",
    "another_open_application": "已有在办申请: an earlier application of the person is still open (submitted, "
                                "awaiting documents or in assessment); one at a time",
    "refused_at_screening": "初步筛查不予受理: the clerk refused the application (detail: the clerk's note)",
})

ERRORS = {
    # the filing (filing.py)
    "applicant_not_person": "an applicant files (and adds documents) only for themself; an agent files through a "
                            "clerk",
    "not_a_member": "the insurance type is not one of the program's members (职工医保 310, 城乡居民医保 390)",
    "agent_required": "an agent's filing (channel agent) names the agent: name, phone and relation",
    "disabled_since_required": "an illness basis says since when the person is disabled (disabled_since)",
    "disabled_since_only_for_illness": "disabled_since belongs to an illness basis; an old-age basis has none",
    "disabled_since_out_of_range": "disabled_since is after today or before the person's birth",
    "wrong_lot": "the person's lot (片区) is another carrier's: file there (params: lot, tenant); nothing stored",
    "document_kind_unknown": "a document field that is not one of the long-term care document kinds",
    "no_documents": "adding documents sends at least one",
    # the screening (screening.py)
    "application_not_screenable": "only a submitted application is screened",
    "screening_preconditions_failed": "an accept the eligibility preconditions do not allow (params: reasons, the "
                                      "failed reason codes; fields: one per failed precondition)",
    "missing_documents_unnamed": "a `missing` outcome names the documents to add, unless some are missing already",
    "missing_with_other_outcome": "documents are named missing only with the outcome `missing`",
    "rejection_reasons_required": "a rejection needs reasons: a failed precondition or the clerk's note",
    # the documents loop and concurrent changes (service.py)
    "not_awaiting_documents": "documents are added only before the screening decides (submitted or "
                              "documents_requested)",
    "care_application_changed": "the application changed meanwhile (another clerk or a redelivered step); read it "
                                "again",
}
