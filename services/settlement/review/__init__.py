"""Smart review's holds on settlement's side (智能审核): every accepted upload — chronic month-end batches
(chronic/), long-term care service records (care/) — is sent to audit in parts (claim_lines.submitted) before
anything of it is paid; audit's claim_review.completed marks each part reviewed and records the lines its hits hold;
review_hit.decided refuses (拒付) or releases them. The rooms that pay ask this one what is pending, held and
refused: a statement closes only when nothing of it is (409 `review_pending`).

Doors: events in `handlers.py` (claim_review.completed, review_hit.decided). Events out: claim_lines.submitted (staged
by the paying room through `service.stage`). Store: review_parts, review_holds. The states' rules: domain/holds.py;
what a submission carries: domain/submissions.py.

Critical illness claims (critical/) with item lines are sent too (critical/service/review.py: one batch per
institution and month of an upload, kept under the month's first statement; manual reimbursements are not).
(choice: a claim may carry its item lines;
a refused line is the institution's loss, as in the chronic room — the claim's self-pay (自付) and the person's
cumulative self-pay are NOT reduced and later claims are not re-adjudicated: the person paid that self-pay and the
year's tiers were met with it; what is refused is the fund's part of the line, `payable × line amount ÷ the claim's
total cost`, taken off the institution's statement with `smart_review_refused`. A claim without lines is reviewed
by nothing and pays as before.)"""
