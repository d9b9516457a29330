"""The leads-and-cases room's catalogue (线索与案件): the reasons a case's amounts carry and the error codes the room
answers."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("leads and cases (线索与案件)", {
    "violation_found": "查实违规: a finding coded from the violation catalogue, with the amount in question",
    "recovery_decided": "处理决定·追回: the amount the institution must pay back to the fund",
    "fine_decided": "处理决定·罚款: the fine decided (not collected by the carrier)",
    "recovered": "追回到账: money paid back, with its receipt",
})

ERRORS = {
    "lead_source_entered": "a lead entered at the door comes from a superior (superior) or a department "
                           "(department); tips come from intake's complaints (kind tip)",
    "lead_already_verified": "the lead was verified already (核查); it is verified once",
    "unknown_institution": "the institution is not one supervision knows (institution.changed of a hospital, pharmacy "
                           "or the agency)",
    "lead_unknown": "no lead of this id (another tenant's leads look the same)",
    "lead_not_substantiated": "a case is opened only from a lead verified substantiated (核查属实)",
    "lead_has_case": "a case was opened from this lead already",
    "case_source_ambiguous": "a case is opened from a lead (lead_id) or an inspection (inspection_id): exactly one",
    "inspection_unknown": "no reported inspection of this id is known here (inspection.reported)",
    "inspection_has_case": "a case was opened from this inspection already",
    "inspection_without_findings": "the inspection found nothing: there is no case to open from it",
    "case_action_not_allowed": "the case's state does not allow this (open → decided → closed; a closed case "
                               "takes nothing more)",
    "unknown_violation_code": "the finding's code is not in the violation catalogue (violation-catalogue.yaml)",
    "decision_amount_required": "a decision to recover (追回) or fine (罚款) states its amount, above zero",
    "decision_without_findings": "a decision (处理决定) follows at least one finding",
    "recovery_above_findings": "the amounts decided to be recovered exceed what the findings put in question",
    "recovery_without_decision": "money is recorded recovered only after a decision to recover",
    "recovery_above_decided": "the recoveries exceed the amount decided to be recovered",
    "case_undecided": "a case with findings is closed only after a decision (处理决定)",
    "case_recovery_outstanding": "the case still has money to recover; it closes once all is recovered "
                                 "(params: outstanding)",
    "document_unknown": "the case file holds no document of this id",
    "document_not_accepted": "a file is not one of the accepted types, is empty or too large, or its content does "
                             "not match its type",
    "date_in_future": "a date of something that happened lies in the future",
    "date_before_received": "the verification is dated before the lead was received",
}
