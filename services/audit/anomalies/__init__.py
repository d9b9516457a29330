"""Anomaly checks (异常预警): one month of a tenant's fund spending (chronic benefits and critical-illness claims,
read from the read model) checked for spending growth, institutions far from their peers and persons' unusual
months; each hit opens a warning through the warnings room, once per check, subject and month, with its evidence
and reason codes (domain/reasons.py). HTTP door (api.py): POST /v1/warnings/checks/anomalies. Events out:
warning.issued (through the warnings room). Events in: none. Its own room rather than part of warnings: the
statistics are a capability of their own, warnings only the mechanism their hits go through."""
