"""Policy tables (政策表): each program's benefit table as data, published in versions that never overlap; the version
in force on a date; every calculation records the version it used.

Doors: HTTP `api.py` (POST /v1/policies, GET /v1/policies/{program}[/versions]); the gRPC GetPolicy is served by
the chronic room's servicer (settlement has one gRPC service) through this room's service. Events out:
policy.published (outbox of `policies`). Store: `policies`."""
