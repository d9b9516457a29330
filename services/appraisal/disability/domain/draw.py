"""The assessors' draw (评定人员随机抽取): two assessors for each assessment, drawn at random — reproducibly from the
recorded seed and candidate list, so the agency can audit it — at least one with a medical or nursing background, none
working for the person's care institution, and for a re-assessment after an objection (复评) none of the pair that
assessed before."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chassis.errors import Conflict

PAIR = 2


@dataclass(frozen=True)
class Assessor:
    assessor_id: str
    medical: bool  # 医学或护理专业背景
    institution: str = ""  # the care institution the assessor works for, if any


@dataclass(frozen=True)
class Draw:
    assessors: tuple[str, str]
    seed: str
    candidates: tuple[str, ...]  # the eligible candidates the draw was made from, sorted


def draw_pair(pool: Iterable[Assessor], seed: str, care_institution: str = "",
              excluded: Iterable[str] = ()) -> Draw:
    """Shuffle the eligible candidates with the seed; take the first medical one and the first other one after it
    (either background) — so the pair always holds a medical assessor when the pool has one."""
    banned = set(excluded)
    eligible = sorted((a for a in pool if a.assessor_id not in banned
                       and not (care_institution and a.institution == care_institution)),
                      key=lambda a: a.assessor_id)
    ids = tuple(a.assessor_id for a in eligible)
    if len(eligible) < PAIR:
        raise Conflict(f"only {len(eligible)} eligible assessor(s); an assessment needs two", code="too_few_assessors")
    order: Sequence[Assessor] = random.Random(seed).sample(eligible, len(eligible))
    medical = next((a for a in order if a.medical), None)
    if medical is None:
        raise Conflict("no eligible assessor with a medical or nursing background", code="no_medical_assessor")
    other = next(a for a in order if a.assessor_id != medical.assessor_id)
    return Draw((medical.assessor_id, other.assessor_id), seed, ids)
