"""Throughput of the chronic-disease benefit engine alone (`adjudicate`, pure, one core): lines per second.

    python -m bench.calc_bench [--lines N]      # default 200,000 lines for 20,000 persons

The workload is a year of monthly uploads on the sample table: most persons hold one capped disease, some two
or three, about one in ten an uncapped one (tumour, transplant, dialysis); some grants fall in the year
(prorated caps), a few lines are not covered or for a disease not held. Only `adjudicate` is timed."""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import yaml

from services.settlement.chronic.domain.benefits import Claim, Holding, Line, YearAccount, adjudicate
from services.settlement.policies.domain.policy import Policy, parse_policy

SAMPLE = Path(__file__).resolve().parents[1] / "programs" / "hz-chronic" / "policy-2025.yaml"
YEAR = 2025
LINES_PER_PERSON = 10


@dataclass(frozen=True)
class Person:
    holdings: tuple[Holding, ...]
    claims: tuple[Claim, ...]


def _amount(rnd: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rnd.randint(low * 100, high * 100)).scaleb(-2)


def workload(policy: Policy, lines: int, seed: int = 2025) -> list[Person]:
    """`lines` claim lines spread over persons of about LINES_PER_PERSON lines each."""
    rnd = random.Random(seed)
    capped = [c for c, r in policy.diseases.items() if r.annual_cap is not None]
    uncapped = [c for c, r in policy.diseases.items() if r.annual_cap is None]
    persons: list[Person] = []
    left = lines
    while left > 0:
        n_diseases = rnd.choices([1, 2, 3], weights=[75, 18, 7])[0]
        codes = rnd.sample(capped, n_diseases)
        if rnd.random() < 0.1:
            codes[0] = rnd.choice(uncapped)
        holdings = tuple(
            Holding(c, date(YEAR, 1, 1) + timedelta(days=rnd.randint(0, 330)) if rnd.random() < 0.4
                    else date(rnd.randint(YEAR - 5, YEAR - 1), rnd.randint(1, 12), rnd.randint(1, 28)))
            for c in codes)
        count = min(left, LINES_PER_PERSON)
        left -= count
        claims: list[Claim] = []
        while count > 0:
            in_claim = min(count, rnd.randint(1, 3))
            count -= in_claim
            claim_lines = []
            for _ in range(in_claim):
                code = rnd.choice(codes) if rnd.random() < 0.97 else rnd.choice(capped)
                big = policy.diseases[code].annual_cap is None
                claim_lines.append(Line(code, _amount(rnd, 1000, 20000) if big else _amount(rnd, 20, 1500),
                                        rnd.random() < 0.95))
            on = date(YEAR, rnd.randint(1, 12), rnd.randint(1, 28))
            claims.append(Claim(f"c{len(persons)}-{len(claims)}", on, tuple(claim_lines)))
        persons.append(Person(holdings, tuple(claims)))
    return persons


def run(lines: int) -> float:
    """Lines per second of `adjudicate` over `lines` lines (one call per person, a year's claims at once)."""
    policy = parse_policy(yaml.safe_load(SAMPLE.read_text(encoding="utf-8")))
    persons = workload(policy, lines)
    start = time.perf_counter()
    for person in persons:
        adjudicate(policy, person.holdings, person.claims, YearAccount(YEAR))
    elapsed = time.perf_counter() - start
    return lines / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    args = parser.parse_args()
    rate = run(args.lines)
    print(f"adjudicate: {rate:,.0f} lines/s ({args.lines:,} lines, {args.lines // LINES_PER_PERSON:,} persons, "
          f"one core)")


if __name__ == "__main__":
    main()
