"""The audit trail (审计留痕): every event of every tenant, in the order audit received it, hash-chained in the
tenant's `trail` so any edit, deletion or reordering shows. Event door (handlers.py): all event types of the
catalogue, a poll batch per tenant at a time — appended to the trail, then folded into the read model (the
readmodel room). HTTP door (api.py): GET /v1/trail and /v1/trail/verify. Events out: none. The dead_letters room
appends its replay records through this room's service."""
