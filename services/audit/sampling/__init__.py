"""Sampling and inspections (抽查, 电话回访, 稽核发现): reproducible sampling plans over the read model's cases
(≥ 70% of the uncapped diseases' cases), their inspection tasks, phone call-backs of the sampled persons and
findings — raised by an inspection problem, an unconfirmed call-back or an inspector by hand, with the carrier's
liability (reason codes in domain/reasons.py). HTTP door (api.py): /v1/sampling-plans, /v1/inspection-tasks,
/v1/callbacks, /v1/findings. Events out: finding.raised (outbox of findings, inspection_tasks, callbacks). Events
in: none directly (the read model folds finding.raised into `findings`)."""
