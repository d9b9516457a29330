"""The draw of a record sample (病历抽审, tender 二(一)4: 不低于总数的2.5%): ceil(rate × N) records — rounded UP, so 40
records give 1, 41 give 2, and any population gives at least one — chosen reproducibly. Each record's rank is
HMAC-SHA256(seed, record_id) as hex; the lowest ranks are drawn. The seed is kept with the sample and the population's
checksum beside it: the same seed and population give the same records, and no one without the seed can tell which
records will be read. Pure."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from chassis.errors import InvalidInput

METHOD = "HMAC-SHA256(seed, record_id) ranks every record of the population; the ceil(rate × N) lowest are drawn"
SEED = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}\Z")


def check_seed(seed: str) -> str:
    if not SEED.match(seed):
        raise InvalidInput("a seed is 1–64 letters, digits or _.:-", "seed")
    return seed


def check_rate(rate: Decimal, minimum: Decimal) -> Decimal:
    """A sample's rate: at least the tender's minimum (2.5%), at most all of it."""
    if not rate.is_finite() or rate > 1:
        raise InvalidInput("rate is a share of the population, at most 1", "rate")
    if rate < minimum:
        raise InvalidInput(f"a record sample takes at least {minimum} of the population (不低于2.5%)", "rate",
                           code="rate_below_minimum", params={"minimum": str(minimum)})
    return rate


def sample_size(population: int, rate: Decimal) -> int:
    """ceil(rate × N), exact in decimals (no float rounding at the edge: 2.5% of 40 is exactly 1)."""
    if population <= 0:
        return 0
    return max(1, int((rate * population).to_integral_value(rounding=ROUND_CEILING)))


def rank(seed: str, record_id: str) -> str:
    return hmac.new(seed.encode(), record_id.encode(), hashlib.sha256).hexdigest()


def draw(seed: str, records: Iterable[str], size: int) -> list[tuple[str, str]]:
    """The `size` lowest-ranked records as (record_id, rank), lowest first."""
    return [(r, k) for k, r in sorted((rank(seed, r), r) for r in set(records))[:size]]


def problem_rate(problems: int, sampled: int) -> Decimal:
    """问题病历发现率 = problem records / records sampled (4 places)."""
    if sampled <= 0:
        return Decimal("0.0000")
    return (Decimal(problems) / Decimal(sampled)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def chunks(ids: list[str], size: int) -> list[list[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)] if ids else []


def percent(rate: Decimal) -> str:
    return f"{(rate * 100).quantize(Decimal('0.01'), ROUND_HALF_UP)}%"

