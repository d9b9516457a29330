"""Error codes of the satisfaction survey (满意度测评): an answer or a results query is refused with these
(`{"error": {"code", ...}}`); the survey gives no reasons of its own."""

from __future__ import annotations

ERRORS = {
    "program_runs_no_survey": "the tenant's program runs no satisfaction survey (program.yaml `survey.questions`)",
    "application_not_decided": "the survey is answered once the application is decided "
                               "(approved, not approved, filed, rejected, revoked)",
    "survey_already_answered": "the application's survey is answered already (once per application)",
    "survey_answers_invalid": "every question needs a whole score 1–5 and nothing else (fields name each problem)",
}
