"""Whom the demo users act as (演示用户的主体): the `subject` claim of `<tenant>-<role>`, the same in the development
issuer of embedded mode (chassis/dev_issuer.py) and in the local Keycloak realm (deploy/local/keycloak/gen_realm.py),
and known to the demo data (jingban/demo.py).

- **The applicant is a person.** Intake lets an applicant file only for themself: the token's subject must be the
  application's `person_id`, a valid resident identity number (GB 11643-1999). So `<tenant>-applicant` acts as a demo
  person of its own: a number issued in the first county the tenant's program routes to that tenant (programs/<p>/
  program.yaml `counties`), born in the 1950s (old enough for every program, long-term care's old-age basis
  included), with the right check character — derived from the tenant alone, so every start, every mode and every
  test gives the same person. It has the form of personal data: shown only masked (`shown`, as chassis/masking
  masks it), never in clear on a login page or in the printed logins; the username stays `<tenant>-applicant`.
- **The expert is an expert of the tenant's pool.** Appraisal draws experts by their pool id (the token's subject of
  an expert is that id): `demo-expert` is never drawn and would see no case. So `<tenant>-expert` is a named
  physician of the program's sample pool (programs/<p>/experts-sample.csv, what the demo imports into the tenant), of
  the specialty most applications need (cardiology: HTN, CHD, HF) and not of the hospital the demo's applications are
  treated at (a draw never picks an expert of the applicant's treating hospital). Tenants without an appraisal pool
  (critical illness, long-term care lots, fund supervision) keep `demo-expert`.
- Every other role acts as `demo-<role>`.

The expert's id is the pool's own (`ex-` + the first 12 hex digits of SHA-256 over `name|hospital`,
services/appraisal/experts/domain/expert.py `expert_id_for`); tests/unit/chassis/test_demo_subjects.py checks it is
in the pool as appraisal parses it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from chassis.masking import mask
from chassis.programs import program_of_tenant

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_BORN_FROM = date(1950, 1, 1)
_BORN_SPAN_DAYS = 3652  # the 1950s


@dataclass(frozen=True)
class DemoExpert:
    """A physician of the program's sample pool (a row of programs/<p>/experts-sample.csv)."""

    name: str
    hospital: str
    specialty: str

    @property
    def expert_id(self) -> str:
        return "ex-" + hashlib.sha256(f"{self.name}|{self.hospital}".encode()).hexdigest()[:12]


# The demo's chronic applications are treated at H610702001 (Hanzhong) and H360403001 (Xunyang), jingban/flow.py and
# jingban/demo.py: the demo experts work elsewhere, so every draw of their specialty may pick them.
DEMO_EXPERTS: dict[str, DemoExpert] = {
    "hz-p1": DemoExpert("李志强", "H610702002", "cardiology"),
    "hz-p2": DemoExpert("孙秀英", "H610703001", "cardiology"),
    "xy-c": DemoExpert("陈国华", "H360402001", "cardiology"),
}


def check_character(first17: str) -> str:
    """The 18th character (校验码) of a resident identity number, for its first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


@cache
def demo_person_id(tenant: str) -> str | None:
    """The demo applicant's resident identity number in `tenant`; None for a tenant of no program (or one no county
    is routed to)."""
    program = program_of_tenant(tenant)
    counties = [c for c, t in program.counties.items() if t == tenant] if program else []
    if not counties:
        return None
    digest = hashlib.sha256(f"jingban-demo-applicant|{tenant}".encode()).digest()
    born = _BORN_FROM + timedelta(days=int.from_bytes(digest[:4], "big") % _BORN_SPAN_DAYS)
    sequence = int.from_bytes(digest[4:6], "big") % 1000
    body = f"{counties[0]}{born:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


def demo_expert(tenant: str) -> DemoExpert | None:
    """The pool expert `<tenant>-expert` acts as; None for a tenant without an appraisal pool."""
    return DEMO_EXPERTS.get(tenant)


def demo_expert_id(tenant: str) -> str | None:
    expert = demo_expert(tenant)
    return expert.expert_id if expert else None


def demo_subject(tenant: str, role: str) -> str:
    """The subject `<tenant>-<role>` acts as: the demo person (applicant), the pool expert (expert), else
    `demo-<role>`."""
    if role == "applicant":
        return demo_person_id(tenant) or "demo-applicant"
    if role == "expert":
        return demo_expert_id(tenant) or "demo-expert"
    return f"demo-{role}"


def shown(subject: str) -> str:
    """A subject as a page or a console may show it: an identity number masked (`610702********1234`)."""
    return mask(subject)
