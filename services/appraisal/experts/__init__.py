"""The expert pool (鉴定专家库) and the expert list its program's agency approves (专家库审核备案): the pool imported as
CSV, checked against the program's pool rules; each import a list version the agency approves or refuses; draws use
only an approved list's experts where the program asks for the approval.

Doors: HTTP POST /v1/experts/import, GET /v1/experts, /v1/expert-lists… (approve, reject). No events of its own (an
approval draws the waiting cases through the case room: experts.assigned)."""
