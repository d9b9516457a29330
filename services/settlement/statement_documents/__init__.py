"""Settlement documents (结算资料) handed in with a monthly statement where the program asks for them (Xunyang:
购药明细、结算表、发票原件): checked against their declared type, kept with their sha256; a statement closes only once
every kind is there.

Doors: HTTP `api.py` (POST/GET /v1/statements/{id}/documents, GET .../documents/{document_id}); the chronic room's
close asks `service.require_documents` first. No events. Store: `statement_documents`."""
