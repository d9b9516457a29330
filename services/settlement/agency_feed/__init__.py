"""The agency feed (长护险信息管理系统推送, long-term care, Wenzhou): the tender (二、(二)6) has the carrier work in the
buyer's long-term care information system and push to it at the assessment, service and settlement steps. Each
assessment conclusion (`disability.concluded` → LTC01), each accepted upload of care service records
(`care_services.recorded` → LTC02, a message per 500 records) and each care statement paid (`care_statement.paid` →
LTC03) becomes a push in this room's store — pending → sent, or failed with its attempts and the system's answer —
sent by a worker with the agency adapter (agency/), retrying transport failures only; a refusal parks the push with
the system's answer code for ops, who may send it again.

Doors: HTTP `GET /v1/ltc/agency-pushes?status=&tenant=&limit=` (ops, supervisor), `POST
/v1/ltc/agency-pushes/{push_id}/retry` (ops); events in: disability.concluded, care_services.recorded,
care_statement.paid (handlers.py). Events out: none. The person's number travels to the agency inside the envelope
only: sealed in the store (dropped once sent), never in the list, a log line or an error."""
