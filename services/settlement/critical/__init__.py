"""Critical illness insurance (大病保险, program qz-critical): persons' assistance status (救助对象), claims settled
on each person's year account (platform uploads, provincial imports, manual reimbursements 零星报销), large-claim
reviews (大额医疗费用核查) drawn under the program's quotas, and the money chain — monthly statements per
institution (月度结算单), payables to persons, reconciliation with the provincial platform (3201 对总账) and
payments from the fund room's dedicated account. Doors: HTTP only (api.py, /v1/critical). Events in: none.
Events out: `critical_claim.settled`, `critical_review.completed`, `statement.closed`, `statement.reconciled`,
`payment.issued`; `claim_lines.submitted` for claims with item lines (smart review 智能审核, through
services/settlement/review: service/review.py, domain/review.py)."""
