"""Record sampling (病历抽审, Karamay tender 二(一)4, RULES.md D): a hospital's medical records of the last two years,
or the agency's manual-reimbursement files (手工报销申报材料), uploaded as a population (record ids, CSV or JSON, sha256
kept); a reproducible draw of at least 2.5% of them (ceil(2.5% × N), seed kept: the same seed and population give the
same records); each sampled record's result (problem or not, the violation code, a note); the problem-record rate
(问题病历发现率 = problem records / records sampled) shown against the tender's 40% expectation for hospitals.

Events in: none (the institutions come from the inspections room). Events out: record_sample.completed (every sampled
record has its result). Doors: /v1/supervision/record-populations, /v1/supervision/record-samples (api.py). Only fund
supervision's tenants (program km-supervision): any other is 404."""
