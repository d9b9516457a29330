"""Dead-letter replays (死信重放): `jingban dlq replay` records every replay of a parked message in the tenant's
hash-chained trail (through the trail room's service) before it republishes it, and a listing copy per replay;
ops reads them back. HTTP door (api.py): POST/GET /v1/dead-letters/replays (role ops). Events in/out: none (a
replay is a trail entry of type `dead_letter.replayed`, never published). Its own room: it is the operators'
capability, the trail only where it is kept. Error codes: domain/reasons.py."""
