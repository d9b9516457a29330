"""The record-sampling room's catalogue (病历抽审): error codes a client branches on."""

from __future__ import annotations

ERRORS = {
    "unknown_institution": "no hospital or agency of this id is known to supervision (institution.changed)",
    "population_kind_mismatch": "medical records are sampled at a hospital, manual-reimbursement files at the agency "
                                "(params: expected)",
    "period_reversed": "a population's period ends on or after it starts",
    "period_too_long": "a population covers at most the last two years (近两年内) (params: years)",
    "date_in_future": "a population's period ends today at the latest",
    "population_empty": "a population holds at least one record",
    "population_too_large": "a population holds at most 500,000 records (params: max)",
    "record_id_invalid": "a record id is 1–64 letters, digits or _.:/-",
    "duplicate_record": "a record id is listed twice in a population",
    "record_outside_period": "a record's day lies outside the population's period",
    "rate_below_minimum": "a record sample takes at least 2.5% of its population (不低于总数的2.5%) (params: minimum)",
    "unknown_population": "no population of this id (POST /v1/supervision/record-populations first)",
    "population_sampled": "the population was sampled with another seed: its sample stands (the seed is kept)",
    "inspection_mismatch": "the inspection named is of another institution",
    "record_not_sampled": "a result names a record not in the sample",
    "duplicate_result": "a record has two results in one request",
    "problem_code_required": "a problem record names its violation code",
    "problem_code_invalid": "the code is not a violation of the checklist of the institution's kind (params: kind)",
    "code_without_problem": "a record without a problem names no violation code",
    "sample_completed": "every sampled record has its result: the sample is completed and no longer changes",
    "sample_changed": "the sample changed meanwhile; read it again and retry",
}
