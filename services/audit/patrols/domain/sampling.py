"""The quarter's service sample (护理服务抽查样本): which care services a (re-)planning adds, reproducibly.

Each candidate's rank is HMAC-SHA256(seed, quarter|service_id) as hex — the service id `<institution>:<YYYY-MM>:<record
id>` (domain/services.py: a record id is only the institution's own within its month) — and the lowest ranks are drawn.
The seed is recorded with the quarter's sample at its first planning and kept for every re-planning, so anyone holding
the seed and the services known at the time can redo every draw; an institution that does not know the seed cannot tell
which of its services will be checked. What is drawn stays drawn: a re-planning ranks only services not yet sampled."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from chassis.errors import InvalidInput
from services.audit.patrols.domain.quotas import SampleTargets
from services.audit.reports.domain.periods import Period, parse_period

METHOD = ("HMAC-SHA256(seed, quarter|service_id), service_id = institution:YYYY-MM:record_id, ranks every candidate, "
          "lowest first: the quarter's own services not yet sampled up to its quota, then the year's services up to "
          "the quarter's end not yet sampled up to the year's pace (n/4 of the year's services known so far by the "
          "end of quarter n)")
SEED = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}\Z")  # `\Z`: Python's `$` takes a final newline too


def parse_quarter(text: str, field: str = "quarter") -> Period:
    """`2025-Q2` → the quarter's period (first and last day)."""
    return parse_period(text, ("quarter",), field)


def quarter_number(quarter: Period) -> int:
    return (quarter.start.month - 1) // 3 + 1


def quarter_of(day: date) -> str:
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def check_seed(seed: str) -> str:
    if not SEED.match(seed):
        raise InvalidInput("seed is 1–64 letters, digits or _.:-", "seed")
    return seed


def rank(seed: str, quarter: str, service_id: str) -> str:
    return hmac.new(seed.encode(), f"{quarter}|{service_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Drawn:
    service_id: str
    why: str  # quota (the quarter's own 20%) | pace (the year's 100%, 补查)
    rank: str


def draw(seed: str, quarter: str, own: Iterable[str], earlier: Iterable[str], targets: SampleTargets) -> list[Drawn]:
    """`own`: the quarter's services not yet sampled; `earlier`: the year's earlier services not yet sampled. The
    quarter's own shortfall first, by rank; then the rest of `targets.total` by rank over everything left."""
    own_ranked = sorted((rank(seed, quarter, r), r) for r in set(own))
    quota = [Drawn(r, "quota", k) for k, r in own_ranked[:targets.own]]
    rest = sorted([*own_ranked[targets.own:], *((rank(seed, quarter, r), r) for r in set(earlier))])
    pace = [Drawn(r, "pace", k) for k, r in rest[:max(0, targets.total - len(quota))]]
    return [*quota, *pace]


def digest(service_ids: Sequence[str]) -> str:
    """The candidates a draw ranked, as one checksum (sha256 of the sorted service ids, one per line): a redo can show
    it ranked the same services."""
    return hashlib.sha256("\n".join(sorted(service_ids)).encode()).hexdigest()
