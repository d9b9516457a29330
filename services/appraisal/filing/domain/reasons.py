"""The filing room's codes: of the errors it raises (ERRORS). A filing the platform refuses keeps the platform's own
message (`filing_error`)."""

from __future__ import annotations

ERRORS = {
    "missing_insutype": "the case carries no insurance type (insutype) from 1101: 2503 cannot file it",
    "filing_not_retryable": "only a failed or refused filing (备案) can be retried",
}
