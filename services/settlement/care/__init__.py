"""Care services (护理服务管理, long-term care, Wenzhou): a person's care plan — items and monthly frequencies from
the program's service catalogue for their mode (机构护理, 机构上门护理, 亲情居家护理 with a signed agreement) and
grade — and each service record of a visit or a day checked against the plan and the person's eligibility before it
counts: outside the plan, for a person not (or no longer) covered or deceased, overlapping another record of the same
caregiver, or over the month's planned frequency — refused with the reason.

So far: the pure rules (domain/): plans, record checks, and a month priced by the versioned benefit levels of
the mode and grade (programs/wz-ltc/benefits-*.yaml). Uploads, monthly review and statements come with the rest of
issue 12."""
