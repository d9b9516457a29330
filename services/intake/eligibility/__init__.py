"""Eligibility look-ups (参保与资格核验): who the applicant is to the fund, asked of those who know — the provincial
platform (1101 人员信息获取: insured or not, person number, insurance area and type) before the preliminary review,
and appraisal, which owns qualifications (gRPC GetQualifications), before a re-review (复审) is filed.

No doors and no collections of its own: the applications room calls its service; events in/out: none."""
