"""The reports room's catalogue: error codes a client branches on (fund supervision's km_* reports)."""

from __future__ import annotations

ERRORS = {
    "unknown_inspection": "a km_inspection report's period names no inspection of this tenant (the inspection id)",
    "inspection_not_ended": "a km_inspection report is produced once its inspection has ended (its report then has "
                            "its due day)",
    "period_outside_term": "a km_monthly report's month lies outside the supervision term (params: term_from, "
                           "term_to)",
    "report_file_absent": "the report has no file of that kind (a written report is produced for km_term only)",
}
