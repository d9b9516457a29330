"""The Wenzhou lots: districts to lots as the tender's table says, city-level persons spread over A/B/C by the
recorded rule, and their assessment fee shared equally."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from chassis.errors import InvalidInput
from services.intake.lots.domain.routing import PROGRAMS_DIR, load_lots, lot_for, parse_lots, share_city_fee

LOTS = load_lots()


@pytest.mark.parametrize(("district", "lot"), [
    ("鹿城区", "A"), ("永嘉县", "A"), ("龙湾区", "B"), ("平阳县", "B"), ("瓯海区", "C"), ("苍南县", "C"),
    ("洞头区", "D"), ("乐清市", "D"), ("龙港市", "D"), ("瑞安市", "E"), ("文成县", "E"), ("泰顺县", "E"),
])
def test_each_district_goes_to_its_lot(district: str, lot: str) -> None:
    found, reason = lot_for(LOTS, district, "330302198001010012")
    assert found.code == lot and found.tenant == f"wz-{lot.lower()}" and reason.code == "district_lot"


def test_lot_a_insures_the_figure_the_fee_example_uses() -> None:
    assert LOTS.lots["A"].insured == 853_900  # 64.55 + 20.84 万人


def test_city_level_persons_spread_evenly_and_reproducibly_over_a_b_c() -> None:
    counts = Counter(lot_for(LOTS, "市本级", f"330302198001010{seq:03d}"[:17] + "X")[0].code for seq in range(300))
    assert counts == {"A": 100, "B": 100, "C": 100}
    lot, reason = lot_for(LOTS, "市本级", "330302198001010124")  # sequence code 012 → 12 mod 3 = 0 → A
    assert lot.code == "A" and reason.params["rule"] == "sequence-code-mod-3.v1"
    with pytest.raises(InvalidInput) as err:
        lot_for(LOTS, "市本级", "12345")
    assert err.value.field == "person_id"
    with pytest.raises(InvalidInput) as err:
        lot_for(LOTS, "杭州市", "330302198001010012")
    assert err.value.code == "unknown_district"


def test_the_city_level_assessment_fee_is_shared_to_the_fen() -> None:
    shares, reason = share_city_fee(LOTS, 10_000)
    assert shares == {"A": 3334, "B": 3333, "C": 3333} and sum(shares.values()) == 10_000
    assert reason.code == "fee_shared" and reason.params["share_A"] == "3334"
    assert share_city_fee(LOTS, 30_000)[0] == {"A": 10_000, "B": 10_000, "C": 10_000}
    with pytest.raises(InvalidInput):
        share_city_fee(LOTS, -1)


def test_a_district_in_two_lots_is_refused() -> None:
    raw = yaml.safe_load((PROGRAMS_DIR / "wz-ltc" / "lots.yaml").read_text(encoding="utf-8"))
    raw["lots"]["B"]["districts"]["鹿城区"] = "1.00"
    with pytest.raises(InvalidInput) as err:
        parse_lots(raw)
    assert err.value.code == "invalid_lots"
