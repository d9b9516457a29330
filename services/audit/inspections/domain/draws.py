"""Double-random draws (双随机: 随机抽取检查对象, 随机选派执法检查人员): `n` institutions from a pool and `m` inspectors
(at least the team's minimum) from another, both at random and reproducibly from one seed.

Each candidate's rank is HMAC-SHA256(seed, "<what>|<id>") as hex (`what`: institution | inspector), and the lowest
ranks are drawn. The seed is kept with the draw, with the pools' checksums (sha256 of the sorted ids, one per line):
anyone holding the seed and the pools redoes the draw and gets the same institutions and inspectors; no one who does
not know the seed can tell who will be drawn. Pure."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chassis.errors import InvalidInput

METHOD = ("HMAC-SHA256(seed, 'institution|' + institution_id) and HMAC-SHA256(seed, 'inspector|' + inspector_id) "
          "rank each pool (duplicates removed); the lowest ranks are drawn")
SEED = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}\Z")


def check_seed(seed: str, field: str = "seed") -> str:
    if not SEED.match(seed):
        raise InvalidInput("a seed is 1–64 letters, digits or _.:-", field)
    return seed


def rank(seed: str, what: str, ident: str) -> str:
    return hmac.new(seed.encode(), f"{what}|{ident}".encode(), hashlib.sha256).hexdigest()


def pick(seed: str, what: str, pool: Iterable[str], n: int) -> list[str]:
    """The `n` lowest-ranked ids of the pool, lowest first."""
    return [i for _, i in sorted((rank(seed, what, i), i) for i in set(pool))[:n]]


def digest(ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(ids))).encode()).hexdigest()


@dataclass(frozen=True)
class Draw:
    institutions: tuple[str, ...]
    inspectors: tuple[str, ...]
    institutions_pool_sha256: str
    inspectors_pool_sha256: str
    institutions_pool_size: int
    inspectors_pool_size: int


def draw(seed: str, institutions: Sequence[str], n: int, inspectors: Sequence[str], m: int, min_team: int) -> Draw:
    """Draw `n` of the institutions and `m` of the inspectors, each pool counted without duplicates; 422 naming the
    field: `team_too_small` (m below the team's minimum), `pool_too_small` (asking more than a pool holds)."""
    if n < 1:
        raise InvalidInput("draw at least one institution", "institutions", code="pool_too_small",
                           params={"asked": str(n), "pool": str(len(set(institutions)))})
    if m < min_team:
        raise InvalidInput(f"an inspection team is at least {min_team} inspectors: draw at least {min_team}",
                           "inspectors", code="team_too_small", params={"minimum": str(min_team)})
    for field, pool, asked in (("institutions", institutions, n), ("inspectors", inspectors, m)):
        size = len(set(pool))
        if asked > size:
            raise InvalidInput(f"{asked} {field} asked for, the pool holds {size}", field, code="pool_too_small",
                               params={"asked": str(asked), "pool": str(size)})
    return Draw(tuple(pick(seed, "institution", institutions, n)), tuple(pick(seed, "inspector", inspectors, m)),
                digest(institutions), digest(inspectors), len(set(institutions)), len(set(inspectors)))
