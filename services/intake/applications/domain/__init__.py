"""Pure rules of applications (申请受理): no I/O, no drivers — the form and its documents (application.py), the
program's own fields (program_fields.py), a re-review's qualification (re_review.py), the clerk's preliminary review
(review.py), what appraisal's decisions show the applicant (outcomes.py), and the reason codes (reasons.py)."""
