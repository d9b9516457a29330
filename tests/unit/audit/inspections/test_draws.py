"""Double-random draws (双随机): reproducible from the seed (the same seed and pools → the same institutions and
inspectors, whatever order or duplicates the pools come in), another seed another draw, at least two inspectors, and
never more than a pool holds."""

from __future__ import annotations

import pytest

from chassis.errors import InvalidInput
from services.audit.inspections.domain.draws import check_seed, draw, rank

INSTITUTIONS = [f"KM-P{n:03d}" for n in range(1, 144)]
INSPECTORS = [f"insp-{n}" for n in range(1, 11)]


def test_the_same_seed_draws_the_same_whatever_the_pools_order() -> None:
    a = draw("seed-1", INSTITUTIONS, 5, INSPECTORS, 2, 2)
    b = draw("seed-1", list(reversed(INSTITUTIONS)) + INSTITUTIONS[:3], 5, INSPECTORS[::-1], 2, 2)
    assert a == b and len(set(a.institutions)) == 5 and len(set(a.inspectors)) == 2
    assert a.institutions_pool_size == 143 and a.inspectors_pool_size == 10
    assert list(a.institutions) == sorted(a.institutions, key=lambda i: rank("seed-1", "institution", i))
    assert draw("seed-2", INSTITUTIONS, 5, INSPECTORS, 2, 2).institutions != a.institutions


def test_a_team_of_one_and_oversized_draws_are_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        draw("s", INSTITUTIONS, 5, INSPECTORS, 1, 2)
    assert (exc.value.code, exc.value.field) == ("team_too_small", "inspectors")
    with pytest.raises(InvalidInput) as exc:
        draw("s", INSTITUTIONS[:3], 4, INSPECTORS, 2, 2)
    assert (exc.value.code, exc.value.field, exc.value.params) == ("pool_too_small", "institutions",
                                                                   {"asked": "4", "pool": "3"})
    with pytest.raises(InvalidInput) as exc:
        draw("s", INSTITUTIONS, 1, ["a", "a"], 2, 2)   # one inspector twice is one inspector
    assert (exc.value.code, exc.value.field) == ("pool_too_small", "inspectors")
    with pytest.raises(InvalidInput):
        check_seed("bad seed\n")
