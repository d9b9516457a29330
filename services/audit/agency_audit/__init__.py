"""The agency's internal audit (经办机构内部审核, Karamay tender 二(一)1(5): 对经办机构开展内部审核，留存检查记录并出具
检查报告): an audit of the agency over a period by a team of inspectors, its checks of manual reimbursements
(手工报销) and payments (支付) — each conforming or not, with the amount in question, a code of the catalogue's
agency items (A01…) and a note — optionally linked to a record-sampling sample (病历抽审: the agency's
manual-reimbursement files), and the written report (检查报告) generated as a Word document whose sha256 is recorded.

Only the tenants of program km-supervision have any of it: every other tenant's call is 404 before its body is read.
Doors: /v1/supervision/agency-audits (api.py). No events."""
