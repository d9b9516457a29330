"""The statement documents room's error codes (a client branches on them)."""

from __future__ import annotations

ERRORS = {
    "statement_documents_missing": "the statement cannot close without the settlement documents its program asks "
                                   "for (购药明细、结算表、发票): the message names the kinds missing",
}
