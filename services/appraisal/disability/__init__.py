"""Disability assessment (失能等级评定, long-term care, Wenzhou). An accepted application opens an assessment; two
assessors are drawn at random from the assessor pool (评定人员库) — at least one medical or nursing, none of the
person's care institution, seed and candidates recorded, never chosen by hand; a pool too small leaves it waiting
(`pool_too_small`) for a clerk's draw or the next pool import. The pair records the on-site visit (评定信息采集过程记录)
with its photos and recordings (sniffed, sha256 and size kept, sealed; every read recorded), then scores every item
of the national scale's three first-level indicators — activities of daily living (10 items), cognition (4),
perception and communication (3) — each summed to a level, combined by the combination table into the grade 0–5
(基本正常 … 重度失能III级). The scale is versioned data (programs/wz-ltc/assessment-*.yaml, the sample labelled SAMPLE);
every conclusion records the version, who is covered (severe, lasting six months or through old age), the re-check
date (`ltc.recheck_months`) and the fee (`ltc.assessment_fee`). The conclusion notice (评定结论通知书) gives the
objection deadline (`ltc.objection_days`); an objection in time re-assesses by a different pair (its conclusion is
final); eligible conclusions come up for their periodic re-check (待遇资格审查). Conclusions made before the platform
(既往结论, the lot's book from the system it was kept in) are imported as concluded assessments of kind `migrated`
(domain/migration.py): each person covered from the conclusion's own day, by the same rule.

Doors: HTTP /v1/ltc/assessors…, /v1/ltc/scale, /v1/ltc/assessments… (with /import), /v1/ltc/rechecks (api.py); event
care_application.accepted (handlers.py); a periodic sweep raising re-checks (service/rechecks.py `recheck_loop`).
Events out: disability.assessment_opened, disability.concluded, disability.objected, disability.recheck_due
(outbox of `ltc_assessments`), appraisal.person.accessed (evidence reads, chassis/access.py)."""
