"""Filing (备案) with the provincial platform: a granted qualification is filed (2503), renewed after a passed
re-review (2504 + 2503) and revoked (2504) by a background worker (service/worker.py) moving its explicit states
(domain/states.py).

Doors: HTTP GET /v1/filings, POST /v1/cases/{id}/filing/retry. Events out: qualification.filed."""
