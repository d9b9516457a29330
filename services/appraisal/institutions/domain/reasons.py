"""The institution registry's catalogue (定点协议管理): what each entry of an institution's history records, and the
error codes a client branches on."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

# The actions of an institution's history (机构档案): each entry names one.
REASONS = ReasonCatalogue("institution registry (定点协议管理)", {
    "applied": "申请受理: the institution's application was received with its documents",
    "reapplied": "重新申请: a rejected or terminated institution applied again (a new review round)",
    "step_passed": "审核通过: a review step (资料审核, 现场验收, 专家评审) was passed",
    "step_failed": "审核未通过: a review step failed; the application is rejected",
    "designated": "签订协议: the agreement was signed with its term; the institution is designated (定点)",
    "renewed": "协议续签: a new agreement term after the current one",
    "migrated": "迁移导入: an institution already designated elsewhere, imported with its agreement term",
    "suspended": "暂停协议: the agreement is suspended from a day",
    "resumed": "恢复协议: a suspension ended; the agreement is in force again",
    "terminated": "解除协议: the agreement is terminated from a day",
    "interviewed": "违规约谈: a violation interview was held; its minutes' checksum is kept",
})

ERRORS = {
    "institution_exists": "an institution of this id is registered and neither rejected nor terminated: it applies "
                          "once per review round",
    "not_own_institution": "an institution applies only for itself (its token's subject is its institution id)",
    "kind_not_in_program": "the caller's program keeps other kinds of institution in its registry (params: kinds)",
    "level_required": "a hospital names its level (一级, 二级, 三级) where its program asks for it",
    "level_not_for_kind": "only a hospital has a level (一级, 二级, 三级)",
    "modes_required": "a care institution names the care modes it offers (institutional, home_visit)",
    "modes_not_for_kind": "care modes belong to care institutions; a hospital or pharmacy names none",
    "district_not_in_lot": "a care institution registers with the lot (carrier) its district belongs to",
    "documents_missing": "a document the application needs (the licence) is missing",
    "document_not_accepted": "a file that is not a PDF, PNG or JPEG as its bytes show, empty, too large, or in an "
                             "unexpected form field",
    "step_out_of_order": "review steps go documents_reviewed → accepted_on_site → expert_reviewed, each once: the "
                         "step is not the one expected now (params: expected, step)",
    "step_not_for_role": "a clerk records the document review only; the other steps are a reviewer's",
    "application_rejected": "a review step failed: the application is closed (the institution may apply again)",
    "too_few_experts": "an expert review names fewer distinct experts than the registry requires (params: minimum)",
    "steps_incomplete": "the agreement is signed only after all three review steps passed (params: missing)",
    "agreement_term_too_long": "an agreement term longer than the registry allows (params: max_years)",
    "agreement_overlaps": "a renewed term starts on or before the end of the latest term",
    "not_designated": "the institution holds no agreement yet (or was rejected): nothing to suspend, terminate, "
                      "renew or interview about",
    "already_suspended": "the agreement is suspended already",
    "agreement_suspended": "the agreement is suspended: resume it before renewing",
    "not_suspended": "the agreement is not suspended: nothing to resume",
    "institution_terminated": "the agreement is terminated: the institution must apply again",
    "date_outside_term": "a suspension or termination day outside the latest agreement term",
    "suspension_overlaps": "a suspension starting before the previous one ended",
    "resumption_before_suspension": "a resumption day on or before the day the suspension began",
    "held_on_in_future": "an interview's day after today",
    "duplicate_institution": "an import lists the same institution id twice",
    "institution_changed": "the institution's file changed meanwhile; read it again and retry",
    "document_altered": "the stored document no longer matches its recorded sha256",
}
