"""Disability assessment (失能等级评定, long-term care, Wenzhou): the assessors' item scores on the national scale's
three first-level indicators — activities of daily living, cognition, perception and communication — each summed to
a level, combined by the combination table into the grade 0–5 (基本正常 … 重度失能III级). The scale and the
combination table are versioned data (programs/wz-ltc/assessment-*.yaml); every conclusion records the version.

So far: the pure rules (domain/): grading, who is covered (severe, lasting six months or through old age), and the
assessors' draw (two, one medical, none of the care institution, a different pair on re-assessment). Doors, the
on-site record and the conclusion notice come with the rest of issue 12."""
