"""The appraisal room's catalogue: why a case concluded as it did (REASONS, carried as `reason_codes` beside the
reviewer's own `reason` in the case's `conclusion` and in `appraisal.concluded`), and the specific codes of the errors
its rules raise (ERRORS)."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("appraisal conclusions", {
    "experts_approve": "专家多数同意 a majority of the drawn experts approve: the disease status is granted",
    "experts_refuse": "专家多数不同意 a majority of the drawn experts refuse: the disease status is not granted",
    "experts_split": "the experts disagreed; the majority (after a third expert drawn at random) decided",
    "review_passed": "复审通过 the re-review's experts approve: the qualification continues to a new review date",
    "review_failed": "复审未通过 the re-review's experts refuse: the qualification is revoked (stops)",
})

ERRORS = {
    "outcome_of_other_kind": "the outcome is not one a case of this kind concludes with (approved/rejected for a "
                             "first appraisal, continue/revoke for a re-review)",
    "too_few_experts": "fewer eligible experts than the case needs: the case waits for experts",
    "opinions_closed": "the case no longer takes opinions",
    "expert_not_drawn": "only an expert drawn for the case may give an opinion on it",
    "opinion_already_given": "this expert has already given an opinion on the case",
    "case_concluded": "the case is concluded (or was concluded meanwhile)",
    "opinions_missing": "a conclusion needs the required opinions with a majority",
    "concluder_gave_opinion": "an expert who gave an opinion cannot conclude the same case",
    "conclusion_against_experts": "the conclusion must follow the experts' majority",
    "case_not_awaiting_experts": "experts are drawn by a clerk only for a case awaiting them",
    "case_changed": "the case changed meanwhile (closed, or this expert already answered); read it again",
}
