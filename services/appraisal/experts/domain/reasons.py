"""The expert room's codes: of the errors its rules raise (ERRORS), including the per-row `reason` of a pool row the
program's pool rules refuse."""

from __future__ import annotations

ERRORS = {
    "expert_list_not_approved": "no expert list of the program is approved by its agency yet: no draw (the case waits)",
    "expert_hospital_level": "a pool row's hospital is below the program's minimum level",
    "expert_not_local": "a pool row's hospital is not a local one of the program's division",
    "expert_not_in_provincial_pool": "a pool row lacks the expert's id in the provincial pool (省专家库编号)",
    "not_the_agency": "only the agency (supervisor) of the list's own program decides an expert list",
    "expert_list_approval_not_asked": "the program does not ask for expert list approval",
    "expert_list_not_pending": "only a pending expert list version is decided (it was decided already or meanwhile)",
}
